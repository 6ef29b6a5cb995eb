"""The same guarantees against a real `chroma run` server (HttpClient)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ldi_helpers import assert_exact, assert_shared_statistics, mixed_folder

from gpt4all_rag.config import Settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.errors import VectorStoreUnavailableError
from gpt4all_rag.localdocs import LocalDocs

pytestmark = [pytest.mark.models, pytest.mark.chroma_server]


def test_index_noop_edit_on_a_server(
    chroma_server: str, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    settings = Settings(home=tmp_path / "home")
    root = mixed_folder(tmp_path / "docs")
    docs = LocalDocs("served", settings=settings, embeddings=embeddings, chroma_url=chroma_server)

    first = docs.index([root])
    assert first.added == 7 and first.failed == []
    assert_exact(docs, root, embeddings)
    assert not (settings.home / "chroma").exists()  # nothing embedded locally
    assert docs.ledger_path.is_relative_to(settings.home / "servers")

    noop = docs.index([root])
    assert noop.unchanged == 7 and noop.chunks_embedded == 0

    readme = root / "sub" / "readme.txt"
    readme.write_text(readme.read_text().replace("Section 7.2.", "Section 7.2, edited."))
    edit = docs.index([root])
    assert edit.updated == 1 and 0 < edit.chunks_embedded < first.chunks_embedded
    assert_exact(docs, root, embeddings)

    assert_shared_statistics(docs)

    (root / "notes.md").unlink()
    assert docs.index([root]).deleted == 1
    assert_exact(docs, root, embeddings)
    assert_shared_statistics(docs)

    hits = docs.vector_search("linear models in R", k=2)
    assert hits and hits[0].distance < 1

    (info,) = LocalDocs.list_collections(settings, chroma_url=chroma_server)
    assert info.name == "served" and info.location == chroma_server
    assert LocalDocs.list_collections(settings) == []  # the embedded store is separate
    docs.remove()
    assert LocalDocs.list_collections(settings, chroma_url=chroma_server) == []


def test_unreachable_server_says_what_to_do(tmp_path: Path, embeddings: GPT4AllEmbeddings) -> None:
    docs = LocalDocs(
        "nowhere",
        settings=Settings(home=tmp_path / "home"),
        embeddings=embeddings,
        chroma_url="http://127.0.0.1:9",
    )
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("Some text to index.")
    with pytest.raises(VectorStoreUnavailableError, match="chroma run"):
        docs.index([root])
