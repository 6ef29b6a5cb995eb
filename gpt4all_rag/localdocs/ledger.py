"""The ledger: a collection's source of truth, in SQLite (WAL).

It records every file seen (stat, content hash, status) and every chunk stored in Chroma (id,
content hash, metadata, text), plus an outbox of the chunks whose keywords changed, written in the
same transaction, which :class:`~gpt4all_rag.localdocs.keyword_sync.KeywordSync` applies to the
keyword index after the commit. Chroma is written before the ledger commits and cleaned after, so
a committed chunk always has its vector; a run in progress is marked, and a run that finds the
mark reconciles Chroma with the ledger.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gpt4all_rag.localdocs.chunks import ChunkRecord
from gpt4all_rag.localdocs.keyword_engine import keyword_dir
from gpt4all_rag.localdocs.keyword_sync import OUTBOX_SCHEMA, KeywordSync

FileStatus = Literal["indexed", "failed"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS files (
        source TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        file_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),
        error TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS chunks (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        seq INTEGER NOT NULL,
        chunk_hash TEXT NOT NULL,
        page INTEGER,
        metadata TEXT NOT NULL,
        text TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks (source, seq)",
    "CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks (chunk_hash)",
    OUTBOX_SCHEMA,
)
_SQL_VARS = 500  # ids per IN (...) clause, well under SQLite's limit


@dataclass(frozen=True)
class FileState:
    """What the ledger knows of one file."""

    source: str
    size: int
    mtime_ns: int
    file_hash: str
    status: FileStatus
    error: str | None = None


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as recorded: enough to diff a file's new chunks against."""

    id: str
    seq: int
    chunk_hash: str
    metadata_json: str


@dataclass
class FileUpdate:
    """The new state of one indexed file and the chunk changes that lead there."""

    state: FileState
    insert: list[ChunkRecord] = field(default_factory=list)
    """Chunks new to the ledger (their vectors are already in Chroma)."""
    update: list[ChunkRecord] = field(default_factory=list)
    """Kept chunks whose position or metadata changed."""
    delete: list[str] = field(default_factory=list)
    """Ids of the file's chunks that are gone."""


@dataclass(frozen=True)
class StoredDocument:
    """A chunk's text and metadata, read back for retrieval."""

    id: str
    text: str
    metadata: dict[str, object]


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _SQL_VARS):
        yield items[start : start + _SQL_VARS]


class Ledger:
    """One collection's ledger file and its keyword index; use from one thread, close when done.

    Opening it is writing it: only the collection lock's holder (an indexing run) opens one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        with self.transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)
            if self.get_meta("ledger_id") is None:
                self.set_meta("ledger_id", uuid.uuid4().hex)
        self.keywords = KeywordSync(self._db, keyword_dir(path), self.ledger_id)
        """The keyword index's keeper (applies this ledger's outbox)."""
        try:
            self.keywords.open()
        except BaseException:
            self._db.close()
            raise

    def close(self, *, sync: bool = True) -> None:
        """Bring the keyword index up to date (unless ``sync`` is False: the outbox then waits
        for the next writer), then close the connection."""
        try:
            if sync:
                self.keywords.sync()
        finally:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
            return
        with contextlib.suppress(Exception):  # the first error is the one to see; if this
            self.keywords.sync()  # fails too, the outbox waits for the next writer
        self.close(sync=False)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed on success, rolled back on error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- metadata -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A metadata value, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value (inside or outside a transaction)."""
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def ledger_id(self) -> str:
        """Random id of this ledger, also written in the Chroma collection's metadata."""
        value = self.get_meta("ledger_id")
        assert value is not None
        return value

    # --- runs -----------------------------------------------------------------------------------

    def begin_run(self) -> bool:
        """Mark a run in progress.

        Returns:
            True when a previous run's mark was still there (it was interrupted).
        """
        with self.transaction():
            interrupted = self.get_meta("run") is not None
            self.set_meta("run", json.dumps({"pid": os.getpid(), "started": time.time()}))
        return interrupted

    def end_run(self, scanned_at_ns: int) -> None:
        """Clear the run-in-progress mark and record when the run's scan started."""
        self.keywords.sync()
        with self.transaction():
            self._db.execute("DELETE FROM meta WHERE key = 'run'")
            self.set_meta("scanned_at_ns", str(scanned_at_ns))

    def last_scan_ns(self) -> int:
        """When the last completed run started scanning (0 if none did)."""
        return int(self.get_meta("scanned_at_ns") or 0)

    @property
    def interrupted(self) -> bool:
        """True when a run's mark is present (a run is going on, or was killed)."""
        return self.get_meta("run") is not None

    # --- reads ----------------------------------------------------------------------------------

    def files(self) -> dict[str, FileState]:
        """Every recorded file, by source."""
        rows = self._db.execute(
            "SELECT source, size, mtime_ns, file_hash, status, error FROM files"
        ).fetchall()
        return {row[0]: FileState(*row) for row in rows}

    def file_chunks(self, source: str) -> dict[str, StoredChunk]:
        """The chunks recorded for one file, by id."""
        rows = self._db.execute(
            "SELECT id, seq, chunk_hash, metadata FROM chunks WHERE source = ?", (source,)
        ).fetchall()
        return {row[0]: StoredChunk(*row) for row in rows}

    def ids_for_hashes(self, hashes: Iterable[str]) -> dict[str, str]:
        """For each content hash recorded, the id of one chunk with that content."""
        found: dict[str, str] = {}
        for batch in _batches(list(set(hashes))):
            marks = ", ".join("?" * len(batch))
            sql = f"SELECT chunk_hash, id FROM chunks WHERE chunk_hash IN ({marks})"
            found.update(self._db.execute(sql, list(batch)).fetchall())
        return found

    def all_chunk_ids(self) -> set[str]:
        """Ids of every recorded chunk."""
        return {row[0] for row in self._db.execute("SELECT id FROM chunks")}

    def counts(self) -> tuple[int, int, int]:
        """Files indexed, files failed, chunks."""
        indexed, failed = self._db.execute(
            "SELECT COALESCE(SUM(status = 'indexed'), 0), COALESCE(SUM(status = 'failed'), 0) "
            "FROM files"
        ).fetchone()
        (chunks,) = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()
        return int(indexed), int(failed), int(chunks)

    def chunk_count(self) -> int:
        """Number of recorded chunks."""
        return self.counts()[2]

    def documents(self, ids: Sequence[str]) -> list[StoredDocument]:
        """Text and metadata of the given chunks, in the given order (unknown ids are left out)."""
        return _documents(self._db, ids)

    # --- writes ---------------------------------------------------------------------------------

    def apply(self, updates: Sequence[FileUpdate]) -> None:
        """Record files as indexed with their chunk changes, in one transaction."""
        with self.transaction():
            for update in updates:
                self._delete_chunks(update.delete)
                self._insert_chunks(update.insert)
                self._db.executemany(
                    "UPDATE chunks SET seq = ?, page = ?, metadata = ? WHERE id = ?",
                    [(r.seq, r.page, r.metadata_json, r.id) for r in update.update],
                )
                self._put_file(update.state)
        self.keywords.changed()

    def touch(self, source: str, size: int, mtime_ns: int) -> None:
        """Record a new stat for a file whose content did not change."""
        with self.transaction():
            self._db.execute(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE source = ?",
                (size, mtime_ns, source),
            )

    def record_failure(self, state: FileState) -> list[str]:
        """Record a file that failed, dropping its chunks.

        Returns:
            Ids of the dropped chunks (to delete from Chroma after this commit).
        """
        with self.transaction():
            dropped = self._drop_sources([state.source])
            self._put_file(state)
        self.keywords.changed()
        return dropped

    def remove_files(self, sources: Sequence[str]) -> list[str]:
        """Forget files and their chunks.

        Returns:
            Ids of the dropped chunks (to delete from Chroma after this commit).
        """
        with self.transaction():
            dropped = self._drop_sources(sources)
            for batch in _batches(list(sources)):
                marks = ", ".join("?" * len(batch))
                self._db.execute(f"DELETE FROM files WHERE source IN ({marks})", list(batch))
        self.keywords.changed()
        return dropped

    def forget_chunks(self, ids: Sequence[str]) -> int:
        """Drop chunks whose vectors are missing, and mark their files to be read again.

        Returns:
            Number of files that will be read again.
        """
        with self.transaction():
            sources: set[str] = set()
            for batch in _batches(list(ids)):
                marks = ", ".join("?" * len(batch))
                sql = f"SELECT DISTINCT source FROM chunks WHERE id IN ({marks})"
                sources.update(row[0] for row in self._db.execute(sql, list(batch)))
            self._delete_chunks(ids)
            self._db.executemany(
                "UPDATE files SET size = -1, file_hash = '' WHERE source = ?",
                [(source,) for source in sources],
            )
        self.keywords.changed()
        return len(sources)

    # --- helpers --------------------------------------------------------------------------------

    def _put_file(self, state: FileState) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO files (source, size, mtime_ns, file_hash, status, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (state.source, state.size, state.mtime_ns, state.file_hash, state.status, state.error),
        )

    def _insert_chunks(self, records: Sequence[ChunkRecord]) -> None:
        for record in records:
            cursor = self._db.execute(
                "INSERT INTO chunks (id, source, seq, chunk_hash, page, metadata, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.source,
                    record.seq,
                    record.chunk_hash,
                    record.page,
                    record.metadata_json,
                    record.text,
                ),
            )
            self._db.execute(
                "INSERT OR IGNORE INTO keyword_changes (rowid) VALUES (?)", (cursor.lastrowid,)
            )

    def _delete_chunks(self, ids: Sequence[str]) -> None:
        for batch in _batches(list(ids)):
            marks = ", ".join("?" * len(batch))
            self._db.execute(
                "INSERT OR IGNORE INTO keyword_changes (rowid) "
                f"SELECT rowid FROM chunks WHERE id IN ({marks})",
                list(batch),
            )
            self._db.execute(f"DELETE FROM chunks WHERE id IN ({marks})", list(batch))

    def _drop_sources(self, sources: Sequence[str]) -> list[str]:
        dropped: list[str] = []
        for batch in _batches(list(sources)):
            marks = ", ".join("?" * len(batch))
            sql = f"SELECT id FROM chunks WHERE source IN ({marks})"
            dropped.extend(row[0] for row in self._db.execute(sql, list(batch)))
        self._delete_chunks(dropped)
        return dropped


@dataclass(frozen=True)
class LedgerSummary:
    """Counts and settings of a ledger, read without writing to it."""

    files: int
    failed_files: int
    chunks: int
    meta: dict[str, str]


def read_summary(path: Path) -> LedgerSummary:
    """Summarize a ledger without creating or changing anything (safe while a run writes)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("PRAGMA query_only = ON")
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        indexed, failed = db.execute(
            "SELECT COALESCE(SUM(status = 'indexed'), 0), COALESCE(SUM(status = 'failed'), 0) "
            "FROM files"
        ).fetchone()
        (chunks,) = db.execute("SELECT COUNT(*) FROM chunks").fetchone()
    except sqlite3.OperationalError:  # created but never initialized
        return LedgerSummary(0, 0, 0, {})
    finally:
        db.close()
    return LedgerSummary(int(indexed), int(failed), int(chunks), meta)


def read_meta(path: Path) -> dict[str, str]:
    """A ledger's metadata alone (no count: cheap on every search; safe while a run writes)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("PRAGMA query_only = ON")
        return dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.OperationalError:  # created but never initialized
        return {}
    finally:
        db.close()


def _documents(db: sqlite3.Connection, ids: Sequence[str]) -> list[StoredDocument]:
    found: dict[str, StoredDocument] = {}
    for batch in _batches(list(ids)):
        marks = ", ".join("?" * len(batch))
        sql = f"SELECT id, text, metadata FROM chunks WHERE id IN ({marks})"
        for chunk_id, text, metadata in db.execute(sql, list(batch)):
            found[chunk_id] = StoredDocument(chunk_id, text, json.loads(metadata))
    return [found[chunk_id] for chunk_id in ids if chunk_id in found]


def read_documents(path: Path, ids: Sequence[str]) -> list[StoredDocument]:
    """Chunks by id, read without writing to the ledger (safe while a run writes)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("PRAGMA query_only = ON")
        return _documents(db, ids)
    finally:
        db.close()
