"""Failures of the machine under a run (a full disk, a Chroma server gone) told in one line.

SQLite, Chroma, ONNX Runtime and httpx each report these in their own words and types; a user
needs to hear what happened, where, and that a re-run resumes (the ledger makes that true: see
``localdocs.indexer``).
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from gpt4all_rag.errors import DiskFullError, GPT4AllRagError, VectorStoreLostError

_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_DISK_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")
LOW_SPACE_BYTES = 64_000_000
"""Below this much free space, a failed Chroma write is taken for a full disk: Chroma's core
says only "Failed to apply logs to the metadata segment" (measured on a full tmpfs)."""
_CONNECTION_TYPES = ("ConnectError", "ConnectTimeout", "ReadError", "RemoteProtocolError")


def is_disk_full(error: BaseException) -> bool:
    """Whether an error, or one it was raised from, says the disk is full."""
    for link in _chain(error):
        if isinstance(link, OSError) and link.errno in _DISK_FULL_ERRNOS:
            return True
        if any(words in str(link).lower() for words in _DISK_FULL_WORDS):
            return True
    return False


def is_store_failure(error: BaseException) -> bool:
    """Whether Chroma raised it (its Rust core reports a full disk only as a failed write)."""
    return any(type(link).__module__.startswith("chromadb") for link in _chain(error))


def is_connection_lost(error: BaseException) -> bool:
    """Whether an error, or one it was raised from, is a failed HTTP connection."""
    return any(
        isinstance(link, ConnectionError) or type(link).__name__ in _CONNECTION_TYPES
        for link in _chain(error)
    )


def free_bytes(path: Path) -> int | None:
    """Free space on the filesystem holding ``path`` (or its nearest existing parent)."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def explain(
    error: BaseException,
    *,
    home: Path,
    doing: str,
    chroma_url: str | None = None,
    collection: str = "",
) -> GPT4AllRagError | None:
    """The user-facing error for a full disk or a lost Chroma server; None for anything else.

    Args:
        error: What was raised.
        home: The data home (its free space is reported).
        doing: What was under way, for the message ("indexing 'docs'").
        chroma_url: The Chroma server, when one is used.
        collection: The collection being written.
    """
    if isinstance(error, GPT4AllRagError):
        return None
    free = free_bytes(home)
    nearly_full = free is not None and free < LOW_SPACE_BYTES
    if is_disk_full(error) or (nearly_full and is_store_failure(error)):
        return DiskFullError(home, free, doing)
    if chroma_url and is_connection_lost(error):
        return VectorStoreLostError(chroma_url, collection, _first_line(error))
    return None


def _chain(error: BaseException) -> list[BaseException]:
    links: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in links and len(links) < 16:
        links.append(current)
        current = current.__cause__ or current.__context__
    return links


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
