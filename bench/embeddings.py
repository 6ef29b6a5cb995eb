"""Embedding and splitting throughput against the plain LangChain pipeline, in one process.

Usage: python bench/embeddings.py [--texts 128] [--rounds 3]

Texts are chunks cut by our splitter from the docstrings of the Python standard library (the
same on every machine). Every variant embeds the same texts; variants run round-robin so that
load from other processes hits all of them alike; the figures are medians over the rounds, and
ratios are against langchain_community's HuggingFaceEmbeddings (all-MiniLM-L6-v2, its default
batch size 32), the embedding step of the plain LangChain pipeline.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GPT4ALL_RAG_HOME", tempfile.mkdtemp(prefix="bench-embeddings-"))
warnings.filterwarnings("ignore")

from langchain_core.documents import Document  # noqa: E402

from gpt4all_rag.embeddings import GPT4AllEmbeddings  # noqa: E402
from gpt4all_rag.localdocs.splitting import split_documents  # noqa: E402

MODULES = [
    "os", "json", "argparse", "logging", "subprocess", "collections", "functools", "pathlib",
    "typing", "asyncio", "re", "email", "unittest", "http.client", "inspect", "threading",
]  # fmt: skip


def corpus() -> str:
    """Docstrings of standard-library modules, as paragraphs."""
    paragraphs = []
    for name in MODULES:
        module = importlib.import_module(name)
        for _, member in inspect.getmembers(module):
            doc = inspect.getdoc(member)
            if doc:
                paragraphs.append(doc)
    return "\n\n".join(dict.fromkeys(paragraphs))


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure_splitting(text: str, ours: GPT4AllEmbeddings, rounds: int) -> None:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    plain = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    page = [Document(page_content=text)]
    ours.count_tokens("warm up")
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    for _ in range(rounds):
        times["ours"].append(timed(lambda: list(split_documents(page, ours))))
        times["plain"].append(timed(lambda: plain.split_documents(page)))
    ours_chunks = list(split_documents(page, ours))
    plain_chunks = plain.split_documents(page)
    truncated = sum(ours.count_tokens(chunk.page_content) > 256 for chunk in plain_chunks)
    print(f"splitting {len(text):,} characters (median of {rounds}):")
    for name, chunks in (("ours", ours_chunks), ("plain", plain_chunks)):
        seconds = statistics.median(times[name])
        tokens = sum(ours.count_tokens(chunk.page_content) for chunk in chunks)
        print(
            f"  {name:<6} {len(text) / seconds / 1e6:6.2f} M chars/s  {len(chunks):5d} chunks  "
            f"{tokens / len(chunks):5.0f} tokens/chunk"
        )
    print(f"  plain chunks longer than the model's 256 tokens (truncated): {truncated}")


def measure_embedding(texts: list[str], rounds: int) -> None:
    import torch
    from langchain_community.embeddings import HuggingFaceEmbeddings

    torch_model = GPT4AllEmbeddings()
    onnx_model = GPT4AllEmbeddings(backend="onnx")
    int8_model = GPT4AllEmbeddings(backend="onnx-int8")
    int8_v1_model = GPT4AllEmbeddings(backend="onnx-int8-v1")
    anchor = HuggingFaceEmbeddings(model_name=str(torch_model.model_ref.path))
    onnx_encoder = onnx_model._encoder()

    def onnx_unsorted(batch_size: int) -> Callable[[], object]:
        def run() -> None:
            encodings = onnx_encoder._batcher.encode_batch(texts)  # type: ignore[attr-defined]
            for start in range(0, len(encodings), batch_size):
                onnx_encoder._run(encodings[start : start + batch_size])  # type: ignore[attr-defined]

        return run

    def with_threads(threads: int, run: Callable[[], object]) -> Callable[[], object]:
        def wrapped() -> None:
            before = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                run()
            finally:
                torch.set_num_threads(before)

        return wrapped

    def ours(model: GPT4AllEmbeddings, batch_size: int) -> Callable[[], object]:
        configured = model.model_copy(update={"batch_size": batch_size})
        return lambda: configured.embed_documents(texts)

    variants: dict[str, Callable[[], object]] = {
        "HuggingFaceEmbeddings (anchor)": lambda: anchor.embed_documents(texts),
        "torch batch 32": ours(torch_model, 32),
        "torch batch 64": ours(torch_model, 64),
        "torch batch 64, 1 thread": with_threads(1, ours(torch_model, 64)),
        "onnx batch 16": ours(onnx_model, 16),
        "onnx batch 64 (<=4096 tokens)": ours(onnx_model, 64),
        "onnx batch 32, unsorted": onnx_unsorted(32),
        "onnx-int8 batch 64": ours(int8_model, 64),
        "onnx-int8 batch 8 (default)": ours(int8_model, 8),
        "onnx-int8-v1 batch 8": ours(int8_v1_model, 8),
    }
    for run in variants.values():  # warm up: load models, export ONNX once
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            times[name].append(timed(run))
    anchor_rate = len(texts) / statistics.median(times["HuggingFaceEmbeddings (anchor)"])
    tokens = sum(torch_model.count_tokens(text) for text in texts) / len(texts)
    print(f"\nembedding {len(texts)} chunks, {tokens:.0f} tokens on average (median of {rounds}):")
    for name, seconds in times.items():
        rate = len(texts) / statistics.median(seconds)
        print(f"  {name:<32} {rate:7.1f} chunks/s   x{rate / anchor_rate:4.2f}")
    measure_quality(
        texts,
        {
            "torch": torch_model,
            "onnx": onnx_model,
            "onnx-int8": int8_model,
            "onnx-int8-v1": int8_v1_model,
        },
    )


def measure_quality(texts: list[str], models: dict[str, GPT4AllEmbeddings]) -> None:
    """Cosine to the torch vectors, and recall@1 of each chunk from its own first sentence."""
    import numpy as np

    queries = [re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0][:200] for text in texts]
    reference = np.asarray(models["torch"].embed_documents(texts))
    print("\nquality (queries: the first sentence of each chunk):")
    for name, model in models.items():
        documents = np.asarray(model.embed_documents(texts))
        asked = np.asarray(model.embed_documents(queries))
        cosine = (documents * reference).sum(axis=1)
        recall = float(np.mean((asked @ documents.T).argmax(axis=1) == np.arange(len(texts))))
        print(
            f"  {name:<10} cosine to torch: min {cosine.min():.4f} mean {cosine.mean():.4f}   "
            f"recall@1 {recall:.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=128, help="chunks to embed per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each variant")
    args = parser.parse_args(argv)
    text = corpus()
    model = GPT4AllEmbeddings()
    measure_splitting(text, model, args.rounds)
    chunks = [chunk.page_content for chunk in split_documents([Document(page_content=text)], model)]
    step = max(1, len(chunks) // args.texts)
    measure_embedding(chunks[::step][: args.texts], args.rounds)
    home = Path(os.environ["GPT4ALL_RAG_HOME"])
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} CPUs, data home {home}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
