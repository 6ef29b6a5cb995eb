"""`gpt4all-rag eval` on a tiny real collection (bundled embedding model, embedded Chroma)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pdf_pages import write_pdf
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.config import reset_settings
from gpt4all_rag.localdocs import LocalDocs

pytestmark = pytest.mark.models

PAGES = [
    "Brewing tea. The best water temperature for green tea is about 80 degrees Celsius: "
    "boiling water scalds the young leaves and makes green tea bitter. Steep it for two minutes.",
    "Bicycle care. Clean and oil the bicycle chain every 300 kilometres, and dry the chain on "
    "the day you ride in the rain, or it rusts within a week.",
    "The xq_frobnicate() function. Call xq_frobnicate(level = 3) to frobnicate a widget three "
    "times; the level argument defaults to 1.",
]
NOTES = (
    "# Garden notes\n\nCherry tomatoes need at least six hours of direct sunlight every day, "
    "so grow cherry tomatoes on a balcony that faces south.\n"
)
QA: list[dict[str, Any]] = [
    {
        "question": "What is the best water temperature for green tea?",
        "answer_contains": ["80 degrees"],
        "source": "tiny.pdf",
        "pages": [1],
    },
    {
        "question": "How often should I clean and oil a bicycle chain?",
        "answer_contains": ["300 kilometres"],
        "source": "docs/tiny.pdf",
        "pages": [2],
    },
    {
        "question": "What does xq_frobnicate do?",
        "answer_contains": ["frobnicate a widget"],
        "source": "tiny.pdf",
        "pages": [3],
    },
    {
        "question": "How many hours of sunlight do cherry tomatoes need?",
        "answer_contains": ["six hours"],
        "source": "notes.md",
        "pages": None,
    },
]


def _write_qa(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data home holding collection 'tiny' (a 3-page PDF and a Markdown file); yields a
    folder for QA files. Built once for the module."""
    root = tmp_path_factory.mktemp("eval")
    home = root / "home"
    home.mkdir()
    shared = Path(os.environ["GPT4ALL_RAG_HOME"]) / "bundled"  # the session's assembled models
    shared.mkdir(parents=True, exist_ok=True)
    (home / "bundled").symlink_to(shared, target_is_directory=True)
    docs = root / "docs"
    docs.mkdir()
    write_pdf(docs / "tiny.pdf", PAGES, font_size=11)
    (docs / "notes.md").write_text(NOTES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPT4ALL_RAG_HOME", str(home))
        reset_settings()
        report = LocalDocs("tiny").index([docs])
        assert report.added == 2 and not report.failed
        yield root
    reset_settings()


def _eval(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


def test_retrieval_figures_as_json(collection: Path) -> None:
    qa = _write_qa(collection / "qa.jsonl", QA)
    code, out, err = _eval([str(qa), "-c", "tiny", "--no-answer", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert report["collection"] == "tiny" and report["mode"] == "hybrid"
    assert report["questions"] == 4 and report["depth"] == 10
    assert [r["rank"] for r in report["results"]] == [1, 1, 1, 1]
    assert report["hit_at_1"] == report["hit_at_5"] == report["mrr"] == 1.0
    assert report["answer_accuracy"] is None and report["citation_precision"] is None
    first = report["results"][0]["retrieved"][0]
    assert first["source"].endswith("/docs/tiny.pdf") and first["page"] == 1 and first["gold"]
    assert report["results"][3]["retrieved"][0]["page"] is None


def test_a_hit_needs_a_matching_page_and_source(collection: Path) -> None:
    wrong = [
        {**QA[0], "pages": [3]},  # right file, wrong page
        {**QA[0], "source": "other/tiny.pdf"},  # a suffix must match whole path components
        {**QA[0], "source": "iny.pdf"},
    ]
    qa = _write_qa(collection / "wrong.jsonl", wrong)
    code, out, err = _eval([str(qa), "-c", "tiny", "--no-answer", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert [r["rank"] != 1 for r in report["results"]] == [True, True, True]
    assert report["results"][1]["rank"] is None and report["results"][2]["rank"] is None
    assert report["hit_at_1"] == 0.0


@pytest.mark.parametrize("mode", ["dense", "keyword"])
def test_single_methods(collection: Path, mode: str) -> None:
    qa = _write_qa(collection / f"{mode}.jsonl", QA)
    code, out, err = _eval([str(qa), "-c", "tiny", "--no-answer", "--json", "--mode", mode])
    assert code == 0, err
    report = json.loads(out)
    assert report["mode"] == mode
    # the function name is a keyword question: the keyword side must rank its page first
    if mode == "keyword":
        assert report["results"][2]["rank"] == 1
    assert 0.0 <= report["mrr"] <= 1.0 and report["hit_at_1"] <= report["hit_at_5"]


def test_table_lists_misses(collection: Path) -> None:
    # the tiny collection holds 4 chunks: all come back, so only a file it lacks is a miss
    qa = _write_qa(collection / "table.jsonl", [QA[1], {**QA[0], "source": "absent.pdf"}])
    code, out, err = _eval([str(qa), "-c", "tiny", "--no-answer"])
    assert code == 0, err
    assert "hit@1" in out and "0.500" in out
    assert "Missed" in out and QA[0]["question"] in out and QA[1]["question"] not in out


def test_unanswerable_questions_are_scored_by_refusal(collection: Path) -> None:
    unanswerable = [
        {"question": "What is the capital of France?", "unanswerable": True},
        {"question": "How do I bake sourdough bread?", "unanswerable": True},
    ]
    qa = _write_qa(collection / "mixed.jsonl", [*QA, *unanswerable])
    code, out, err = _eval([str(qa), "-c", "tiny", "--no-answer", "--json"])
    assert code == 0, err
    report = json.loads(out)
    assert (report["questions"], report["answerable"], report["unanswerable"]) == (6, 4, 2)
    assert report["hit_at_5"] == report["file_hit_at_5"] == report["page_hit_at_5"] == 1.0
    assert report["refused_answerable"] == 0.0 and report["refused_unanswerable"] == 1.0
    assert [r["refused"] for r in report["results"]] == [False] * 4 + [True] * 2
    code, table, err = _eval([str(qa), "-c", "tiny", "--no-answer"])
    assert code == 0, err
    assert "page±1@5" in table and "Unanswerable: 2, refused" in table


def test_bad_qa_file_says_which_line(collection: Path) -> None:
    qa = collection / "bad.jsonl"
    qa.write_text(json.dumps(QA[0]) + "\n" + '{"question": "no source"}\n', encoding="utf-8")
    code, _, err = _eval([str(qa), "-c", "tiny", "--no-answer"])
    assert code == 2
    assert "line 2" in err and "source" in err
    missing = _eval([str(collection / "nope.jsonl"), "-c", "tiny", "--no-answer"])
    assert missing[0] == 2 and "cannot read" in missing[2]


def test_unknown_collection_lists_the_existing_ones(collection: Path) -> None:
    qa = _write_qa(collection / "any.jsonl", QA[:1])
    code, _, err = _eval([str(qa), "-c", "nosuch", "--no-answer"])
    assert code == 2
    assert "nosuch" in " ".join(err.split()) and "tiny" in err


@pytest.mark.slow
def test_answers_with_the_bundled_model(collection: Path) -> None:
    pytest.importorskip("gpt4all_rag.rag", reason="the answer chain is not built yet")
    qa = _write_qa(collection / "answers.jsonl", QA[:2])
    code, out, err = _eval([str(qa), "-c", "tiny", "--json", "-k", "2"])
    assert code == 0, err
    report = json.loads(out)
    assert report["answer_accuracy"] is not None
    for result in report["results"]:
        assert isinstance(result["answer"], str) and result["answer_seconds"] > 0
        assert 0 <= result["cited_gold"] <= result["cited"]
    precision = report["citation_precision"]
    assert precision is None or 0.0 <= precision <= 1.0
