"""The connector contract: the protocol, its error and the metadata every Document carries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from langchain_core.documents import Document

__all__ = [
    "Connector",
    "LoadError",
    "content_hash",
    "make_document",
    "normalize_suffix",
    "suffix_candidates",
]

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class LoadError(Exception):
    """A source that could not be turned into Documents.

    Attributes:
        source: The file (or other source) that failed, as given.
        reason: What went wrong and, where possible, what to do about it.
    """

    def __init__(self, source: str | Path, reason: str) -> None:
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")

    def __reduce__(self) -> tuple[type[LoadError], tuple[str, str]]:
        return (type(self), (self.source, self.reason))


@runtime_checkable
class Connector(Protocol):
    """Turns one file into LangChain Documents.

    Registered through the entry-point group ``gpt4all_rag.connectors``; the registry
    instantiates the entry point's class with no arguments.
    """

    name: str
    """The entry-point name, e.g. ``"pdf"``."""
    suffixes: frozenset[str]
    """Lowercase suffixes with the dot, e.g. ``frozenset({".pdf"})``."""

    def load(self, path: Path) -> Iterator[Document]:
        """Yield the file's Documents, one per page or section; raise LoadError on failure."""
        ...


def content_hash(text: str) -> str:
    """Return the sha256 hex digest of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_text(text: str) -> str:
    """Normalize line ends and drop characters stores reject (NUL, lone surrogates)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if text.startswith("\ufeff"):
        text = text[1:]
    return _LONE_SURROGATE.sub("\ufffd", text)


def make_document(
    text: str,
    *,
    path: Path,
    title: str,
    page: int | None = None,
    **extra: str | int | float | bool,
) -> Document:
    """Build a Document with the standard metadata.

    Args:
        text: The page or section text; cleaned with ``clean_text``.
        path: The file it came from; ``source`` becomes its absolute resolved path.
        title: A human title; the file name is used when it is blank.
        page: 1-based page number, only for paged formats.
        **extra: Further metadata (no None values: Chroma rejects them).

    Returns:
        A Document whose metadata holds ``source``, ``title``, ``content_hash``,
        ``file_type`` and, if given, ``page``.
    """
    text = clean_text(text)
    metadata: dict[str, str | int | float | bool] = {
        "source": str(path.resolve()),
        "title": " ".join(title.split()) or path.name,
        "content_hash": content_hash(text),
        "file_type": path.suffix.lower().lstrip("."),
    }
    if page is not None:
        metadata["page"] = page
    metadata.update({k: v for k, v in extra.items() if v is not None})
    return Document(page_content=text, metadata=metadata)


def normalize_suffix(suffix: str) -> str:
    """Return ``suffix`` lowercased with exactly one leading dot (``"PDF"`` -> ``".pdf"``)."""
    suffix = suffix.strip().lower()
    if not suffix or suffix == ".":
        raise ValueError("a connector suffix must not be empty")
    return suffix if suffix.startswith(".") else f".{suffix}"


def suffix_candidates(name: str) -> list[str]:
    """Return the suffixes a file name could be claimed by, longest first.

    ``"Notes.Tar.GZ"`` gives ``[".tar.gz", ".gz"]``; a leading dot (a hidden file's) is
    not a suffix, so ``".bashrc"`` gives ``[]``.
    """
    lowered = name.lower()
    return [lowered[i:] for i, ch in enumerate(lowered) if ch == "." and i > 0]
