"""HTML: the title and the visible text, with paragraph breaks kept as blank lines."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup, CData, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.dammit import EncodingDetector
from langchain_core.documents import Document

from connectors.base import LoadError, make_document
from connectors.encoding import decode_bytes

__all__ = ["HtmlConnector", "html_to_text"]

_DROPPED = frozenset(
    {"head", "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
     "embed", "audio", "video", "map", "rp"}
)  # fmt: skip
_PARAGRAPHS = frozenset(
    {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "blockquote",
     "pre", "ul", "ol", "dl", "table", "figure", "form", "fieldset", "address", "details", "hr",
     "h1", "h2", "h3", "h4", "h5", "h6", "body"}
)  # fmt: skip
_LINES = frozenset({"li", "tr", "dt", "dd", "caption", "figcaption", "summary", "legend", "br"})
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")
_CELL_SEPARATOR = " | "


@dataclass
class _Collector:
    """Accumulates text pieces and line breaks, collapsing runs of breaks."""

    parts: list[str] = field(default_factory=list)
    pending: int = 0

    def brk(self, newlines: int) -> None:
        self.pending = max(self.pending, newlines)

    def text(self, piece: str, *, verbatim: bool = False) -> None:
        if not verbatim:
            piece = _SPACES.sub(" ", piece)
            if not self.parts or self.pending or self.parts[-1].endswith((" ", "\n")):
                piece = piece.lstrip(" ")
        if not piece:
            return
        if self.pending and self.parts:
            self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append("\n" * self.pending)
        self.pending = 0
        self.parts.append(piece)

    def separator(self, piece: str) -> None:
        if self.parts and not self.pending:
            self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append(piece)

    def result(self) -> str:
        return "".join(self.parts).strip()


def _hidden(tag: Tag) -> bool:
    if tag.name in _DROPPED or tag.has_attr("hidden"):
        return True
    if str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def html_to_text(root: Tag) -> str:
    """Return the visible text under ``root``: blocks as paragraphs, table cells joined by ``|``.

    Whitespace is collapsed as a browser would, except inside ``<pre>``.
    """
    out = _Collector()
    stack: list[tuple[Tag | NavigableString | int, bool]] = [(root, False)]
    while stack:
        node, in_pre = stack.pop()
        if isinstance(node, int):
            out.brk(node)
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):
                out.text(str(node), verbatim=in_pre)
        elif isinstance(node, Tag) and not _hidden(node):
            _enter(node, in_pre, out, stack)
    return out.result()


def _enter(
    tag: Tag,
    in_pre: bool,
    out: _Collector,
    stack: list[tuple[Tag | NavigableString | int, bool]],
) -> None:
    name = tag.name
    breaks = 2 if name in _PARAGRAPHS else 1 if name in _LINES else 0
    if name in _CELLS:
        out.separator(_CELL_SEPARATOR)
    out.brk(breaks)
    if breaks:
        stack.append((breaks, in_pre))
    child_pre = in_pre or name in ("pre", "textarea", "listing", "plaintext")
    stack.extend(
        (child, child_pre)
        for child in reversed(tag.contents)
        if isinstance(child, Tag | NavigableString)
    )


def html_title(soup: BeautifulSoup) -> str | None:
    """Return the ``<title>`` text, else the first ``<h1>``'s, else None."""
    for tag in (soup.find("title"), soup.find("h1")):
        if isinstance(tag, Tag):
            text = " ".join(tag.get_text(" ").split())
            if text:
                return text
    return None


class HtmlConnector:
    """Reads HTML pages: the title and the visible text only.

    The encoding comes from a BOM, the page's own ``<meta charset>`` (if the bytes agree
    with it), UTF-8, or detection. Scripts, styles, ``<head>``, templates and elements
    marked hidden are dropped; block elements become paragraphs separated by blank lines.
    """

    name = "html"
    suffixes: frozenset[str] = frozenset({".html", ".htm", ".xhtml"})

    def load(self, path: Path) -> Iterator[Document]:
        """Yield the page as one Document.

        Raises:
            LoadError: Empty, binary or undecodable, or no visible text.
        """
        data = path.read_bytes()
        declared = EncodingDetector.find_declared_encoding(data[:8192], is_html=True)
        markup = decode_bytes(data, str(path), declared=(declared,) if declared else ())
        with warnings.catch_warnings():
            # XHTML pages are parsed as HTML on purpose: only their visible text is wanted.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(markup, "lxml")
        text = html_to_text(soup)
        if not text:
            raise LoadError(path, "no visible text in this page, nothing to index")
        yield make_document(text, path=path, title=html_title(soup) or path.name)
