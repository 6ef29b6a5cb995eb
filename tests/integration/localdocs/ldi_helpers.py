"""Helpers for LocalDocs integration tests: files of every kind and the exactness check."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any, cast

import docx
import pdf_pages
from keyword_check import assert_keywords_match_ledger

from connectors.folder import FoundFile, walk
from connectors.registry import get_registry
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.ledger import Ledger
from gpt4all_rag.localdocs.splitting import SplitSettings, TokenCounter, split_documents
from gpt4all_rag.localdocs.store import make_client

SENTENCES = [
    "The lm function fits linear models in R, using a formula such as y ~ x.",
    "Gnuplot draws two- and three-dimensional plots from data files and functions.",
    "A data frame is a list of vectors of equal length, the usual table of R.",
    "Set the terminal to pngcairo to write a PNG image from gnuplot.",
    "Factors store categorical data with a fixed set of levels.",
    "Chroma keeps vectors in collections, with metadata and documents beside them.",
]


def paragraphs(seed: int, count: int) -> str:
    """Distinct paragraphs of a few sentences, reproducible from the seed."""
    out = []
    for index in range(count):
        picked = [SENTENCES[(seed + index + k) % len(SENTENCES)] for k in range(3)]
        out.append(f"Section {seed}.{index}. " + " ".join(picked))
    return "\n\n".join(out)


CORPUS_WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "model",
    "data",
    "file",
    "linear",
    "regression",
    "value",
    "function",
    "plot",
    "returns",
    "argument",
    "default",
    "option",
    "table",
    "column",
    "index",
    "vector",
    "matrix",
    "Paris",
    "France",
    "river",
    "mountain",
]


def word_corpus(root: Path, seed: int) -> Path:
    """Five text files of 300 random-word paragraphs each, every paragraph unique: a folder big
    enough to interrupt mid-run."""
    rng = random.Random(seed)
    root.mkdir()
    for number in range(5):
        paragraphs = (
            " ".join(rng.choice(CORPUS_WORDS) for _ in range(60)) + f" unique{number}x{index}."
            for index in range(300)
        )
        (root / f"f{number}.txt").write_text("\n\n".join(paragraphs))
    return root


def write_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF with one page per entry, in 11-point type."""
    return pdf_pages.write_pdf(path, pages, font_size=11)


def write_docx(path: Path, text: str) -> Path:
    document = docx.Document()
    for paragraph in text.split("\n\n"):
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def mixed_folder(root: Path) -> Path:
    """A folder with PDF, Markdown, HTML, DOCX, text and reStructuredText files."""
    root.mkdir(parents=True, exist_ok=True)
    write_pdf(root / "manual.pdf", [paragraphs(1, 4), paragraphs(2, 4), paragraphs(3, 2)])
    (root / "notes.md").write_text("# Notes\n\n" + paragraphs(4, 6), encoding="utf-8")
    (root / "page.html").write_text(
        "<html><head><title>Gnuplot page</title><script>var x = 1;</script></head>"
        f"<body><h1>Plots</h1><p>{paragraphs(5, 3)}</p></body></html>",
        encoding="utf-8",
    )
    write_docx(root / "report.docx", paragraphs(6, 5))
    (root / "sub").mkdir(exist_ok=True)
    (root / "sub" / "readme.txt").write_text(paragraphs(7, 8), encoding="utf-8")
    (root / "sub" / "guide.rst").write_text("Guide\n=====\n\n" + paragraphs(8, 3), encoding="utf-8")
    (root / "中文.txt").write_text(
        "机器学习是人工智能的一个分支。它让计算机从数据中学习规律。\n\n"
        "向量数据库保存文本的嵌入，用于语义检索。",
        encoding="utf-8",
    )
    return root


def expected_chunks(root: Path, counter: TokenCounter, settings: SplitSettings) -> Counter[tuple]:
    """(source, page, text) of every chunk the current files should give."""
    registry = get_registry()
    chunks: Counter[tuple] = Counter()
    for entry in walk(root, suffixes=registry.suffixes()):
        if not isinstance(entry, FoundFile):
            continue
        try:
            documents = registry.load(entry.path)
        except Exception:
            continue
        for chunk in split_documents(documents, counter, settings):
            chunks[(str(entry.path.resolve()), chunk.metadata.get("page"), chunk.page_content)] += 1
    return chunks


def stored_chunks(docs: LocalDocs) -> Counter[tuple]:
    """(source, page, text) of every chunk in Chroma, after checking ids against the ledger."""
    result = docs.vector_store.collection.get(include=["documents", "metadatas"])
    with Ledger(docs.ledger_path) as ledger:
        assert set(result["ids"]) == ledger.all_chunk_ids(), "Chroma and the ledger disagree"
    assert len(result["ids"]) == len(set(result["ids"]))
    return Counter(
        (str(m["source"]), m.get("page"), text)
        for text, m in zip(result["documents"] or [], result["metadatas"] or [], strict=True)
    )


def assert_exact(docs: LocalDocs, root: Path, counter: TokenCounter) -> None:
    """Chroma ids == ledger ids == keyword index == the chunks of the current files, no
    duplicates, no orphans."""
    assert stored_chunks(docs) == expected_chunks(root, counter, SplitSettings())
    assert_keywords_match_ledger(docs.ledger_path)


def assert_shared_statistics(docs: LocalDocs) -> None:
    """A shared collection's BM25 statistics (kept incrementally by the writer) equal a recount
    of its committed chunks."""
    from gpt4all_rag.localdocs.shared_record import SharedRecord, visible
    from gpt4all_rag.localdocs.shared_terms import TermStats
    from gpt4all_rag.localdocs.shared_tokens import chunk_tokens, document_frequencies

    collection = docs.vector_store.collection
    record = SharedRecord.from_metadata(collection.metadata)
    committed = collection.get(
        where=cast(Any, visible(None, record.generation)), include=["documents"]
    )
    tokens = chunk_tokens([text or "" for text in committed["documents"] or []])
    assert len(committed["ids"]) == collection.count(), "chunks left that readers cannot see"
    assert (record.chunks, record.total_tokens) == (len(tokens), sum(len(t) for t in tokens))
    expected = document_frequencies(tokens)
    stats = TermStats(make_client(docs.layout), collection)
    assert stats.frequencies(sorted(expected)) == dict(expected)
    side = stats._collection()
    assert side is not None and side.count() == len(expected), "tokens counted that are gone"
