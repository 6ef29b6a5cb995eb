"""Dense retrieval of each embedding backend on the chunks of a development collection.

Usage:
    python bench/int8_quality.py --home DIR [--collection dev-en]
        [--backends onnx,onnx-int8-v1,onnx-int8] [QA_FILE ...]

The cheap check before a real index: every chunk text of the collection (built with float32
vectors, e.g. ``dev-en`` of docs/benchmarks.md "Development set") and every answerable question
of the QA files (``bench/qa/dev_en.jsonl`` and ``corpus_en.jsonl`` by default) are embedded by
each backend; questions are ranked against the chunks by cosine (no relevance floor, no keyword
side) and judged with the gold rules of ``gpt4all-rag eval`` (hit@1, hit@5, MRR@10). Also shown:
the cosine of each backend's chunk vectors to those of the first backend, and its embedding rate (tokens/s
and CPU seconds of this process, since the machine may be shared). The data home is only read;
the backends' graphs go to a scratch home.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from gpt4all_rag.config import EmbeddingBackend, Settings  # noqa: E402
from gpt4all_rag.embeddings import GPT4AllEmbeddings  # noqa: E402
from gpt4all_rag.rag.evaluation import QAItem, is_gold, load_qa  # noqa: E402

QA_DIR = Path(__file__).parent / "qa"


def read_chunks(home: Path, collection: str) -> tuple[list[str], list[tuple[str, int | None]]]:
    """Texts and (source, page) of every chunk of an embedded Chroma collection."""
    import chromadb

    client = chromadb.PersistentClient(str(home / "chroma"))
    stored = client.get_collection(collection).get(include=["documents", "metadatas"])
    places = []
    for metadata in stored["metadatas"] or []:
        page = metadata.get("page")
        places.append((str(metadata.get("source", "")), page if isinstance(page, int) else None))
    return list(stored["documents"] or []), places


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def embed(model: GPT4AllEmbeddings, texts: list[str]) -> tuple[np.ndarray, float, float]:
    """Vectors, wall seconds and CPU seconds."""
    model.embed_documents(texts[:8])  # load (and export or quantize) outside the timing
    started, cpu = time.perf_counter(), cpu_seconds()
    vectors = np.asarray(model.embed_documents(texts), dtype=np.float32)
    return vectors, time.perf_counter() - started, cpu_seconds() - cpu


def ranks(questions: np.ndarray, chunks: np.ndarray, gold: np.ndarray) -> list[int | None]:
    """1-based rank of the first gold chunk among the first 10, per question."""
    top = np.argsort(-(questions @ chunks.T), axis=1)[:, :10]
    found = []
    for row, order in enumerate(top):
        flags = gold[row, order]
        found.append(int(flags.argmax()) + 1 if flags.any() else None)
    return found


def figures(found: list[int | None]) -> str:
    hit1 = np.mean([rank == 1 for rank in found])
    hit5 = np.mean([rank is not None and rank <= 5 for rank in found])
    mrr = np.mean([1 / rank if rank else 0.0 for rank in found])
    return f"hit@1 {hit1:.3f}  hit@5 {hit5:.3f}  MRR@10 {mrr:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("qa_files", nargs="*", type=Path)
    parser.add_argument("--home", type=Path, required=True, help="data home of the collection")
    parser.add_argument("--collection", default="dev-en")
    parser.add_argument("--backends", default="onnx,onnx-int8-v1,onnx-int8")
    parser.add_argument(
        "--sample",
        type=int,
        default=1,
        help="every Nth chunk only (speed figures; rankings "
        "over a sample are easier than over the collection)",
    )
    args = parser.parse_args(argv)
    qa_files = args.qa_files or [QA_DIR / "dev_en.jsonl", QA_DIR / "corpus_en.jsonl"]
    sets: dict[str, list[QAItem]] = {
        path.stem: [item for item in load_qa(path) if not item.unanswerable] for path in qa_files
    }
    texts, places = read_chunks(args.home, args.collection)
    texts, places = texts[:: args.sample], places[:: args.sample]
    items = [item for chosen in sets.values() for item in chosen]
    gold = np.array([[is_gold(source, page, item) for source, page in places] for item in items])
    scratch = Settings(home=Path(tempfile.mkdtemp(prefix="bench-int8-")))
    reference: np.ndarray | None = None
    print(f"{len(texts):,} chunks of {args.collection!r}, {len(items)} answerable questions")
    for name in args.backends.split(","):
        backend: EmbeddingBackend = name  # type: ignore[assignment]
        model = GPT4AllEmbeddings(backend=backend, settings=scratch)
        vectors, wall, cpu = embed(model, texts)
        questions = np.asarray(model.embed_documents([item.question for item in items]))
        reference = vectors if reference is None else reference
        cosine = (vectors * reference).sum(axis=1)
        tokens = sum(model.count_tokens(text) for text in texts)
        print(
            f"\n{name} ({model.model_id}): {tokens / wall:,.0f} tokens/s, "
            f"{tokens / cpu:,.0f} per CPU second; cosine to {args.backends.split(',')[0]}: "
            f"min {cosine.min():.4f} mean {cosine.mean():.4f}"
        )
        found = ranks(questions, vectors, gold)
        start = 0
        for set_name, chosen in sets.items():
            print(
                f"  {set_name:<18} ({len(chosen):3d}) {figures(found[start : start + len(chosen)])}"
            )
            start += len(chosen)
        print(f"  {'all':<18} ({len(items):3d}) {figures(found)}")
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
