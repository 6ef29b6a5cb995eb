"""Small parts: collection names, chunk ids, filters, the ledger and the writer lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from langchain_core.documents import Document

from gpt4all_rag.config import Settings
from gpt4all_rag.errors import CollectionLockedError, InvalidCollectionNameError
from gpt4all_rag.localdocs.chunks import chunk_id, chunk_records
from gpt4all_rag.localdocs.keyword_index import KeywordIndex
from gpt4all_rag.localdocs.layout import Layout, server_key, validate_collection_name
from gpt4all_rag.localdocs.ledger import FileState, FileUpdate, Ledger, read_summary
from gpt4all_rag.localdocs.lock import CollectionLock
from gpt4all_rag.localdocs.where import where_sql


@pytest.mark.parametrize("name", ["abc", "my-docs_2.0", "A" * 63, "1ab"])
def test_valid_names(name: str) -> None:
    assert validate_collection_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ab", "2 characters"),
        ("a" * 64, "64 characters"),
        ("my docs", "outside"),
        ("-abc", "start and end"),
        ("abc_", "start and end"),
        ("a..b", "'..'"),
        ("192.168.1.1", "IPv4"),
        ("名字名字", "outside"),
    ],
)
def test_invalid_names_say_why_and_what(name: str, reason: str) -> None:
    with pytest.raises(InvalidCollectionNameError) as caught:
        validate_collection_name(name)
    assert reason in str(caught.value) and "3 to 63 characters" in str(caught.value)


def test_layouts(tmp_path: Path) -> None:
    embedded = Layout.for_settings(Settings(home=tmp_path))
    assert embedded.ledger_path("docs") == tmp_path / "collections" / "docs" / "ledger.sqlite3"
    assert embedded.chroma_path == tmp_path / "chroma"
    server = Layout.for_settings(Settings(home=tmp_path), "http://localhost:8123")
    assert server.root == tmp_path / "servers" / "http_localhost_8123"
    assert server.chroma_path is None and server.location == "http://localhost:8123"
    assert server_key("https://chroma.example.com/") == "https_chroma.example.com_443"


def test_chunk_ids_are_deterministic_and_count_occurrences() -> None:
    docs = [
        Document(page_content=t, metadata={"source": "x", "page": 2, "content_hash": "c"})
        for t in ("a", "b", "a")
    ]
    records = chunk_records("/f.pdf", docs)
    assert [r.id for r in records] == [r.id for r in chunk_records("/f.pdf", docs)]
    assert len({r.id for r in records}) == 3
    assert records[2].id == chunk_id("/f.pdf", records[0].chunk_hash, 1)
    assert records[0].metadata["source"] == "/f.pdf" and records[0].page == 2
    assert "content_hash" not in records[0].metadata
    assert chunk_records("/g.pdf", docs)[0].id != records[0].id


def test_where_sql() -> None:
    sql, params = where_sql({"$or": [{"a": 1}, {"b": {"$nin": ["x", "y"]}}]}, "m")
    assert params == [1, "x", "y"]
    assert "OR" in sql and "NOT IN" in sql
    assert where_sql(None, "m") == ("1", [])
    with pytest.raises(ValueError, match="Unsupported"):
        where_sql({"a": {"$regex": "x"}}, "m")
    with pytest.raises(ValueError, match="Unsupported"):
        where_sql({"a;drop": 1}, "m")


def test_ledger_apply_forget_remove(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    docs = [Document(page_content=t, metadata={}) for t in ("one", "two", "three")]
    records = chunk_records("/a.txt", docs)
    with Ledger(path) as ledger:
        ledger.apply([FileUpdate(FileState("/a.txt", 3, 4, "h", "indexed"), insert=records)])
        assert ledger.all_chunk_ids() == {r.id for r in records}
        assert ledger.ids_for_hashes([records[1].chunk_hash]) == {
            records[1].chunk_hash: records[1].id
        }
        assert [d.text for d in ledger.documents([records[2].id, "nope", records[0].id])] == [
            "three",
            "one",
        ]
        assert ledger.forget_chunks([records[0].id]) == 1
        state = ledger.files()["/a.txt"]
        assert state.size == -1 and state.file_hash == ""
        assert sorted(ledger.remove_files(["/a.txt"])) == sorted([records[1].id, records[2].id])
        assert ledger.files() == {} and ledger.all_chunk_ids() == set()
        ledger.keywords.sync()
        assert ledger.keywords.pending() == 0
    assert read_summary(path).chunks == 0
    assert KeywordIndex(path).search("one two three") == []


def test_run_mark(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.begin_run() is False
        assert ledger.interrupted
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        assert ledger.begin_run() is True  # the first run never ended
        ledger.end_run(1)
        assert not ledger.interrupted


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    records = chunk_records("/a.txt", [Document(page_content="x", metadata={})])
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        state = FileState("/a.txt", 1, 1, "h", "indexed")
        ledger.apply([FileUpdate(state, insert=records)])
        with pytest.raises(Exception, match="UNIQUE"):
            ledger.apply([FileUpdate(state, insert=records)])
        assert len(ledger.all_chunk_ids()) == 1


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gpt4all_rag.localdocs.lock import CollectionLock
    lock = CollectionLock(Path(sys.argv[1]), "docs")
    lock.acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.slow
def test_second_writer_is_refused_at_once_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "writer.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(CollectionLockedError) as caught:
            CollectionLock(path, "docs").acquire()
        assert time.monotonic() - started < 1
        assert f"PID {holder.pid}" in str(caught.value) and "'docs'" in str(caught.value)
        holder.send_signal(signal.SIGKILL)  # the OS frees the lock of a killed writer
        holder.wait()
        with CollectionLock(path, "docs") as lock:
            assert lock.held
            assert path.read_text().split("\n")[0] == str(os.getpid())
    finally:
        holder.kill()
        holder.wait()
