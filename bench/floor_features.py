"""Per-question evidence of the relevance floor over the development set, as JSON Lines.

Usage::

    GPT4ALL_RAG_HOME=/work/devhome python bench/floor_features.py > features.jsonl

For every question of the development QA files (answerable and unanswerable), the retriever's
:class:`~gpt4all_rag.localdocs.retriever.FloorEvidence` (``HybridRetriever.assess``) on its
collection: ``dev-en`` (R manuals, gnuplot HTML, Debian docs) for the English files, ``dev-zh``
for the Chinese ones. Each line carries the language, the corpus group used for
cross-validation (the gold file's corpus; for unanswerable questions the corpus their topic
belongs to) and whether the question is answerable. ``bench/floor_fit.py`` chooses the rule.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict
from pathlib import Path

QA = Path(__file__).resolve().parent / "qa"

SETS = [
    ("en", "dev-en", "dev_en.jsonl"),
    ("en", "dev-en", "dev_unanswerable_en.jsonl"),
    ("en", "dev-en", "corpus_en.jsonl"),
    ("zh", "dev-zh", "dev_zh.jsonl"),
    ("zh", "dev-zh", "dev_unanswerable_zh.jsonl"),
]


def group(language: str, question: str, source: str | None) -> str:
    """The corpus a question belongs to, for cross-validation by corpus."""
    if source is not None:
        if language == "zh":
            return "zh-edu" if "debian-edu" in source else "zh-reference"
        if source.endswith(".pdf"):
            return "r"
        return "gnuplot" if source.endswith(".html") else "debian"
    if language == "zh":
        return (
            "zh-edu"
            if re.search(r"Debian Edu|学生|学校|教室|老师|GOsa|LTSP", question)
            else "zh-reference"
        )
    if re.search(r"gnuplot|matplotlib|seaborn", question, re.IGNORECASE):
        return "gnuplot"
    if re.search(r"Debian|\.deb\b|APT|apt-|Snap|Flatpak|Wayland|needrestart", question):
        return "debian"
    return "r"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=4, help="chunks the retriever returns")
    args = parser.parse_args()
    from gpt4all_rag.localdocs import LocalDocs
    from gpt4all_rag.rag.evaluation import load_qa

    for language, collection, name in SETS:
        retriever = LocalDocs(collection).as_retriever(k=args.k)
        for item in load_qa(QA / name):
            evidence = retriever.assess(item.question)
            row = {
                "language": language,
                "qa_file": name,
                "group": group(language, item.question, item.source),
                "answerable": not item.unanswerable,
                "question": item.question,
                "evidence": None if evidence is None else asdict(evidence),
            }
            print(json.dumps(row, ensure_ascii=False), flush=True)
        print(f"{name} done", file=sys.stderr)


if __name__ == "__main__":
    main()
