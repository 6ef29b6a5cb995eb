"""Shared (Chroma server) collection against the embedded one: hit@5 and query latency.

Copies an embedded collection, vectors and all (nothing is re-embedded), into a Chroma server as
a shared collection (its keyword statistics built by the shared writer, as after an index run),
then runs the same QA files through both and times their searches:

    chroma run --path /tmp/shared-bench-db --port 8123 &
    python bench/shared_query.py --home /tmp/devhome-copy --collection dev-en \\
        --chroma-url http://127.0.0.1:8123 bench/qa/corpus_en.jsonl bench/qa/dev_en.jsonl

Copy the data home first (``cp -r``): the embedded store is opened for reading, but Chroma may
write to its files. Prints one JSON object per QA file and mode, and a latency summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, cast

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.collection import _CHROMA_LEDGER, _CHROMA_MODEL, _CHROMA_SPLIT
from gpt4all_rag.localdocs.ledger import read_summary
from gpt4all_rag.localdocs.shared_lease import WriterLease
from gpt4all_rag.localdocs.shared_writer import SharedWriteStore
from gpt4all_rag.localdocs.store import create_collection, drop_collection, make_client
from gpt4all_rag.rag.evaluation import evaluate_collection, load_qa

PAGE = 1000


def copy_to_server(embedded: LocalDocs, shared: LocalDocs) -> float:
    """Copy an embedded collection to the server as a shared one; returns the seconds taken."""
    started = time.perf_counter()
    client = make_client(shared.layout)
    drop_collection(client, shared.name)
    meta = read_summary(embedded.ledger_path).meta
    target = create_collection(
        client,
        shared.name,
        {
            _CHROMA_MODEL: meta["embedding_model"],
            _CHROMA_SPLIT: meta["split_settings"],
            _CHROMA_LEDGER: meta["ledger_id"],
        },
    )
    source = embedded.vector_store.collection
    offset = 0
    while True:
        page = source.get(
            include=["embeddings", "documents", "metadatas"], limit=PAGE, offset=offset
        )
        if not page["ids"]:
            break
        target.upsert(
            ids=page["ids"],
            embeddings=cast(Any, page["embeddings"]),
            documents=page["documents"],
            metadatas=page["metadatas"],
        )
        offset += PAGE
    url = shared.layout.location
    with WriterLease(client, shared.name, ttl=120, home="bench", url=url) as lease:
        summary = read_summary(embedded.ledger_path)
        store = SharedWriteStore(client, target, lease, lambda: (summary.files, 0))
        store.commit()  # the statistics were rebuilt when the store opened (an old collection)
    return time.perf_counter() - started


def timed(call: Any, runs: int) -> float:
    """Median milliseconds of ``call()`` over ``runs`` runs (after one warm-up)."""
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("qa", nargs="+", type=Path)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--chroma-url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-copy", action="store_true", help="the server has it already")
    parser.add_argument("--no-eval", action="store_true", help="latency only")
    parser.add_argument("--questions", type=int, help="time only the first N questions per file")
    args = parser.parse_args()
    settings = Settings(home=args.home)
    embedded = LocalDocs(args.collection, settings=settings)
    shared = LocalDocs(args.collection, settings=settings, chroma_url=args.chroma_url)
    if not args.no_copy:
        seconds = copy_to_server(embedded, shared)
        print(json.dumps({"copied": args.collection, "seconds": round(seconds, 1)}))
    shared_info, embedded_info = shared.info(), embedded.info()
    assert shared_info.chunks == embedded_info.chunks, (shared_info, embedded_info)
    latency: dict[str, list[float]] = {}
    for qa in args.qa:
        for mode in () if args.no_eval else ("hybrid", "keyword"):
            row: dict[str, Any] = {"qa": qa.name, "mode": mode}
            for label, docs in (("embedded", embedded), ("shared", shared)):
                report = evaluate_collection(qa, docs, mode=mode, answers=False, floor=True)
                row[f"{label}_hit_at_5"] = round(report.hit_at_5, 3)
            print(json.dumps(row), flush=True)
        for item in load_qa(qa)[: args.questions]:
            for label, docs in (("embedded", embedded), ("shared", shared)):
                retriever = docs.as_retriever(k=5)
                keyword = docs.keyword_index
                latency.setdefault(f"{label} keyword", []).append(
                    timed(lambda k=keyword, q=item.question: k.search(q, 10), args.runs)
                )
                latency.setdefault(f"{label} hybrid", []).append(
                    timed(lambda r=retriever, q=item.question: r.invoke(q), args.runs)
                )
    summary = {name: round(statistics.median(values), 1) for name, values in latency.items()}
    ratios = {
        kind: round(summary[f"shared {kind}"] / summary[f"embedded {kind}"], 1)
        for kind in ("keyword", "hybrid")
        if summary.get(f"embedded {kind}")
    }
    print(
        json.dumps(
            {"median_ms": summary, "shared_over_embedded": ratios, "chunks": shared_info.chunks}
        )
    )


if __name__ == "__main__":
    main()
