"""One indexing run: incremental to the chunk, resumable after a crash at any point.

Order of writes, which is what makes a crash harmless:

1. the ledger marks a run in progress (a run that finds the mark first reconciles: Chroma ids the
   ledger does not know are deleted, ledger chunks whose vector is missing are dropped and their
   files read again);
2. new vectors are upserted into Chroma (reused from identical content when it is already there);
3. the ledger commits the files, their chunks and their keywords in one transaction;
4. vectors of chunks that are gone are deleted from Chroma;
5. the mark is cleared.

So Chroma always holds every committed chunk, and at worst some orphans that step 1 removes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from gpt4all_rag.localdocs.chunks import ChunkRecord
from gpt4all_rag.localdocs.ledger import FileState, FileUpdate, Ledger
from gpt4all_rag.localdocs.parse import (
    Failed,
    FileLoader,
    Outcome,
    Parsed,
    SameContent,
    Splitter,
    parse_ahead,
)
from gpt4all_rag.localdocs.progress import IndexProgress, ProgressTracker
from gpt4all_rag.localdocs.report import (
    FailedSource,
    IndexReport,
    SkippedSource,
    SpacelessPages,
)
from gpt4all_rag.localdocs.scan import Candidate, ScanResult, Walker, resolve_roots, scan
from gpt4all_rag.localdocs.store import VectorStore

DEFAULT_BATCH_SIZE = 256
"""Chunks embedded per call, across files."""
RACY_WINDOW_NS = 2_000_000_000
"""Files modified less than this before the previous scan are hashed, not trusted by stat."""


class IndexEmbeddings(Protocol):
    """What indexing needs of an embedding model (``GPT4AllEmbeddings`` provides it)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed a query."""
        ...

    def count_tokens(self, text: str) -> int:
        """Model tokens in a text, special tokens included."""
        ...

    @property
    def max_tokens(self) -> int:
        """Longest input the model embeds without truncating."""
        ...

    @property
    def model_id(self) -> str:
        """Stable id recorded in a collection."""
        ...


@dataclass
class _Batch:
    """Files parsed and planned, waiting for their vectors."""

    updates: list[FileUpdate] = field(default_factory=list)
    removed_keys: list[set[str]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    """Content hash -> text, for every chunk new to the ledger."""
    reuse: dict[str, str] = field(default_factory=dict)
    """Content hash -> id of a committed chunk whose vector can be copied."""

    @property
    def to_embed(self) -> int:
        return len(self.texts) - len(self.reuse)


class Indexer:
    """Runs one indexing pass of a collection (the caller holds the writer lock).

    Args:
        ledger: The collection's ledger.
        store: Opens the vector store (called only when Chroma must be touched).
        embeddings: The collection's embedding model.
        loader: Loads files into Documents.
        walk: Walks folders (``connectors.folder.walk``).
        split: Splits a file's Documents into chunks.
        batch_size: Chunks per embedding call.
        max_file_size: Larger files are skipped and reported.
        progress: Receives progress updates.
        store_is_missing: True when the vector store is known to be gone (reconcile first).
        on_commit: Called after each batch of whole files is written (a shared collection makes
            them visible to readers there).
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        store: Callable[[], VectorStore],
        embeddings: IndexEmbeddings,
        loader: FileLoader,
        walk: Walker,
        split: Splitter,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_file_size: int,
        progress: IndexProgress | None = None,
        store_is_missing: bool = False,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._ledger = ledger
        self._store = store
        self._embeddings = embeddings
        self._loader = loader
        self._walk = walk
        self._split = split
        self._batch_size = max(1, batch_size)
        self._max_file_size = max_file_size
        self._tracker = ProgressTracker(progress)
        self._model_loaded = False
        self._store_is_missing = store_is_missing
        self._on_commit = on_commit
        self._report = IndexReport()
        self._batch = _Batch()
        self._vanished: set[str] = set()

    def run(
        self,
        paths: Sequence[str | Path],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> IndexReport:
        """Index the paths; see the module docstring for the guarantees.

        Raises:
            IndexPathNotFoundError: For a path that does not exist and was never indexed.
        """
        known = self._ledger.files()
        roots = resolve_roots(paths, known)
        racy_from = self._ledger.last_scan_ns() - RACY_WINDOW_NS
        interrupted = self._ledger.begin_run()
        if interrupted or self._store_is_missing:
            self._tracker.emit("repairing")
            self.reconcile()
            known = self._ledger.files()
        self._tracker.emit("scanning")
        scanned_at = time.time_ns()
        found = scan(
            roots,
            self._walk,
            include=include,
            exclude=exclude,
            max_file_size=self._max_file_size,
            suffixes=self._loader.suffixes(),
        )
        work = self._triage(found, known, racy_from)
        for outcome in parse_ahead(work, self._loader, self._split):
            self._handle(outcome, known.get(outcome.candidate.source))
        self._flush()
        self._remove_gone(found, known)
        self._ledger.end_run(scanned_at)
        self._tracker.emit("done")
        return self._report

    def reconcile(self) -> None:
        """Make Chroma and the ledger agree after an interrupted run."""
        store = self._store()
        stored = store.ids()
        recorded = self._ledger.all_chunk_ids()
        orphans = sorted(stored - recorded)
        if orphans:
            store.delete(orphans)
        missing = sorted(recorded - stored)
        if missing:
            self._ledger.forget_chunks(missing)

    # --- steps ----------------------------------------------------------------------------------

    def _triage(
        self, found: ScanResult, known: dict[str, FileState], racy_from: int
    ) -> list[tuple[Candidate, str | None]]:
        """Settle files by stat alone; return the rest, with the content hash on record.

        A stat is trusted only when the file's mtime is older than the previous scan by more
        than the timestamp granularity; a same-size edit within the same tick ("racy", as git
        calls it) would otherwise go unseen. Racy files are hashed, which is cheap.
        """
        tracker = self._tracker
        tracker.files_total = len(found.candidates) + len(found.skipped)
        for source, reason in found.skipped.items():
            self._report.failed.append(FailedSource(source=source, error=reason))
            tracker.file_done()
        self._report.skipped = [
            SkippedSource(source=source, reason=reason) for source, reason in found.ignored.items()
        ]
        work: list[tuple[Candidate, str | None]] = []
        for candidate in found.candidates:
            state = known.get(candidate.source)
            same_stat = (
                state is not None
                and state.size == candidate.size
                and state.mtime_ns == candidate.mtime_ns
                and state.mtime_ns < racy_from
            )
            if state is not None and same_stat and state.status == "indexed":
                self._report.unchanged += 1
                tracker.file_done()
            elif state is not None and same_stat:
                error = state.error or "failed in an earlier run"
                self._report.failed.append(FailedSource(source=candidate.source, error=error))
                tracker.file_done()
            else:
                work.append((candidate, state.file_hash if state else None))
                tracker.bytes_total += candidate.size
        tracker.emit("indexing")
        return work

    def _handle(self, outcome: Outcome, state: FileState | None) -> None:
        candidate = outcome.candidate
        if isinstance(outcome, SameContent):
            self._ledger.touch(candidate.source, candidate.size, candidate.mtime_ns)
            if state is not None and state.status == "failed":
                error = state.error or "failed in an earlier run"
                self._report.failed.append(FailedSource(source=candidate.source, error=error))
            else:
                self._report.unchanged += 1
        elif isinstance(outcome, Failed):
            self._fail(outcome, state)
        else:
            self._plan(outcome, added=state is None or state.status != "indexed")
            if self._batch.to_embed >= self._batch_size:
                self._flush()
        self._tracker.file_done(candidate.size)
        self._tracker.emit("indexing", candidate.source)

    def _fail(self, outcome: Failed, state: FileState | None) -> None:
        candidate = outcome.candidate
        self._report.failed.append(FailedSource(source=candidate.source, error=outcome.error))
        if outcome.vanished:
            self._vanished.add(candidate.source)
            dropped = self._ledger.remove_files([candidate.source]) if state else []
        else:
            failure = FileState(
                candidate.source,
                candidate.size,
                candidate.mtime_ns,
                outcome.file_hash,
                "failed",
                outcome.error,
            )
            dropped = self._ledger.record_failure(failure)
        if dropped:
            self._store().delete(dropped)

    def _plan(self, parsed: Parsed, *, added: bool) -> None:
        """Diff a file's chunks against the ledger and queue what needs vectors."""
        candidate = parsed.candidate
        old = self._ledger.file_chunks(candidate.source)
        new_ids = {record.id for record in parsed.records}
        insert = [r for r in parsed.records if r.id not in old]
        update: list[ChunkRecord] = []
        for record in parsed.records:
            before = old.get(record.id)
            if before is not None and (
                before.seq != record.seq or before.metadata_json != record.metadata_json
            ):
                update.append(record)
                self._batch.removed_keys.append(_removed_keys(before.metadata_json, record))
        state = FileState(
            candidate.source, candidate.size, candidate.mtime_ns, parsed.file_hash, "indexed"
        )
        self._batch.updates.append(
            FileUpdate(
                state=state,
                insert=insert,
                update=update,
                delete=[chunk_id for chunk_id in old if chunk_id not in new_ids],
            )
        )
        new_hashes = {r.chunk_hash: r.text for r in insert if r.chunk_hash not in self._batch.texts}
        self._batch.texts.update(new_hashes)
        self._batch.reuse.update(self._ledger.ids_for_hashes(new_hashes))
        spaceless = {r.page for r in parsed.records if r.metadata.get("spaceless") is True}
        if pages := sorted(page for page in spaceless if page is not None):
            self._report.spaceless_pages.append(
                SpacelessPages(source=candidate.source, pages=pages)
            )
        if added:
            self._report.added += 1
        else:
            self._report.updated += 1

    def _flush(self) -> None:
        """Embed what is new, write Chroma, commit the ledger, then delete stale vectors."""
        batch, self._batch = self._batch, _Batch()
        if not batch.updates:
            return
        store = self._store()
        vectors = self._vectors(batch, store)
        inserts = [record for update in batch.updates for record in update.insert]
        if inserts:
            store.upsert(inserts, [vectors[record.chunk_hash] for record in inserts])
        updates = [record for update in batch.updates for record in update.update]
        if updates:
            store.update_metadata(updates, batch.removed_keys)
        self._ledger.apply(batch.updates)
        stale = [chunk_id for update in batch.updates for chunk_id in update.delete]
        if stale:
            store.delete(stale)
        if self._on_commit is not None:
            self._on_commit()

    def _vectors(self, batch: _Batch, store: VectorStore) -> dict[str, list[float]]:
        """A vector per new content hash: copied from Chroma when present, embedded otherwise."""
        vectors: dict[str, list[float]] = {}
        if batch.reuse:
            stored = store.embeddings_for(sorted(set(batch.reuse.values())))
            for digest, chunk_id in batch.reuse.items():
                if chunk_id in stored:
                    vectors[digest] = stored[chunk_id]
        pending = [(digest, text) for digest, text in batch.texts.items() if digest not in vectors]
        if pending:
            self._load_model()
            started = time.perf_counter()
            embedded = self._embeddings.embed_documents([text for _, text in pending])
            self._tracker.embedded(len(pending), time.perf_counter() - started)
            self._report.chunks_embedded += len(pending)
            vectors.update(zip((digest for digest, _ in pending), embedded, strict=True))
            self._tracker.emit("indexing")
        return vectors

    def _load_model(self) -> None:
        """Load the embedding model before its first batch, so that the user sees why the run
        waits (an ONNX export takes seconds the first time) and embeddings/s excludes it."""
        if not self._model_loaded:
            self._tracker.emit("loading model")
            _ = self._embeddings.model_id  # the id comes from the loaded model
            self._model_loaded = True

    def _remove_gone(self, found: ScanResult, known: dict[str, FileState]) -> None:
        """Forget files under the indexed paths that were not found (deleted, excluded, refused)."""
        present = {candidate.source for candidate in found.candidates}
        gone = [
            source
            for source in known
            if source not in present and source not in self._vanished and found.covers(source)
        ]
        if not gone:
            return
        self._tracker.emit("removing")
        dropped = self._ledger.remove_files(gone)
        self._report.deleted += sum(
            1
            for source in gone
            if known[source].status == "indexed" and source not in found.skipped
        )
        if dropped:
            self._store().delete(dropped)


def _removed_keys(old_json: str, record: ChunkRecord) -> set[str]:
    old: Iterable[str] = json.loads(old_json)
    return set(old) - set(record.metadata)
