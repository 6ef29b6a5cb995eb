"""The keyword index follows the ledger through crashes, damage and the FTS5 migration."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from keyword_check import assert_keywords_match_ledger, indexed_rowids

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.chunks import ChunkRecord
from gpt4all_rag.localdocs.keyword_engine import STAMP_FILE, keyword_dir, read_stamp
from gpt4all_rag.localdocs.keyword_index import (
    FIRST_CANDIDATES,
    FTS_SCHEMA,
    FTS_TABLE,
    KeywordIndex,
    keyword_terms,
)
from gpt4all_rag.localdocs.ledger import FileState, FileUpdate, Ledger
from gpt4all_rag.localdocs.lock import CollectionLock

TEXTS = {
    "/docs/a.txt": ["Alpha beta gamma.", "Plotting with gnuplot terminals.", "机器学习是人工智能"],
    "/docs/b.txt": ["Beta testing of linear models.", "東京は日本の首都です。"],
}
QUERIES = ("beta", "plot gnuplot", "机器学习", "首都", "linear models alpha")


def _record(source: str, seq: int, text: str) -> ChunkRecord:
    digest = hashlib.sha256(f"{source}{seq}{text}".encode()).hexdigest()
    meta: dict[str, str | int | float | bool] = {"source": source, "chunk_hash": digest, "seq": seq}
    return ChunkRecord(f"{source}-{seq}", source, seq, digest, text, meta)


def _update(source: str, texts: list[str]) -> FileUpdate:
    records = [_record(source, i, t) for i, t in enumerate(texts)]
    return FileUpdate(FileState(source, 1, 1, "h", "indexed"), insert=records)


def _ledger(path: Path, texts: dict[str, list[str]] = TEXTS) -> None:
    with Ledger(path) as ledger:
        ledger.apply([_update(source, chunks) for source, chunks in texts.items()])


def _results(path: Path) -> dict[str, list[str]]:
    index = KeywordIndex(path)
    return {query: [chunk for chunk, _ in index.search(query, 10)] for query in QUERIES}


def _killed_after_commit(path: Path, update: FileUpdate) -> None:
    """A run killed after the ledger's commit, before the keyword index took the outbox."""
    ledger = Ledger(path)
    ledger.apply([update])
    assert ledger.keywords.pending() > 0
    ledger._db.close()  # no sync: as a kill -9 here would leave it


def test_changes_wait_in_the_outbox_until_synced(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _ledger(path)
    _killed_after_commit(path, _update("/docs/c.txt", ["Delta epsilon."]))
    assert KeywordIndex(path).search("delta") == []  # readers see the last index commit
    with Ledger(path) as ledger:  # the next writer applies the outbox first
        assert ledger.keywords.pending() == 0
    assert [chunk for chunk, _ in KeywordIndex(path).search("delta")] == ["/docs/c.txt-0"]
    assert_keywords_match_ledger(path)


def test_outbox_applied_twice_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _ledger(path)
    before = _results(path)
    db = sqlite3.connect(path)  # killed after the index commit, before the outbox was cleared
    db.execute("INSERT INTO keyword_changes (rowid) SELECT rowid FROM chunks")
    db.commit()
    db.close()
    Ledger(path).close()
    assert _results(path) == before
    assert_keywords_match_ledger(path)


def test_deletes_reach_the_index(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _ledger(path)
    with Ledger(path) as ledger:
        ledger.remove_files(["/docs/b.txt"])
    assert KeywordIndex(path).search("首都") == []
    assert_keywords_match_ledger(path)


@pytest.mark.parametrize("damage", ["missing", "stamp", "other_ledger", "corrupt", "extra_doc"])
def test_damaged_index_is_rebuilt(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "ledger.sqlite3"
    _ledger(path)
    before = _results(path)
    directory = keyword_dir(path)
    if damage == "missing":
        shutil.rmtree(directory)
    elif damage == "stamp":
        (directory / STAMP_FILE).write_text("{not json")
    elif damage == "other_ledger":
        (directory / STAMP_FILE).write_text('{"ledger_id": "x", "version": "1", "build": "y"}')
    elif damage == "corrupt":
        (directory / "meta.json").write_text("garbage")
    else:  # an outbox row lost: the count check catches the index holding a chunk too many
        db = sqlite3.connect(path)
        db.execute("DELETE FROM chunks WHERE id = '/docs/a.txt-0'")
        db.execute("INSERT INTO keyword_changes (rowid) SELECT max(rowid) FROM chunks")
        db.commit()
        db.close()
        before = {q: [c for c in ids if c != "/docs/a.txt-0"] for q, ids in before.items()}
    Ledger(path).close()
    assert _results(path) == before
    assert_keywords_match_ledger(path)


def _old_ledger(path: Path) -> None:
    """A ledger as written before the Tantivy engine: chunk_fts, no keyword index beside it."""
    _ledger(path)
    shutil.rmtree(keyword_dir(path))
    db = sqlite3.connect(path)
    db.execute("DROP TABLE keyword_changes")
    db.execute(FTS_SCHEMA)
    rows = db.execute("SELECT rowid, text FROM chunks").fetchall()
    db.executemany(
        f"INSERT INTO {FTS_TABLE} (rowid, terms) VALUES (?, ?)",
        [(rowid, keyword_terms(text)) for rowid, text in rows],
    )
    db.commit()
    db.close()


def test_old_ledger_is_searched_by_fts5_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _old_ledger(path)
    before = _results(path)  # exact FTS5 BM25, as before this engine
    assert before["机器学习"] == ["/docs/a.txt-2"] and before["首都"] == ["/docs/b.txt-1"]
    Ledger(path).close()  # the next run's open builds the index and drops the FTS5 table
    db = sqlite3.connect(path)
    assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone()
    db.close()
    assert _results(path) == before
    assert_keywords_match_ledger(path)


def test_filter_looks_past_the_first_candidates(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    many = ["common word here"] * (3 * FIRST_CANDIDATES)
    rare = ["common " + "filler " * 40 + str(i) for i in range(3)]  # long: lowest BM25
    _ledger(path, {"/docs/many.txt": many, "/docs/rare.txt": rare})
    index = KeywordIndex(path)
    everything = index.search("common", k=10_000)
    assert [chunk for chunk, _ in everything][-3:] == [f"/docs/rare.txt-{i}" for i in range(3)]
    filtered = index.search("common", k=2, where={"source": "/docs/rare.txt"})
    assert filtered == [hit for hit in everything if hit[0].startswith("/docs/rare")][:2]
    assert index.search("common", k=5, where={"source": {"$in": []}}) == []
    assert index.search("common", k=5, where={"seq": {"$gte": 1, "$lt": 3}}) == [
        hit for hit in everything if hit[0] in {"/docs/many.txt-1", "/docs/many.txt-2"}
    ] + [hit for hit in everything if hit[0] in {"/docs/rare.txt-1", "/docs/rare.txt-2"}]


def test_index_holds_each_chunk_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _ledger(path)
    with Ledger(path) as ledger:
        ledger.remove_files(["/docs/a.txt"])
        ledger.apply([_update("/docs/a.txt", TEXTS["/docs/a.txt"])])
    db = sqlite3.connect(path)
    rowids = sorted(row[0] for row in db.execute("SELECT rowid FROM chunks"))
    db.close()
    assert indexed_rowids(path) == rowids


def test_first_search_builds_the_index_unless_a_run_holds_the_lock(tmp_path: Path) -> None:
    docs = LocalDocs("old", settings=Settings(home=tmp_path))
    _old_ledger(docs.ledger_path)
    expected = _results(docs.ledger_path)
    with CollectionLock(docs.layout.lock_path("old"), "old"):  # a run is writing: FTS5 meanwhile
        assert docs.keyword_index.search("首都", 3)[0][0] == "/docs/b.txt-1"
        assert read_stamp(keyword_dir(docs.ledger_path)) is None
    assert docs.keyword_index.search("首都", 3)[0][0] == "/docs/b.txt-1"
    assert read_stamp(keyword_dir(docs.ledger_path)) is not None
    assert _results(docs.ledger_path) == expected


def test_first_search_after_a_killed_run_takes_its_outbox(tmp_path: Path) -> None:
    docs = LocalDocs("killed", settings=Settings(home=tmp_path))
    _ledger(docs.ledger_path)
    _killed_after_commit(docs.ledger_path, _update("/docs/c.txt", ["Delta epsilon."]))
    with CollectionLock(docs.layout.lock_path("killed"), "killed"):  # a run is writing
        assert docs.keyword_index.search("delta") == []  # the index's last commit
    assert [chunk for chunk, _ in docs.keyword_index.search("delta")] == ["/docs/c.txt-0"]
    assert_keywords_match_ledger(docs.ledger_path)
