"""Scoring of `gpt4all-rag eval`: gold matching, figures, QA file errors (fast, no models)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from gpt4all_rag.errors import EvalFileError, GPT4AllRagError
from gpt4all_rag.rag.evaluation import QAItem, evaluate, is_gold, load_qa, matches_source

Ranked = list[tuple[str, int | None]]
"""(source, page) of the retrieved chunks, best first."""


class ListRetriever(BaseRetriever):
    """Returns fixed (source, page) chunks per question; a stand-in for HybridRetriever."""

    ranked: dict[str, Ranked]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **_: Any
    ) -> list[Document]:
        return [
            Document(
                page_content="x",
                metadata={"source": source, "score": 1.0 / rank}
                | ({} if page is None else {"page": page}),
            )
            for rank, (source, page) in enumerate(self.ranked[query], start=1)
        ]


@dataclass
class FakeSource:
    source: str
    page: int | None
    cited: bool


@dataclass
class FakeAnswer:
    answer: str
    sources: list[FakeSource] = field(default_factory=list)


def test_source_suffix_matches_whole_components() -> None:
    assert matches_source("/home/me/r-manuals/R-data.pdf", "R-data.pdf")
    assert matches_source("/home/me/r-manuals/R-data.pdf", "r-manuals/R-data.pdf")
    assert matches_source("C:\\docs\\R-data.pdf", "R-data.pdf")
    assert matches_source("/docs/茶叶冲泡指南.md", "茶叶冲泡指南.md")
    assert not matches_source("/home/me/XR-data.pdf", "R-data.pdf")
    assert not matches_source("/home/me/other/R-data.pdf", "r-manuals/R-data.pdf")
    assert not matches_source("/home/me/R-data.pdf", "")


def test_gold_needs_the_page_when_pages_are_given() -> None:
    item = QAItem(question="q", source="a.pdf", pages=[3, 4])
    assert is_gold("/d/a.pdf", 4, item)
    assert not is_gold("/d/a.pdf", 5, item)
    assert not is_gold("/d/a.pdf", None, item)
    assert is_gold("/d/a.pdf", None, QAItem(question="q", source="a.pdf"))


def test_figures() -> None:
    items = [
        QAItem(question="first", answer_contains=["Alpha"], source="a.pdf", pages=[1]),
        QAItem(question="third", answer_contains=["beta", "gamma"], source="b.md"),
        QAItem(question="missed", answer_contains=["delta"], source="c.txt"),
        QAItem(question="sixth", answer_contains=["x"], source="a.pdf", pages=[2]),
    ]
    ranked: dict[str, Ranked] = {
        "first": [("/d/a.pdf", 1), ("/d/b.md", None)],
        "third": [("/d/a.pdf", 1), ("/d/a.pdf", 2), ("/d/b.md", None)],
        "missed": [("/d/a.pdf", 1)],
        "sixth": [*[("/d/a.pdf", 1)] * 5, ("/d/a.pdf", 2)],
    }
    answers = {
        "first": FakeAnswer("It is ALPHA [1].", [FakeSource("/d/a.pdf", 1, True)]),
        "third": FakeAnswer(
            "Gamma [1][2]", [FakeSource("/d/a.pdf", 1, True), FakeSource("/d/b.md", None, True)]
        ),
        "missed": FakeAnswer("The files do not say.", [FakeSource("/d/a.pdf", 1, False)]),
        "sixth": FakeAnswer("no", []),
    }
    seen: list[int] = []
    report = evaluate(
        items,
        ListRetriever(ranked=ranked),
        answerer=lambda question: answers[question],
        collection="c",
        mode="hybrid",
        progress=lambda index, _: seen.append(index),
    )
    assert seen == [0, 1, 2, 3]
    assert [r.rank for r in report.results] == [1, 3, None, 6]
    assert report.hit_at_1 == 0.25 and report.hit_at_5 == 0.5
    assert report.mrr == pytest.approx((1 + 1 / 3 + 1 / 6) / 4)
    assert report.answer_accuracy == 0.5  # "ALPHA" matches "Alpha"; "Gamma" matches "gamma"
    assert (report.cited, report.cited_gold) == (3, 2)
    assert report.citation_precision == pytest.approx(2 / 3)
    assert report.results[0].retrieved[0].gold and not report.results[1].retrieved[0].gold
    assert report.gold_cited_when_right == 1.0  # both right answers cite their gold file
    assert report.empty_answers == 0
    assert report.answer_chars_median == 14  # lengths 16, 12, 21 and 2
    assert report.answer_chars_max == len("The files do not say.")


def test_file_page_and_refusal_figures() -> None:
    items = [
        QAItem(question="near", source="a.pdf", pages=[5]),  # page 6: within one page
        QAItem(question="far", source="a.pdf", pages=[5]),  # page 9: right file only
        QAItem(question="refused", source="b.md"),
        QAItem(question="nope", unanswerable=True),
        QAItem(question="leak", unanswerable=True),
    ]
    ranked: dict[str, Ranked] = {
        "near": [("/d/b.md", None), ("/d/a.pdf", 6)],
        "far": [("/d/a.pdf", 9)],
        "refused": [],
        "nope": [],
        "leak": [("/d/b.md", None)],
    }
    answers = {"near": FakeAnswer("x"), "far": FakeAnswer("x"), "refused": FakeAnswer("x")}
    report = evaluate(items, ListRetriever(ranked=ranked), answerer=lambda q: answers[q])
    assert [(r.rank, r.file_rank, r.page_rank) for r in report.results[:3]] == [
        (None, 2, 2),
        (None, 1, None),
        (None, None, None),
    ]
    assert (report.questions, report.answerable, report.unanswerable) == (5, 3, 2)
    assert report.hit_at_5 == 0.0
    assert report.file_hit_at_5 == pytest.approx(2 / 3)
    assert report.page_hit_at_5 == pytest.approx(1 / 3)
    assert report.refused_answerable == pytest.approx(1 / 3)
    assert report.refused_unanswerable == 0.5
    assert [r.refused for r in report.results] == [False, False, True, True, False]
    assert report.results[3].answer is None  # unanswerable questions are not answered


def test_refusal_shares_are_none_without_such_questions() -> None:
    report = evaluate([QAItem(question="q", source="a.pdf")], ListRetriever(ranked={"q": []}))
    assert report.refused_answerable == 1.0 and report.refused_unanswerable is None
    only = evaluate([QAItem(question="q", unanswerable=True)], ListRetriever(ranked={"q": []}))
    assert only.refused_answerable is None and only.refused_unanswerable == 1.0
    assert only.answerable == 0 and only.hit_at_5 == 0.0


def test_without_answers_the_answer_figures_are_none() -> None:
    items = [QAItem(question="q", source="a.pdf")]
    report = evaluate(items, ListRetriever(ranked={"q": []}))
    assert report.results[0].rank is None and report.hit_at_5 == 0.0 and report.mrr == 0.0
    assert report.answer_accuracy is None and report.citation_precision is None


def test_load_qa_skips_blank_and_comment_lines(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    item = {"question": "q?", "answer_contains": ["a"], "source": "a.pdf", "pages": [2]}
    qa.write_text(f"# a comment\n\n{json.dumps(item)}\n", encoding="utf-8")
    assert load_qa(qa) == [QAItem.model_validate(item)]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"question": "q"}\n', "line 1"),
        ('{"question": "q", "source": "a", "pages": "two"}\n', "pages"),
        ('{"question": "q", "source": "a", "extra": 1}\n', "extra"),
        ('{"question": "q", "unanswerable": true, "source": "a"}\n', "unanswerable"),
        ('{"question": "q", "unanswerable": false}\n', "source is required"),
        ("not json\n", "line 1"),
        ("\n# nothing\n", "no questions"),
    ],
)
def test_load_qa_errors_name_the_line(tmp_path: Path, content: str, expected: str) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(content, encoding="utf-8")
    with pytest.raises(EvalFileError, match=expected) as caught:
        load_qa(qa)
    assert isinstance(caught.value, GPT4AllRagError) and str(qa) in str(caught.value)


def test_load_qa_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="cannot read"):
        load_qa(tmp_path / "nope.jsonl")


def test_shipped_qa_sets_are_valid() -> None:
    bench = Path(__file__).resolve().parents[2] / "bench" / "qa"
    english = load_qa(bench / "corpus_en.jsonl")
    chinese = load_qa(bench / "zh.jsonl")
    assert len(english) >= 40 and len(chinese) == 10
    assert all(item.pages and item.answer_contains for item in english)
    docs = {path.name for path in (bench / "zh_docs").iterdir()}
    assert all(item.source in docs and item.pages is None for item in chinese)
    for name, unanswerable in [
        ("dev_en.jsonl", False),
        ("dev_zh.jsonl", False),
        ("dev_unanswerable_en.jsonl", True),
        ("dev_unanswerable_zh.jsonl", True),
    ]:
        assert all(item.unanswerable == unanswerable for item in load_qa(bench / name)), name
