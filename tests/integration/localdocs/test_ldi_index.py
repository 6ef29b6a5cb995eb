"""Incremental indexing end to end: real connectors, the real bundled model, embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest
from ldi_helpers import assert_exact, mixed_folder, paragraphs, write_pdf

from gpt4all_rag.config import Settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.splitting import split_documents

pytestmark = pytest.mark.models


@pytest.fixture
def docs(tmp_path: Path, embeddings: GPT4AllEmbeddings) -> LocalDocs:
    return LocalDocs("mixed", settings=Settings(home=tmp_path / "home"), embeddings=embeddings)


def _chunk_texts(path: Path, embeddings: GPT4AllEmbeddings) -> set[str]:
    from connectors.registry import get_registry

    return {c.page_content for c in split_documents(get_registry().load(path), embeddings)}


def test_full_then_noop_then_edit_delete_rename(
    docs: LocalDocs, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    root = mixed_folder(tmp_path / "docs")

    first = docs.index([root])
    assert first.failed == [] and first.added == 7
    assert first.chunks_embedded > 0
    assert_exact(docs, root, embeddings)
    pages = {
        m.get("page")
        for m in docs.vector_store.collection.get(where={"file_type": "pdf"})["metadatas"] or []
    }
    assert pages == {1, 2, 3}

    noop = docs.index([root])
    assert (noop.unchanged, noop.chunks_embedded, noop.added, noop.updated) == (7, 0, 0, 0)

    # edit one paragraph of one file: only chunks whose text is new are embedded
    readme = root / "sub" / "readme.txt"
    before = _chunk_texts(readme, embeddings)
    text = readme.read_text()
    readme.write_text(text.replace("Section 7.3.", "Section 7.3, rewritten with new words."))
    changed = _chunk_texts(readme, embeddings) - before
    edit = docs.index([root])
    assert (edit.updated, edit.unchanged) == (1, 6)
    assert 0 < edit.chunks_embedded == len(changed) < len(before)
    assert_exact(docs, root, embeddings)

    # delete one file, rename another: the renamed file's vectors are reused
    (root / "notes.md").unlink()
    (root / "report.docx").rename(root / "sub" / "report-renamed.docx")
    moved = docs.index([root])
    assert (moved.deleted, moved.added, moved.chunks_embedded) == (2, 1, 0)
    assert_exact(docs, root, embeddings)


def test_pdf_page_edit_keeps_other_pages(
    docs: LocalDocs, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    root = tmp_path / "pdfs"
    root.mkdir()
    write_pdf(root / "a.pdf", [paragraphs(1, 3), paragraphs(2, 3), paragraphs(3, 3)])
    docs.index([root])
    write_pdf(root / "a.pdf", [paragraphs(1, 3), paragraphs(9, 3), paragraphs(3, 3)])
    report = docs.index([root])
    assert report.updated == 1
    assert 0 < report.chunks_embedded <= 3
    assert_exact(docs, root, embeddings)


def test_search_finds_the_right_file(docs: LocalDocs, tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "docs")
    docs.index([root])
    hits = docs.vector_search("向量数据库", k=3)
    assert any(hit.document.metadata["source"].endswith("中文.txt") for hit in hits)
    keyword = docs.keyword_index.search("机器学习", k=3)
    (top,) = docs.get_documents([keyword[0][0]])
    assert top.metadata["source"].endswith("中文.txt")
    plotted = docs.keyword_index.search("pngcairo terminal", k=20, where={"file_type": "pdf"})
    assert plotted and all(
        d.metadata["file_type"] == "pdf" for d in docs.get_documents([i for i, _ in plotted])
    )


def test_embedding_backend_setting_applies_to_new_collections(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.md").write_text(
        "Gnuplot draws plots of functions and data files.\n\n"
        "In R, the function lm() fits linear regression models to data."
    )
    home = tmp_path / "home"
    # A collection built by the first 8-bit recipe (before recipes were versioned: ":int8").
    first = Settings(home=home, embedding_backend="onnx-int8-v1")
    quantized = LocalDocs("quantized", settings=first)
    assert quantized.index([folder]).added == 1
    recorded = quantized.recorded_settings()[0]
    assert recorded is not None and recorded.endswith(":int8")

    # Another session with the default backend (the current recipe) still embeds queries with
    # the collection's own.
    reader = LocalDocs("quantized", settings=Settings(home=home))
    assert reader.embeddings.model_id == recorded
    assert (
        "lm()" in reader.vector_search("fitting a linear regression", k=1)[0].document.page_content
    )

    # A rebuild takes the session's backend.
    reader.index([folder], rebuild=True)
    rebuilt = reader.recorded_settings()[0]
    assert rebuilt is not None and rebuilt.endswith(":int8v2")
    assert reader.embeddings.model_id == rebuilt


def test_default_backend_indexes_and_searches_without_torch(tmp_path: Path) -> None:
    """Once the model is exported (once per data home), ONNX Runtime alone does the work."""
    import os
    import subprocess
    import sys

    home = Settings(home=tmp_path / "home")
    GPT4AllEmbeddings(backend="onnx", settings=home).embed_query("export the model to this home")
    # The default backend quantizes that graph in the child: ONNX Runtime's tools, no torch.
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.md").write_text("The zorblax filter is replaced every 90 days.")
    code = (
        "import sys\n"
        "from gpt4all_rag.config import Settings\n"
        "from gpt4all_rag.localdocs import LocalDocs\n"
        f"docs = LocalDocs('plain', settings=Settings(home={str(tmp_path / 'home')!r}))\n"
        f"assert docs.index([{str(folder)!r}]).added == 1\n"
        "hits = docs.as_retriever(k=1).invoke('How often is the zorblax filter replaced?')\n"
        "print(docs.recorded_settings()[0], len(hits), 'torch' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=os.environ
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["all-MiniLM-L6-v2:384:int8v2", "1", "False"]
