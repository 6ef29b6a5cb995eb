"""Evaluation over a QA file: is the gold source retrieved, and does the answer hold up?

A QA file is JSON Lines, one question per line::

    {"question": "How do I read a fixed-width file?", "answer_contains": ["read.fwf"],
     "source": "R-data.pdf", "pages": [15]}

``source`` names the file that answers the question by a suffix of its path (whole path
components: ``R-data.pdf`` or ``r-manuals/R-data.pdf``), so a QA file works on any machine;
``pages`` (1-based, PDF pages) narrows it to pages, or is null for files without pages.
A question the files do not answer is ``{"question": ..., "unanswerable": true}`` (no source).

Figures over the answerable questions:

* **hit@1, hit@5**: share of questions with a gold chunk (gold source, and a gold page when
  pages are given) first, or among the first five, of the retrieved chunks;
* **MRR**: mean of 1/rank of the first gold chunk (0 when none is retrieved, ranks up to
  ``depth``);
* **file hit@5**: a chunk of the gold file among the first five, whatever its page;
* **page hit@5**: a chunk of the gold file on a gold page, or one page before or after it,
  among the first five (the file alone when the question gives no pages);
* **refused**: share of questions for which the retriever returned nothing (the relevance
  floor said "not in your files");
* **answer accuracy**: share of answers containing any of ``answer_contains``
  (case-insensitive);
* **citation precision**: of all the sources the answers cite, the share that are gold;
* **gold cited when right**: of the right answers, the share citing a gold source (a page off
  by one counts);
* **empty answers**, and the **median and longest answer** in characters.

And over the unanswerable ones: **refused**, the share for which the retriever returned nothing
(the right outcome).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gpt4all_rag.errors import EvalFileError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from gpt4all_rag.localdocs.collection import LocalDocs

Mode = Literal["hybrid", "dense", "keyword"]

DEFAULT_DEPTH = 10
"""Chunks retrieved per question for hit@k and MRR."""


class QAItem(BaseModel):
    """One question of a QA file."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1)
    """The question, as a user would ask it."""
    answer_contains: list[str] = Field(default_factory=list)
    """The answer is right when it contains any of these (case-insensitive)."""
    source: str | None = Field(default=None, min_length=1)
    """The file that answers it: a suffix of its path, on whole path components (required
    unless ``unanswerable``)."""
    pages: list[int] | None = None
    """Pages (1-based) that answer it, or None for any page / files without pages."""
    unanswerable: bool = False
    """The files do not answer it: the right outcome is "not in your files"."""

    @model_validator(mode="after")
    def _gold_unless_unanswerable(self) -> QAItem:
        if self.unanswerable and (self.source or self.pages or self.answer_contains):
            raise ValueError("an unanswerable question has no source, pages or answer_contains")
        if not self.unanswerable and not self.source:
            raise ValueError("source is required (or mark the question unanswerable)")
        return self


class RetrievedChunk(BaseModel):
    """Where one retrieved chunk comes from."""

    source: str
    page: int | None
    score: float
    gold: bool


class QuestionResult(BaseModel):
    """What happened to one question."""

    question: str
    unanswerable: bool = False
    """The question is marked unanswerable (then ranks are None)."""
    rank: int | None
    """1-based rank of the first gold chunk among the retrieved ones; None when absent."""
    file_rank: int | None = None
    """1-based rank of the first chunk of the gold file, whatever its page."""
    page_rank: int | None = None
    """1-based rank of the first chunk of the gold file within one page of a gold page."""
    refused: bool = False
    """The retriever returned nothing ("not in your files")."""
    retrieved: list[RetrievedChunk]
    retrieve_seconds: float
    answer: str | None = None
    answer_correct: bool | None = None
    cited: int = 0
    """Sources the answer cites."""
    cited_gold: int = 0
    cites_gold: bool | None = None
    """Whether a cited source is gold (a page off by one counts); None without an answer."""
    """Cited sources that are gold."""
    answer_seconds: float | None = None


class EvalReport(BaseModel):
    """Figures over a QA file, with the result of every question."""

    collection: str
    mode: str
    questions: int
    depth: int
    """Chunks retrieved per question for hit@k and MRR."""
    answerable: int
    """Questions with a gold source (the ranking figures are over these)."""
    unanswerable: int
    """Questions marked unanswerable."""
    hit_at_1: float
    hit_at_5: float
    mrr: float
    file_hit_at_5: float
    """A chunk of the gold file in the top five, any page."""
    page_hit_at_5: float
    """A chunk of the gold file within one page of a gold page in the top five."""
    refused_answerable: float | None
    """Share of answerable questions for which nothing was retrieved; None without any."""
    refused_unanswerable: float | None
    """Share of unanswerable questions for which nothing was retrieved; None without any."""
    answer_accuracy: float | None
    """None when answers were not generated."""
    citation_precision: float | None
    """None when no answer cited anything (or answers were not generated)."""
    cited: int
    cited_gold: int
    gold_cited_when_right: float | None = None
    """Of the right answers, the share that cite a gold source; None without any."""
    empty_answers: int = 0
    answer_chars_median: float | None = None
    answer_chars_max: int | None = None
    results: list[QuestionResult]


class CitedSource(Protocol):
    """What evaluation reads of one source of an answer (``gpt4all_rag.rag.Source``)."""

    @property
    def source(self) -> str: ...

    @property
    def page(self) -> int | None: ...

    @property
    def cited(self) -> bool: ...


class AnswerLike(Protocol):
    """What evaluation reads of an answer (``gpt4all_rag.rag.Answer``)."""

    @property
    def answer(self) -> str: ...

    @property
    def sources(self) -> Sequence[CitedSource]: ...


Answerer = Callable[[str], AnswerLike]
"""Answers a question (e.g. ``AnswerChain(...).invoke``)."""


def load_qa(path: Path) -> list[QAItem]:
    """Read a QA file (JSON Lines; blank lines and lines starting with ``#`` are skipped).

    Raises:
        EvalFileError: When the file cannot be read, a line is not a valid item, or it is empty.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise EvalFileError(str(path), f"cannot read the file ({error})") from error
    items: list[QAItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            items.append(QAItem.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as error:
            reason = str(error).splitlines()[0] if isinstance(error, ValidationError) else error
            detail = _validation_detail(error) if isinstance(error, ValidationError) else ""
            raise EvalFileError(str(path), f"line {number}: {reason}{detail}") from error
    if not items:
        raise EvalFileError(str(path), "no questions in the file")
    return items


def _validation_detail(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "line"
    return f" ({where}: {first['msg']})"


def matches_source(source: str, gold: str) -> bool:
    """Whether a file path ends with the gold path, on whole components (``/`` or ``\\``)."""
    path = PurePosixPath(source.replace("\\", "/")).parts
    wanted = PurePosixPath(gold.replace("\\", "/").strip("/")).parts
    return bool(wanted) and path[-len(wanted) :] == wanted


def is_gold(source: str, page: int | None, item: QAItem, *, slack: int = 0) -> bool:
    """Whether a chunk (or a cited source) at ``source``/``page`` answers ``item``.

    ``slack`` accepts pages that far from a gold page (1: the page before or after).
    """
    if item.source is None or not matches_source(source, item.source):
        return False
    if item.pages is None:
        return True
    return page is not None and any(abs(page - gold) <= slack for gold in item.pages)


def _page(document: Document) -> int | None:
    page = document.metadata.get("page")
    return page if isinstance(page, int) and not isinstance(page, bool) else None


def evaluate_question(
    item: QAItem, retriever: BaseRetriever, answerer: Answerer | None = None
) -> QuestionResult:
    """Retrieve (and answer) one question and judge it against its gold source."""
    started = time.perf_counter()
    documents = retriever.invoke(item.question)
    retrieve_seconds = time.perf_counter() - started
    retrieved = [
        RetrievedChunk(
            source=str(doc.metadata.get("source", "")),
            page=_page(doc),
            score=float(doc.metadata.get("score", 0.0)),
            gold=is_gold(str(doc.metadata.get("source", "")), _page(doc), item),
        )
        for doc in documents
    ]
    result = QuestionResult(
        question=item.question,
        unanswerable=item.unanswerable,
        rank=_first(chunk.gold for chunk in retrieved),
        file_rank=None,
        page_rank=None,
        refused=not documents,
        retrieved=retrieved,
        retrieve_seconds=retrieve_seconds,
    )
    if not item.unanswerable:
        gold_file = item.model_copy(update={"pages": None})
        result.file_rank = _first(is_gold(c.source, c.page, gold_file) for c in retrieved)
        result.page_rank = _first(is_gold(c.source, c.page, item, slack=1) for c in retrieved)
    if answerer is None or item.unanswerable:
        return result
    started = time.perf_counter()
    answer = answerer(item.question)
    result.answer_seconds = time.perf_counter() - started
    result.answer = answer.answer
    text = answer.answer.casefold()
    result.answer_correct = any(want.casefold() in text for want in item.answer_contains)
    cited = [source for source in answer.sources if source.cited]
    result.cited = len(cited)
    result.cited_gold = sum(is_gold(source.source, source.page, item) for source in cited)
    result.cites_gold = any(is_gold(source.source, source.page, item, slack=1) for source in cited)
    return result


def _first(flags: Iterable[bool]) -> int | None:
    """1-based position of the first true flag, or None."""
    return next((index for index, flag in enumerate(flags, start=1) if flag), None)


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def summarize(
    results: Sequence[QuestionResult], *, collection: str, mode: str, depth: int
) -> EvalReport:
    """Figures over the results of every question (ranking figures over answerable ones)."""
    answerable = [result for result in results if not result.unanswerable]
    unanswerable = [result for result in results if result.unanswerable]
    count = len(answerable)
    ranks = [result.rank for result in answerable]

    def at_5(found: Iterable[int | None]) -> float:
        return sum(rank is not None and rank <= 5 for rank in found) / count if count else 0.0

    answered = [result for result in results if result.answer_correct is not None]
    right = [result for result in answered if result.answer_correct]
    lengths = [len(result.answer or "") for result in answered]
    cited = sum(result.cited for result in results)
    cited_gold = sum(result.cited_gold for result in results)
    return EvalReport(
        collection=collection,
        mode=mode,
        questions=len(results),
        depth=depth,
        answerable=count,
        unanswerable=len(unanswerable),
        hit_at_1=sum(rank == 1 for rank in ranks) / count if count else 0.0,
        hit_at_5=at_5(ranks),
        mrr=sum(1 / rank for rank in ranks if rank is not None) / count if count else 0.0,
        file_hit_at_5=at_5(result.file_rank for result in answerable),
        page_hit_at_5=at_5(result.page_rank for result in answerable),
        refused_answerable=_share(sum(result.refused for result in answerable), count),
        refused_unanswerable=_share(
            sum(result.refused for result in unanswerable), len(unanswerable)
        ),
        answer_accuracy=(
            sum(bool(result.answer_correct) for result in answered) / len(answered)
            if answered
            else None
        ),
        citation_precision=cited_gold / cited if cited else None,
        cited=cited,
        cited_gold=cited_gold,
        gold_cited_when_right=_share(sum(bool(r.cites_gold) for r in right), len(right)),
        empty_answers=sum(not (result.answer or "").strip() for result in answered),
        answer_chars_median=statistics.median(lengths) if lengths else None,
        answer_chars_max=max(lengths) if lengths else None,
        results=list(results),
    )


def evaluate(
    items: Sequence[QAItem],
    retriever: BaseRetriever,
    *,
    answerer: Answerer | None = None,
    collection: str = "",
    mode: str = "",
    depth: int = DEFAULT_DEPTH,
    progress: Callable[[int, QuestionResult], None] | None = None,
) -> EvalReport:
    """Run every question through the retriever (and the answerer) and score the lot.

    Args:
        items: The questions.
        retriever: Returns chunks best first, with ``source`` and ``page`` metadata; it should
            return ``depth`` chunks at most (``HybridRetriever(k=depth)``).
        answerer: Answers a question with cited sources; answers are skipped when None.
        collection: Collection name, for the report.
        mode: Retrieval mode, for the report.
        depth: Chunks retrieved per question (recorded in the report).
        progress: Called after each question with its index (0-based) and result.

    Returns:
        The figures and the result of every question.
    """
    results: list[QuestionResult] = []
    for index, item in enumerate(items):
        result = evaluate_question(item, retriever, answerer)
        results.append(result)
        if progress is not None:
            progress(index, result)
    return summarize(results, collection=collection, mode=mode, depth=depth)


def evaluate_collection(
    qa_file: Path,
    docs: LocalDocs,
    *,
    mode: Mode = "hybrid",
    answers: bool = True,
    k: int = 4,
    depth: int = DEFAULT_DEPTH,
    floor: bool = True,
    llm: BaseChatModel | None = None,
    progress: Callable[[int, QuestionResult], None] | None = None,
) -> EvalReport:
    """Evaluate a collection on a QA file: what ``gpt4all-rag eval`` runs.

    Args:
        qa_file: JSON Lines of :class:`QAItem`.
        docs: The collection.
        mode: Retrieval mode, for both the ranking figures and the answers.
        answers: Generate answers (slow on a CPU) for answer accuracy and citation precision.
        k: Chunks given to the model per answer.
        depth: Chunks retrieved per question for hit@k and MRR.
        floor: Keep the retriever's relevance floor (False measures the ranking alone).
        llm: Chat model for the answers; the bundled default when None.
        progress: Called after each question with its index and result.

    Raises:
        EvalFileError: The QA file is unreadable or invalid.
        CollectionNotFoundError: The collection does not exist.
        CollectionMismatchError: The collection was built with another embedding model.
    """
    items = load_qa(qa_file)
    docs.check_embeddings()
    options: dict[str, Any] = {"mode": mode, "floor": floor}
    retriever = docs.as_retriever(k=depth, **options)
    answerer: Answerer | None = None
    if answers:
        from gpt4all_rag.rag.chain import AnswerChain, default_chat_model

        chain = AnswerChain(docs.as_retriever(k=k, **options), llm or default_chat_model(docs))
        answerer = chain.invoke
    return evaluate(
        items,
        retriever,
        answerer=answerer,
        collection=docs.name,
        mode=mode if floor else f"{mode}, no floor",
        depth=depth,
        progress=progress,
    )
