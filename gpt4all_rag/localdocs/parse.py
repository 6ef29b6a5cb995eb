"""Reading files into chunk records, in a background thread that runs ahead of embedding."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from langchain_core.documents import Document

from connectors.base import LoadError
from gpt4all_rag.localdocs.chunks import ChunkRecord, chunk_records
from gpt4all_rag.localdocs.scan import Candidate

VANISHED = "the file was deleted or moved while indexing ran"
"""Reason given for a file that disappeared between the walk and its reading."""


class FileLoader(Protocol):
    """Turns a file into Documents (``connectors.registry.ConnectorRegistry`` is one)."""

    def load(self, path: Path) -> list[Document]:
        """The file's Documents; raises ``connectors.base.LoadError``."""
        ...

    def suffixes(self) -> frozenset[str]:
        """Suffixes it can load."""
        ...


Splitter = Callable[[Iterable[Document]], Iterable[Document]]
"""Splits a file's Documents into chunks (``split_documents`` with counter and settings bound)."""


@dataclass(frozen=True)
class SameContent:
    """A file whose stat changed but whose bytes did not."""

    candidate: Candidate


@dataclass(frozen=True)
class Parsed:
    """A file read and split."""

    candidate: Candidate
    file_hash: str
    records: list[ChunkRecord]


@dataclass(frozen=True)
class Failed:
    """A file that could not be read or split."""

    candidate: Candidate
    file_hash: str
    error: str
    vanished: bool


Outcome = SameContent | Parsed | Failed


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def parse_file(
    candidate: Candidate, known_hash: str | None, loader: FileLoader, split: Splitter
) -> Outcome:
    """Hash, load and split one file; never raises for a bad file.

    Args:
        candidate: The file.
        known_hash: The content hash the ledger holds for it, if any.
        loader: Loads the file into Documents.
        split: Splits Documents into chunks.

    Returns:
        What became of the file.
    """
    path = candidate.path
    try:
        digest = file_hash(path)
    except FileNotFoundError:
        return Failed(candidate, "", VANISHED, vanished=True)
    except OSError as error:
        return Failed(candidate, "", f"cannot read the file: {error.strerror or error}", False)
    if digest == known_hash:
        return SameContent(candidate)
    try:
        documents = loader.load(path)
        records = chunk_records(candidate.source, split(documents))
    except Exception as error:  # a bad file (or a buggy plugin) must not stop the run
        if not path.exists():
            return Failed(candidate, digest, VANISHED, vanished=True)
        reason = (
            error.reason if isinstance(error, LoadError) else f"{type(error).__name__}: {error}"
        )
        return Failed(candidate, digest, reason, vanished=False)
    if not records:
        return Failed(candidate, digest, "no text found in this file, nothing to index", False)
    return Parsed(candidate, digest, records)


_DONE = object()


def parse_ahead(
    work: Sequence[tuple[Candidate, str | None]],
    loader: FileLoader,
    split: Splitter,
    *,
    ahead: int = 4,
) -> Iterator[Outcome]:
    """Parse files in a background thread, yielding outcomes in order.

    The thread stays at most ``ahead`` files in front of the consumer, which bounds memory, and
    overlaps reading and splitting (mostly pure Python) with embedding (which releases the GIL).

    Args:
        work: Files with the content hash the ledger holds for each.
        loader: Loads a file into Documents.
        split: Splits Documents into chunks.
        ahead: How many parsed files may wait.

    Yields:
        One outcome per file, in the order of ``work``.
    """
    if not work:
        return
    results: queue.Queue[object] = queue.Queue(maxsize=max(1, ahead))
    stop = threading.Event()

    def produce() -> None:
        try:
            for candidate, known in work:
                if stop.is_set():
                    return
                _put(results, parse_file(candidate, known, loader, split), stop)
        except BaseException as error:  # handed to the consumer, raised there
            _put(results, error, stop)
        finally:
            _put(results, _DONE, stop)

    thread = threading.Thread(target=produce, name="gpt4all-rag-parse", daemon=True)
    thread.start()
    try:
        while (item := results.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield cast(Outcome, item)
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                results.get(timeout=0.1)
        thread.join()


def _put(results: queue.Queue[object], item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            results.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
