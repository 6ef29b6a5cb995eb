"""LocalDocs with fake embeddings: settings enforced, locking, listing, removal, search."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from chromadb.api.client import SharedSystemClient
from ld_fakes import FakeEmbeddings

from gpt4all_rag.config import Settings
from gpt4all_rag.errors import (
    ChunkSizeError,
    CollectionLockedError,
    CollectionMismatchError,
    CollectionNotFoundError,
    InvalidCollectionNameError,
)
from gpt4all_rag.localdocs import LocalDocs, ProgressUpdate
from gpt4all_rag.localdocs.splitting import SplitSettings

TEXT = "\n\n".join(f"Paragraph {i} talks about topic {i} and nothing else." for i in range(12))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text(TEXT)
    (root / "b.md").write_text("# Title\n\nSome *markdown* text about gnuplot.")
    return root


def make(settings: Settings, name: str = "docs", **options: object) -> LocalDocs:
    options.setdefault("embeddings", FakeEmbeddings())
    return LocalDocs(name, settings=settings, **options)  # type: ignore[arg-type]


def test_index_search_and_documents(settings: Settings, folder: Path) -> None:
    docs = make(settings)
    report = docs.index([folder])
    assert report.added == 2 and report.failed == []

    hits = docs.vector_search("Paragraph 3 talks about topic 3 and nothing else.", k=3)
    assert hits and all(hit.document.id == hit.id for hit in hits)
    keyword = docs.keyword_index.search("gnuplot", k=5)
    assert len(keyword) == 1
    (document,) = docs.get_documents([keyword[0][0]])
    assert "gnuplot" in document.page_content
    assert document.metadata["source"] == str((folder / "b.md").resolve())
    assert document.id == keyword[0][0]


def test_model_mismatch_names_both_and_offers_rebuild(settings: Settings, folder: Path) -> None:
    make(settings).index([folder])
    other = make(settings, embeddings=FakeEmbeddings("other-model:16"))
    with pytest.raises(CollectionMismatchError) as caught:
        other.index([folder])
    message = str(caught.value)
    assert "fake-model:16" in message and "other-model:16" in message and "--rebuild" in message

    report = other.index([folder], rebuild=True)
    assert report.added == 2
    assert other.info().embedding_model == "other-model:16"
    with pytest.raises(CollectionMismatchError):
        make(settings).vector_search("x")


def test_split_settings_recorded_and_enforced(settings: Settings, folder: Path) -> None:
    make(settings, split_settings=SplitSettings(chunk_tokens=64, overlap_tokens=8)).index([folder])
    assert make(settings).index([folder]).unchanged == 2  # recorded settings are reused
    with pytest.raises(CollectionMismatchError, match="chunk_tokens"):
        make(settings, split_settings=SplitSettings()).index([folder])
    info = make(settings).info()
    assert (info.chunk_tokens, info.overlap_tokens) == (64, 8)


def test_chunks_too_large_for_model_stop_the_run(settings: Settings, folder: Path) -> None:
    docs = make(settings, split_settings=SplitSettings(chunk_tokens=1000, overlap_tokens=0))
    with pytest.raises(ChunkSizeError):
        docs.index([folder])


def test_invalid_name() -> None:
    with pytest.raises(InvalidCollectionNameError):
        LocalDocs("a b")


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gpt4all_rag.localdocs.lock import CollectionLock
    CollectionLock(Path(sys.argv[1]), "docs").acquire()
    print("locked", flush=True)
    time.sleep(60)
    """
)


@pytest.mark.slow
def test_second_writer_gets_an_error_at_once(settings: Settings, folder: Path) -> None:
    docs = make(settings)
    lock_path = docs.layout.lock_path("docs")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(CollectionLockedError, match=f"PID {holder.pid}"):
            docs.index([folder])
        with pytest.raises(CollectionLockedError):
            docs.remove()
    finally:
        holder.kill()
        holder.wait()
    assert docs.index([folder]).added == 2


def test_list_info_remove(settings: Settings, folder: Path) -> None:
    assert LocalDocs.list_collections(settings) == []
    make(settings, "one").index([folder])
    make(settings, "two").index([folder / "a.txt"])
    infos = {info.name: info for info in LocalDocs.list_collections(settings)}
    assert set(infos) == {"one", "two"}
    assert infos["one"].files == 2 and infos["two"].files == 1
    assert infos["one"].chunks > infos["two"].chunks > 0
    assert infos["one"].embedding_model == "fake-model:16"
    assert infos["one"].size_bytes > 0 and not infos["one"].interrupted

    make(settings, "one").remove()
    assert [info.name for info in LocalDocs.list_collections(settings)] == ["two"]
    with pytest.raises(CollectionNotFoundError, match="two"):
        make(settings, "one").remove()
    with pytest.raises(CollectionNotFoundError):
        _ = make(settings, "one").vector_store
    assert make(settings, "two").vector_store.count() == infos["two"].chunks


def test_foreign_chroma_collection_is_not_adopted(settings: Settings, folder: Path) -> None:
    docs = make(settings)
    docs.index([folder])
    shutil.rmtree(docs.layout.collection_dir("docs"))  # ledger lost, vectors still there
    fresh = make(settings)
    with pytest.raises(CollectionMismatchError, match="--rebuild"):
        fresh.index([folder])
    assert fresh.index([folder], rebuild=True).added == 2


def test_lost_embedded_store_is_rebuilt(settings: Settings, folder: Path) -> None:
    make(settings).index([folder])
    shutil.rmtree(settings.home / "chroma")
    SharedSystemClient.clear_system_cache()  # as a new process would see it
    embeddings = FakeEmbeddings()
    docs = make(settings, embeddings=embeddings)
    report = docs.index([folder])
    assert report.chunks_embedded > 0
    assert docs.vector_store.count() == docs.info().chunks


def test_progress_updates(settings: Settings, folder: Path) -> None:
    updates: list[ProgressUpdate] = []
    make(settings, batch_size=2).index([folder], progress=updates.append)
    phases = [u.phase for u in updates]
    assert phases[0] == "scanning" and phases[-1] == "done"
    last = updates[-1]
    assert last.files_done == last.files_total == 2
    assert last.chunks_embedded > 0 and last.embeddings_per_second > 0
    assert any(u.current.endswith("a.txt") for u in updates)
    # The model is loaded once, before the first batch, and says so.
    loading = phases.index("loading model")
    assert phases.count("loading model") == 1 and updates[loading].chunks_embedded == 0


def test_an_empty_folder_makes_an_empty_collection_that_search_accepts(
    settings: Settings, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    report = make(settings, "empty").index([empty])

    assert (report.added, report.failed) == (0, [])
    docs = make(settings, "empty")
    assert docs.vector_search("anything", k=3) == []
    assert docs.as_retriever(k=3).invoke("anything") == []
    (info,) = LocalDocs.list_collections(settings)
    assert (info.name, info.files, info.chunks, info.interrupted) == ("empty", 0, 0, False)


def test_a_failed_first_run_leaves_no_collection(settings: Settings, tmp_path: Path) -> None:
    from gpt4all_rag.errors import IndexPathNotFoundError

    with pytest.raises(IndexPathNotFoundError):
        make(settings, "brandnew").index([tmp_path / "no-such-path"])

    assert LocalDocs.list_collections(settings) == []
    assert not make(settings, "brandnew").layout.collection_dir("brandnew").exists()
    with pytest.raises(CollectionNotFoundError):
        make(settings, "brandnew").info()


def test_a_failed_later_run_keeps_the_collection(
    settings: Settings, folder: Path, tmp_path: Path
) -> None:
    from gpt4all_rag.errors import IndexPathNotFoundError

    make(settings).index([folder])
    with pytest.raises(IndexPathNotFoundError):
        make(settings).index([tmp_path / "no-such-path"])

    (info,) = LocalDocs.list_collections(settings)
    assert info.files == 2 and not info.interrupted
