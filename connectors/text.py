"""Plain text, Markdown, reStructuredText and source code: one Document per file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from langchain_core.documents import Document

from connectors.base import LoadError, make_document
from connectors.encoding import decode_bytes

__all__ = ["CODE_SUFFIXES", "MARKDOWN_SUFFIXES", "RST_SUFFIXES", "TextConnector"]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdx"})
RST_SUFFIXES = frozenset({".rst", ".rest"})
PLAIN_SUFFIXES = frozenset({".txt", ".text", ".log", ".adoc", ".asciidoc", ".org", ".csv", ".tsv"})
CODE_SUFFIXES = frozenset(
    {
        # programming languages
        ".py", ".pyi", ".pyx", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx",
        ".go", ".rs", ".java", ".kt", ".kts", ".scala", ".groovy", ".gradle", ".c", ".h",
        ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".cs", ".fs", ".vb", ".m", ".mm",
        ".swift", ".rb", ".php", ".pl", ".pm", ".lua", ".r", ".rmd", ".jl", ".dart",
        ".ex", ".exs", ".erl", ".hrl", ".hs", ".ml", ".mli", ".clj", ".cljs", ".el",
        ".lisp", ".scm", ".f", ".f90", ".zig", ".nim", ".v", ".sv", ".vhd", ".asm", ".s",
        # shells and build files
        ".sh", ".bash", ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".mk", ".cmake",
        ".dockerfile", ".nix", ".tf", ".hcl",
        # data, configuration and markup read as text
        ".toml", ".yaml", ".yml", ".json", ".jsonl", ".ini", ".cfg", ".conf",
        ".properties", ".sql", ".graphql", ".proto", ".xml", ".xsd", ".css", ".scss",
        ".sass", ".less", ".vue", ".svelte", ".tex", ".bib", ".sty", ".cls", ".vim",
    }
)  # fmt: skip

_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.+?)[ \t]*#*[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_FRONT_MATTER_TITLE = re.compile(r"^title:\s*(['\"]?)(.+?)\1\s*$", re.MULTILINE)
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}[ \t]*$")


def markdown_title(text: str) -> str | None:
    """Return the front-matter title, else the first level-1 heading (ATX or Setext)."""
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end > 0:
            found = _FRONT_MATTER_TITLE.search(text[4:end])
            if found:
                return found.group(2).strip()
    in_fence = False
    previous = ""
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            atx = _ATX_H1.match(line)
            if atx:
                return atx.group(1).strip()
            if previous.strip() and _SETEXT_H1.match(line):
                return previous.strip()
        previous = "" if in_fence else line
    return None


def rst_title(text: str) -> str | None:
    """Return the first section title: a line underlined (optionally overlined) by punctuation."""
    lines = text.splitlines()
    for i in range(1, len(lines)):
        under = lines[i].rstrip()
        title = lines[i - 1].strip()
        if not title or not _RST_ADORNMENT.match(under) or _RST_ADORNMENT.match(title):
            continue
        if len(under) >= len(title):
            return title
    return None


class TextConnector:
    """Reads text files of known suffixes, detecting their encoding and refusing binary data.

    Titles come from a Markdown level-1 heading (or front-matter ``title:``), a
    reStructuredText section title, or else the file name.
    """

    name = "text"
    suffixes: frozenset[str] = MARKDOWN_SUFFIXES | RST_SUFFIXES | PLAIN_SUFFIXES | CODE_SUFFIXES

    def load(self, path: Path) -> Iterator[Document]:
        """Yield the file as one Document.

        Raises:
            LoadError: Empty, binary, undecodable, or only whitespace.
        """
        text = decode_bytes(path.read_bytes(), str(path))
        if not text.strip():
            raise LoadError(path, "no text in this file (only whitespace), nothing to index")
        yield make_document(text, path=path, title=self._title(path, text))

    @staticmethod
    def _title(path: Path, text: str) -> str:
        suffix = path.suffix.lower()
        head = text[:65536]
        title: str | None = None
        if suffix in MARKDOWN_SUFFIXES:
            title = markdown_title(head)
        elif suffix in RST_SUFFIXES:
            title = rst_title(head)
        return title or path.name
