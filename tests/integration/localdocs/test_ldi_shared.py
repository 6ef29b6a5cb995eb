"""A collection on a real `chroma run` server is whole: indexed from one data home, searched from
another with no ledger; one writer at a time (a lease on the server); readers see whole files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import pytest
from ldi_helpers import assert_shared_statistics

from gpt4all_rag.config import Settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.keyword_index import fts_query, keyword_terms
from gpt4all_rag.localdocs.shared_record import visible
from gpt4all_rag.localdocs.shared_store import LEASES_COLLECTION, SharedVectorStore
from gpt4all_rag.localdocs.shared_tokens import TOKENIZER
from gpt4all_rag.localdocs.store import make_client

pytestmark = [pytest.mark.models, pytest.mark.slow, pytest.mark.chroma_server]

REPO = Path(__file__).resolve().parents[3]
VERSION = re.compile(r"\bv\d\b")
LEASE = 30
CLI = [sys.executable, "-c", "from gpt4all_rag.cli import app; app()"]


def _home(tmp_path: Path, name: str) -> Settings:
    home = tmp_path / name
    home.mkdir()
    return Settings(home=home)


def _by_score(pairs: list[tuple[str, float]]) -> list[tuple[float, str]]:
    return sorted((-round(score, 6), chunk_id) for chunk_id, score in pairs)


def _hit(ids: list[str], docs: LocalDocs, gold: str) -> bool:
    return any(Path(str(d.metadata["source"])).name == gold for d in docs.get_documents(ids)[:5])


def test_a_reader_home_searches_the_writers_collection_with_the_same_results(
    chroma_server: str, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    root = shutil.copytree(REPO / "bench" / "qa" / "zh_docs", tmp_path / "zh_docs")
    writer = LocalDocs(
        "team", settings=_home(tmp_path, "a"), chroma_url=chroma_server, embeddings=embeddings
    )
    assert writer.index([root]).added == 12
    reader_settings = _home(tmp_path, "b")
    reader = LocalDocs(
        "team", settings=reader_settings, chroma_url=chroma_server, embeddings=embeddings
    )

    assert not reader.ledger_path.exists()
    assert [i.name for i in LocalDocs.list_collections(reader_settings, chroma_server)] == ["team"]
    info = reader.info()
    assert (info.files, info.chunks) == (12, writer.info().chunks)
    assert len(reader.sources()) == 12
    chunks = writer.vector_store.collection.get(include=["documents"])
    fts5 = Fts5Reference(dict(zip(chunks["ids"], chunks["documents"] or [], strict=True)))
    embedded = LocalDocs("team", settings=_home(tmp_path, "c"), embeddings=embeddings)
    embedded.index([root])  # the same files in the embedded store, for comparison
    questions = [json.loads(line) for line in (REPO / "bench/qa/zh.jsonl").read_text().splitlines()]
    hits = {"writer": 0, "reader": 0, "embedded": 0}
    for question in questions:
        text, gold = question["question"], question["source"]
        shared = reader.keyword_index.search(text, 10)
        exact = fts5.search(text, 10)
        assert [s for _, s in shared] == pytest.approx([s for _, s in exact])  # FTS5's BM25
        assert _by_score(shared) == _by_score(exact)  # the same chunks (ties in any order)
        by_writer = [str(d.id) for d in writer.as_retriever(k=5).invoke(text)]
        by_reader = [str(d.id) for d in reader.as_retriever(k=5).invoke(text)]
        assert by_reader == by_writer
        hits["writer"] += _hit(by_writer, writer, gold)
        hits["reader"] += _hit(by_reader, reader, gold)
        by_embedded = [str(d.id) for d in embedded.as_retriever(k=5).invoke(text)]
        hits["embedded"] += _hit(by_embedded, embedded, gold)
    assert hits["reader"] == hits["writer"] == hits["embedded"] >= 8, hits

    from fastapi.testclient import TestClient

    from gpt4all_rag.server.app import create_app

    library = Settings(home=reader_settings.home, chroma_url=chroma_server)
    with TestClient(
        create_app(library=library), base_url="http://127.0.0.1"
    ) as http:  # `serve` on the reader's home
        listed = http.get("/v1/collections").json()
        card = http.get("/v1/collections/team").json()
    assert [c["id"] for c in listed["data"]] == ["team"], listed
    assert (card["files"], card["chunks"]) == (12, info.chunks), card


def test_a_second_writer_is_refused_until_a_stalled_writers_lease_expires(
    chroma_server: str, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for number in range(40):
        (root / f"f{number}.txt").write_text(
            "\n\n".join(f"Paragraph {i} of file {number}: " + "words " * 120 for i in range(20))
        )
    homes = {name: tmp_path / name for name in ("a", "b")}
    for home in homes.values():
        home.mkdir()
        (home / "bundled").symlink_to(Path(os.environ["GPT4ALL_RAG_HOME"]) / "bundled")
    env = {**os.environ, "GPT4ALL_RAG_CHROMA_URL": chroma_server}
    env["GPT4ALL_RAG_WRITER_LEASE_SECONDS"] = str(LEASE)  # long enough for a slow CLI start

    def index(home: str, *flags: str) -> subprocess.Popen[str]:
        command = [*CLI, "--home", str(homes[home]), "index", str(root), "-c", "crew", *flags]
        return subprocess.Popen(command, env=env, text=True, stderr=subprocess.PIPE)

    first = index("a")
    settings_b = Settings(home=homes["b"])
    leases = make_client(LocalDocs("crew", settings=settings_b, chroma_url=chroma_server).layout)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None:
        if leases.get_or_create_collection(LEASES_COLLECTION).get(ids=["crew"])["ids"]:
            break
        time.sleep(0.2)
    assert first.poll() is None, "the first writer ended before it could be stopped"
    # A writer that stalls (a frozen machine, a network partition) stops renewing its lease;
    # its process is alive, so nothing but the lease's expiry frees the collection.
    os.kill(first.pid, signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        second = index("b")
        _, stderr = second.communicate(timeout=120)
        assert second.returncode == 2, stderr
        (line,) = [line for line in stderr.splitlines() if line.startswith("Error:")]
        assert "Collection 'crew' on" in line and "is being written from host" in line
        assert "Traceback" not in stderr

        assert time.monotonic() < stopped_at + LEASE  # refused while the lease was valid
        time.sleep(max(0.0, stopped_at + LEASE + 0.5 - time.monotonic()))
        third = index("b", "--rebuild")  # the lease expired: another home may take over
        _, stderr = third.communicate(timeout=900)
        assert third.returncode == 0, stderr
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, stderr = first.communicate(timeout=300)
    assert first.returncode in (2, 3), stderr  # it lost its lease: it stops, one line
    assert "Traceback" not in stderr
    reader = LocalDocs("crew", settings=settings_b, chroma_url=chroma_server)
    assert reader.info().files == 40 and len(reader.sources()) == 40
    assert not leases.get_or_create_collection(LEASES_COLLECTION).get(ids=["crew"])["ids"]


def test_a_reader_polling_during_an_index_never_sees_part_of_a_file(
    chroma_server: str, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    root = tmp_path / "docs"
    root.mkdir()

    def write(version: int) -> None:
        for number in range(12):
            paragraphs = [
                f"Version v{version} file {number} paragraph {i}. " + "filler text " * 60
                for i in range(4 + version)  # a new version has another chunk count
            ]
            (root / f"f{number}.txt").write_text("\n\n".join(paragraphs))

    write(1)
    settings_a = _home(tmp_path, "a")
    writer = LocalDocs(
        "polled",
        settings=settings_a,
        chroma_url=chroma_server,
        embeddings=embeddings,
        batch_size=4,  # many commits: one every few files
    )
    writer.index([root])
    expected = {"v1": _chunks_per_file(writer)}
    reader = LocalDocs(
        "polled", settings=_home(tmp_path, "b"), chroma_url=chroma_server, embeddings=embeddings
    )
    store = reader.vector_store
    assert isinstance(store, SharedVectorStore)
    write(2)
    done = threading.Event()
    seen: list[dict[str, tuple[set[str], int]]] = []  # per poll: file -> (versions, chunks)

    def poll() -> None:
        while not done.is_set():
            generation = store.record().generation
            page = store.collection.get(
                where=cast(Any, visible(None, generation)), include=["documents", "metadatas"]
            )
            files: dict[str, list[str]] = defaultdict(list)
            for text, meta in zip(page["documents"] or [], page["metadatas"] or [], strict=True):
                files[str((meta or {})["source"])].append(text or "")
            seen.append({s: ({*VERSION.findall(" ".join(v))}, len(v)) for s, v in files.items()})

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        report = writer.index([root])
    finally:
        done.set()
        thread.join()
    assert report.updated == 12
    assert_shared_statistics(writer)
    expected["v2"] = _chunks_per_file(writer)
    assert all(expected["v2"][s] > expected["v1"][s] for s in expected["v1"])
    versions = set()
    for snapshot in seen:
        assert len(snapshot) == 12  # no file ever missing
        for source, (versions_seen, count) in snapshot.items():
            (version,) = versions_seen  # never old and new chunks of one file together
            assert count == expected[version][source]  # and never part of a version
            versions.add(version)
    assert len(seen) >= 3 and versions == {"v1", "v2"}, (len(seen), versions)


def _chunks_per_file(docs: LocalDocs) -> dict[str, int]:
    """Chunks of each file, as committed."""
    page = docs.vector_store.collection.get(include=["metadatas"])
    counts: dict[str, int] = defaultdict(int)
    for meta in page["metadatas"] or []:
        counts[str((meta or {})["source"])] += 1
    return dict(counts)


class Fts5Reference:
    """SQLite FTS5's own BM25 over given chunks (the ranking the shared search computes)."""

    def __init__(self, texts: dict[str, str | None]) -> None:
        self._ids = list(texts)
        self._db = sqlite3.connect(":memory:")
        self._db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{TOKENIZER}')")
        self._db.executemany(
            "INSERT INTO t (rowid, x) VALUES (?, ?)",
            [(n, keyword_terms(texts[i] or "")) for n, i in enumerate(self._ids)],
        )

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        rows = self._db.execute(
            "SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT ?",
            [fts_query(query), k],
        ).fetchall()
        return [(self._ids[rowid], -score) for rowid, score in rows]
