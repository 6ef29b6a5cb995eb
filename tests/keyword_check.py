"""Checks that a collection's keyword index equals its ledger (used after crash and recovery)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import tantivy

from gpt4all_rag.localdocs.keyword_engine import keyword_dir, open_index
from gpt4all_rag.localdocs.keyword_index import KeywordIndex
from gpt4all_rag.localdocs.ledger import Ledger


def indexed_rowids(ledger_path: Path) -> list[int]:
    """The rowids the keyword index holds (at its last commit), sorted."""
    searcher = open_index(keyword_dir(ledger_path)).searcher()
    hits = searcher.search(tantivy.Query.all_query(), limit=searcher.num_docs + 1, count=False)
    addresses = [address for _, address in hits.hits]
    return sorted(int(str(value)) for value in searcher.fast_field_values("rowid", addresses))


def assert_keywords_match_ledger(ledger_path: Path, queries: int = 6) -> None:
    """The keyword index holds exactly the ledger's chunks, nothing pending, and finds the same
    chunks as an index built afresh from a copy of the ledger for words of its chunks."""
    db = sqlite3.connect(ledger_path)
    try:
        rows = db.execute("SELECT rowid, text FROM chunks ORDER BY rowid").fetchall()
        (pending,) = db.execute("SELECT COUNT(*) FROM keyword_changes").fetchone()
    finally:
        db.close()
    assert pending == 0, "keyword outbox not applied"
    assert indexed_rowids(ledger_path) == [rowid for rowid, _ in rows], "keyword index != ledger"
    words = [
        re.findall(r"[A-Za-z]{4,}", text)[:3] for _, text in rows[:: max(1, len(rows) // queries)]
    ]
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "ledger.sqlite3"
        source = sqlite3.connect(ledger_path)
        target = sqlite3.connect(fresh)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        Ledger(fresh).close()  # no keyword index beside the copy: built from its chunks
        for query in (" ".join(group) for group in words if group):
            limit = len(rows) + 1
            found = {chunk for chunk, _ in KeywordIndex(ledger_path).search(query, limit)}
            rebuilt = {chunk for chunk, _ in KeywordIndex(fresh).search(query, limit)}
            assert found == rebuilt, f"keyword index and ledger disagree on {query!r}"
        shutil.rmtree(keyword_dir(fresh), ignore_errors=True)
