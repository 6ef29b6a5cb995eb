"""Keeping the keyword index equal to the ledger, through a crash at any point.

The ledger writes, in the same transaction as its chunk changes, the ``rowid`` of every chunk
added or deleted into an outbox table (``keyword_changes``). Applying the outbox is idempotent:
for each rowid, delete the index's documents with that rowid, then add the chunk if the ledger
still has it; commit the index; only then clear the applied outbox rows. A kill -9 before the
index commit leaves the outbox to be applied again by the next writer; one after it, rows that
are applied twice to the same result.

A missing, unreadable or other-version index, or one built from another ledger (its stamp says
which), is rebuilt from the ledger's chunks, and so is one whose document count disagrees with
the ledger after a sync. Only the holder of the collection lock (the ledger's writer) syncs.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import tantivy

from gpt4all_rag.localdocs.keyword_engine import (
    WRITER_HEAP,
    keyword_dir,
    open_index,
    read_stamp,
    write_stamp,
)
from gpt4all_rag.localdocs.keyword_index import FTS_TABLE, keyword_terms

OUTBOX_SCHEMA = "CREATE TABLE IF NOT EXISTS keyword_changes (rowid INTEGER PRIMARY KEY)"
"""The outbox: rowids of chunks whose keywords the index has not taken yet."""

SYNC_EVERY_S = 2.0
"""During a run, the index takes the outbox at most this often (a commit costs tens of ms)."""

_READ_BATCH = 2_000


def keywords_behind(ledger_path: Path) -> bool:
    """Whether the ledger's keyword index is missing or has outbox rows to take (read only)."""
    if read_stamp(keyword_dir(ledger_path)) is None:
        return True
    db = sqlite3.connect(ledger_path, timeout=30)
    try:
        db.execute("PRAGMA query_only = ON")
        return db.execute("SELECT 1 FROM keyword_changes LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # no outbox table: written before this engine
        return True
    finally:
        db.close()


class KeywordSync:
    """Applies a ledger's keyword outbox to its keyword index (the ledger's writer only).

    Args:
        db: The ledger's connection (autocommit mode; used outside its transactions).
        directory: The keyword index directory.
        ledger_id: The ledger's id, recorded in the index's stamp.
    """

    def __init__(self, db: sqlite3.Connection, directory: Path, ledger_id: str) -> None:
        self._db = db
        self.directory = directory
        self._ledger_id = ledger_id
        self._last_sync = 0.0

    def open(self) -> None:
        """Rebuild the index if it is not a complete one of this ledger, else apply the outbox;
        then drop the FTS5 table of ledgers written before this engine."""
        stamp = read_stamp(self.directory)
        if stamp is None or stamp.ledger_id != self._ledger_id or not self._readable():
            self.rebuild()
        else:
            self.sync()
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone():
            self._db.execute(f"DROP TABLE {FTS_TABLE}")

    def changed(self) -> None:
        """Note committed chunk changes: sync if the last sync is more than a moment old."""
        if time.monotonic() - self._last_sync >= SYNC_EVERY_S:
            self.sync()

    def pending(self) -> int:
        """Rows in the outbox."""
        return int(self._db.execute("SELECT COUNT(*) FROM keyword_changes").fetchone()[0])

    def sync(self) -> None:
        """Apply the outbox to the index, commit it, clear the applied rows."""
        rowids = [row[0] for row in self._db.execute("SELECT rowid FROM keyword_changes")]
        if rowids:
            index = open_index(self.directory)
            writer = index.writer(WRITER_HEAP, 1)
            try:
                for rowid in rowids:
                    writer.delete_documents_by_term("rowid", rowid)
                self._add(writer, _chunks_with_rowids(self._db, rowids))
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._clear(rowids)
            index.reload()
            if index.searcher().num_docs != self._chunk_count():
                self.rebuild()
        self._last_sync = time.monotonic()

    def rebuild(self) -> None:
        """Build the index anew from every chunk of the ledger."""
        shutil.rmtree(self.directory, ignore_errors=True)
        index = open_index(self.directory, create=True)
        writer = index.writer(WRITER_HEAP, 1)
        try:
            self._add(writer, _all_chunks(self._db))
            writer.commit()
        finally:
            writer.wait_merging_threads()
        write_stamp(self.directory, self._ledger_id)
        self._db.execute("DELETE FROM keyword_changes")
        self._last_sync = time.monotonic()

    def _readable(self) -> bool:
        try:
            open_index(self.directory).searcher()
        except (OSError, ValueError):
            return False
        return True

    def _add(self, writer: tantivy.IndexWriter, rows: Iterable[tuple[int, str]]) -> None:
        for rowid, text in rows:
            writer.add_document(tantivy.Document(rowid=rowid, terms=keyword_terms(text)))

    def _clear(self, rowids: list[int]) -> None:
        for start in range(0, len(rowids), 500):
            batch = rowids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            self._db.execute(f"DELETE FROM keyword_changes WHERE rowid IN ({marks})", batch)

    def _chunk_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])


def _chunks_with_rowids(db: sqlite3.Connection, rowids: list[int]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for start in range(0, len(rowids), 500):
        batch = rowids[start : start + 500]
        marks = ", ".join("?" * len(batch))
        sql = f"SELECT rowid, text FROM chunks WHERE rowid IN ({marks})"
        found.extend(db.execute(sql, batch).fetchall())
    return found


def _all_chunks(db: sqlite3.Connection) -> Iterator[tuple[int, str]]:
    last = 0
    while True:
        batch = db.execute(
            "SELECT rowid, text FROM chunks WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last, _READ_BATCH),
        ).fetchall()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]
