"""Answers with the bundled model: our AnswerChain against the plain LangChain chain, one run.

Usage::

    python bench/answers.py QA.jsonl --collection NAME [--home DIR] [--sample 40] [--seed 1]

Both answer the same answerable questions of the QA file (a seeded sample) from the same Chroma
collection with the same ``ChatGPT4All(temperature=0)``: ours is ``AnswerChain`` (hybrid retrieval,
the relevance floor, evidence quotes), the plain chain is ``create_retrieval_chain`` +
``create_stuff_documents_chain`` over ``langchain_chroma.Chroma`` with k=4 (see bench/query.py).
Printed for each: the share of answers holding an expected fact (``answer_contains``, as
``gpt4all-rag eval`` judges it), empty answers, median and longest answer in characters, and
median seconds per answer. Contenders alternate question by question.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def sample(path: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """A seeded sample of the file's answerable questions."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    items = [item for item in lines if not item.get("unanswerable")]
    return random.Random(seed).sample(items, min(count, len(items)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("qa", type=Path)
    parser.add_argument("--collection", required=True)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    from query import plain_chain

    from gpt4all_rag.chat_models import ChatGPT4All
    from gpt4all_rag.config import Settings, get_settings
    from gpt4all_rag.localdocs import LocalDocs
    from gpt4all_rag.rag import AnswerChain

    settings = Settings(home=args.home) if args.home else get_settings()
    docs = LocalDocs(args.collection, settings=settings)
    llm = ChatGPT4All(temperature=0, max_tokens=256)
    ours = AnswerChain(docs.as_retriever(k=4), llm)
    plain = plain_chain(docs, llm)
    contenders = {
        "ours": lambda question: ours.invoke(question).answer,
        "plain": lambda question: str(plain.invoke({"input": question})["answer"]).strip(),
    }
    results: dict[str, list[tuple[bool, int, float]]] = {name: [] for name in contenders}
    for index, item in enumerate(sample(args.qa, args.sample, args.seed)):
        order = list(contenders.items())
        for name, answer in order if index % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            text = answer(item["question"])
            seconds = time.perf_counter() - started
            right = any(want.casefold() in text.casefold() for want in item["answer_contains"])
            results[name].append((right, len(text), seconds))
        print(f"  {index + 1} done", file=sys.stderr, flush=True)
    print(f"{args.qa.name}: {len(results['ours'])} questions, collection {args.collection}")
    for name, rows in results.items():
        lengths = [length for _, length, _ in rows]
        print(
            f"  {name:<6} fact in answer {sum(r for r, _, _ in rows) / len(rows):.2f}  "
            f"empty {sum(length == 0 for length in lengths)}  "
            f"median {statistics.median(lengths):.0f} / longest {max(lengths)} chars  "
            f"median {statistics.median(s for _, _, s in rows):.1f} s"
        )


if __name__ == "__main__":
    main()
