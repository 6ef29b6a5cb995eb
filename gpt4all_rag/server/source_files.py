"""Opening a cited source: signed links to files that belong to a collection, and nothing else.

A link names the file's path and carries an HMAC of it made with a key drawn when the server
starts, so only paths the server itself handed out (through ``POST /v1/sources/links``, behind
the API key) can be opened; the browser opens them in a new tab, where no API key can be sent.
Before a file is read, it must still be an indexed source of some collection, under exactly
that path, with no symbolic link anywhere along it (a file swapped for a link after indexing
is refused), and it is opened without following links.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote as url_quote
from urllib.parse import urlencode

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.localdocs.layout import LEDGER_FILE, Layout

PDF_SUFFIXES = frozenset({".pdf"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset(
    {".txt", ".md", ".markdown", ".rst", ".text", ".log", ".csv", ".json", ".yaml", ".yml"}
)
MAX_TEXT_BYTES = 8 * 1024 * 1024
"""Text files larger than this are sent as they are, without the highlighting viewer."""
QUOTE_LIMIT = 400
"""Characters of a quote carried in a link."""


class SourceRefused(Exception):
    """The path may not be served (its message is safe to show)."""


@dataclass(frozen=True)
class OpenedSource:
    """A file opened for serving: its descriptor (owned by the caller) and kind."""

    fd: int
    path: str
    size: int
    kind: str
    """``pdf``, ``html``, ``text`` or ``other``."""


def kind_of(path: str) -> str:
    """How a file is shown: ``pdf``, ``html``, ``text`` or ``other`` (downloaded)."""
    suffix = Path(path).suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "other"


class SourceFiles:
    """Signs links to collection files and opens them safely.

    Args:
        settings: The data home whose collections decide which files may be served.
        key: The signing key; a fresh random one when None (links die with the server).
    """

    def __init__(self, settings: Settings, key: bytes | None = None) -> None:
        self.settings = settings
        self._key = key or secrets.token_bytes(32)
        self._sources: dict[str, tuple[tuple[int, int], frozenset[str]]] = {}

    # --- links ----------------------------------------------------------------------------------

    def signature(self, path: str) -> str:
        """The HMAC of a path, hex."""
        return hmac.new(
            self._key, path.encode("utf-8", "surrogateescape"), hashlib.sha256
        ).hexdigest()

    def link(self, path: str, page: int | None, quote: str | None) -> str | None:
        """The URL that opens ``path`` at its page or quote; None when it is no collection's file."""
        if not self.belongs(path):
            return None
        query = {"path": path, "sig": self.signature(path)}
        kind = kind_of(path)
        if kind == "text" and quote:
            query["quote"] = quote[:QUOTE_LIMIT]
        url = f"/sources/{url_quote(Path(path).name)}?{urlencode(query)}"
        if kind == "pdf" and page:
            return f"{url}#page={int(page)}"
        if kind == "html" and quote:
            return f"{url}#:~:text={text_fragment(quote)}"
        if kind == "text" and quote:
            return f"{url}#quote"
        return url

    def verify(self, path: str, signature: str) -> bool:
        """Whether ``signature`` was made by this server for ``path``."""
        return hmac.compare_digest(self.signature(path), signature)

    # --- membership -----------------------------------------------------------------------------

    def belongs(self, path: str) -> bool:
        """Whether ``path`` is, as written, an indexed file of some collection."""
        layout = Layout.for_settings(self.settings)
        return any(path in self._indexed(layout, name) for name in layout.collection_names())

    def _indexed(self, layout: Layout, name: str) -> frozenset[str]:
        """The collection's sources, reread only when its ledger changed."""
        ledger = layout.ledger_path(name)
        stamp = (_mtime(ledger), _mtime(Path(f"{ledger}-wal")))
        cached = self._sources.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        sources = frozenset(LocalDocs(name, settings=self.settings).sources())
        self._sources[name] = (stamp, sources)
        return sources

    # --- opening --------------------------------------------------------------------------------

    def open(self, path: str, signature: str) -> OpenedSource:
        """Open a collection's file for reading, refusing anything else.

        Raises:
            SourceRefused: A bad signature, a path that is not an indexed file as written, a
                symbolic link anywhere along it, or something other than a regular file.
        """
        if not self.verify(path, signature):
            raise SourceRefused("This link was not made by this server (or it restarted).")
        if not os.path.isabs(path) or os.path.realpath(path) != path:
            raise SourceRefused("Only the indexed file itself can be opened, not a link to it.")
        if LEDGER_FILE in Path(path).name or not self.belongs(path):
            raise SourceRefused("This file is not part of any collection.")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise SourceRefused(f"The file cannot be opened: {error.strerror}.") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or _opened_elsewhere(fd, path):
            os.close(fd)
            raise SourceRefused("Only the indexed file itself can be opened, not a link to it.")
        return OpenedSource(fd, path, info.st_size, kind_of(path))


def _opened_elsewhere(fd: int, path: str) -> bool:
    """Whether the file opened is not at ``path`` (a folder along it was swapped for a link
    between the check and the open); Linux tells through /proc, elsewhere this is skipped."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}") != path
    except OSError:
        return False


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def text_fragment(quote: str) -> str:
    """A URL text fragment (``#:~:text=``) that finds ``quote`` in a page: its start and end
    words for a long quote, the whole quote for a short one."""
    words = quote.split()
    if len(words) > 10:
        start, end = " ".join(words[:5]), " ".join(words[-5:])
        return f"{_fragment_part(start)},{_fragment_part(end)}"
    return _fragment_part(" ".join(words))


def _fragment_part(text: str) -> str:
    # '-', ',' and '&' are syntax inside a text fragment: escape them too
    return url_quote(text, safe="").replace("-", "%2D")


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` sits in ``text`` (start, end), ignoring spacing, then case, then markup;
    failing that, where its first words do. None when it cannot be found."""
    words = re.findall(r"\w+|[^\w\s]", quote)
    if not words:
        return None
    for count in (len(words), min(len(words), 12), min(len(words), 6)):
        # Between two words: any spacing, and any markup characters (Markdown * _ ` # >).
        pattern = r"[\s*_`#>\[\]()]*".join(re.escape(word) for word in words[:count])
        match = re.search(pattern, text) or re.search(pattern, text, re.IGNORECASE)
        if match:
            return match.start(), match.end()
    return None
