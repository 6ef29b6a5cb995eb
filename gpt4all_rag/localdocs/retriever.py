"""HybridRetriever: dense search in Chroma plus BM25 keyword search, fused by reciprocal rank."""

from __future__ import annotations

import fnmatch
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, SkipValidation, field_validator, model_validator

from gpt4all_rag.localdocs.fusion import (
    RRF_CONSTANT,
    cosine,
    maximal_marginal_relevance,
    reciprocal_rank_fusion,
)
from gpt4all_rag.localdocs.indexer import IndexEmbeddings
from gpt4all_rag.localdocs.searchable import SearchableCollection, missing_parts
from gpt4all_rag.localdocs.where import Where
from gpt4all_rag.strict_keywords import reject_unknown
from gpt4all_rag.text.relevance import (
    content_terms,
    coverages,
    found_terms,
    is_mostly_cjk,
    is_name,
    term_words,
)

Mode = Literal["hybrid", "dense", "keyword"]
Key = tuple[str, str]
"""A candidate's key: (collection name, chunk id)."""


@dataclass(frozen=True)
class FloorRule:
    """A linear score of the floor's evidence: answer when it reaches the retriever's
    ``floor_margin`` (0 by default), otherwise "not in your files"."""

    similarity: float
    coverage: float
    unknown: float
    bias: float

    def score(self, evidence: FloorEvidence) -> float:
        return (
            self.similarity * evidence.similarity
            + self.coverage * evidence.coverage
            + self.unknown * evidence.unknown
            + self.bias
        )


FLOOR_RULE = FloorRule(similarity=9.6, coverage=8.9, unknown=-3.4, bias=-9.3)
"""The floor for questions in Latin (and other spaced) scripts: a logistic fit on the development
set (bench/floor_fit.py: 168 answerable and 47 unanswerable English questions over the R manuals,
the gnuplot HTML manual and the Debian FAQ and texts), its bias moved so that at most 2% of the
answerable questions are refused (docs/answers.md). Similarity 0.6 and coverage 0.6 give +1.8;
similarity 0.45 and coverage 0.3 give -2.3; each name the files never hold takes 3.4 off.
Refitted after coverage learned abbreviations and the name test ordinary derived words
(9.64 / 8.92 / -3.45 / -9.33): the same once rounded."""

FLOOR_RULE_CJK = FloorRule(similarity=0.0, coverage=7.0, unknown=-4.0, bias=-0.5)
"""The floor for mostly Chinese or Japanese questions: keyword evidence only (the bundled English
embedding model scores unanswerable Chinese questions as high as answerable ones: 0.68 against
0.67 at the median on the development set). Refuses when almost nothing of the question is in
the files (coverage under 0.07), or when it names something the files never hold and coverage is
under 0.64. The same fit on the 66 + 19 Chinese questions of the development set."""

DEFAULT_MIN_RELEVANCE = 0.55
"""Deprecated: the cosine threshold of the per-chunk floor before the question-level rule."""

DEFAULT_MIN_KEYWORD_COVERAGE = 0.7
"""Deprecated: the keyword-coverage threshold of the per-chunk floor."""

DEFAULT_MIN_KEYWORD_COVERAGE_CJK = 0.35
"""Deprecated: the same for Chinese and Japanese questions."""

_DEPRECATED = (
    "min_relevance",
    "min_keyword_coverage",
    "min_keyword_coverage_cjk",
    "trust_dense_for_cjk",
)


@dataclass
class _Candidate:
    """One chunk found by either method, with the evidence about it."""

    docs: SearchableCollection
    document: Document
    similarity: float | None = None
    """Cosine similarity to the query (when the dense side found it)."""
    bm25: float | None = None
    """BM25 score (when the keyword side found it)."""
    vector: list[float] | None = field(default=None, repr=False)

    @property
    def key(self) -> Key:
        return self.docs.name, str(self.document.id)


@dataclass(frozen=True)
class FloorEvidence:
    """What the relevance floor weighs for one question, measured on its candidates.

    Candidates are the chunks either method found (``fetch_k`` each), before any floor.
    """

    cjk: bool
    """The question is mostly Chinese or Japanese."""
    terms: int
    """The question's content terms (words, or CJK character pairs)."""
    similarity: float
    """Best cosine similarity of a candidate to the question (dense top 1)."""
    coverage: float
    """Best share of the question's content terms a candidate holds, each term weighted by its
    rarity among the candidates (a term none holds weighs most)."""
    plain_coverage: float
    """The same, unweighted."""
    absent: float
    """Share of the question's content terms that no candidate holds."""
    unknown: int
    """Names in the question (words that are not common English words:
    :func:`~gpt4all_rag.text.relevance.is_name`) that no chunk of the collections holds: a tool
    or a function the files never mention."""
    agreement: float
    """Fused (RRF) score of the best chunk: 1.0 when both methods rank it first."""
    overlap: float
    """Share of the dense top 10 that the keyword top 10 holds too."""
    bm25: float
    """Best BM25 score."""


class HybridRetriever(BaseRetriever):
    """Retrieves chunks of one or more LocalDocs collections by meaning and by keyword.

    Dense search (Chroma, cosine) and BM25 keyword search (SQLite FTS5, CJK-aware) each rank
    candidates; reciprocal rank fusion merges the two rankings. A relevance floor then decides,
    for the question as a whole, whether the files hold an answer: it weighs the best
    similarity, how much of the question's content the best chunk holds and the question's words
    that no chunk holds (:class:`FloorEvidence`, :class:`FloorRule`). A question it refuses
    retrieves nothing ("not in your files"); one it lets through gets the same ``k`` chunks as
    with ``floor=False``. Optional MMR then trades a little relevance for variety.

    Setup:
        Index a collection first: ``gpt4all-rag index PATH --collection NAME``.

    Instantiate:
        .. code-block:: python

            from gpt4all_rag.localdocs import LocalDocs
            from gpt4all_rag.localdocs.retriever import HybridRetriever

            retriever = HybridRetriever(collections=[LocalDocs("manuals")], k=4)
            retriever = LocalDocs("manuals").as_retriever(k=6, file_types=["pdf"])

    Invoke:
        .. code-block:: python

            docs = retriever.invoke("How do I fit a linear model?")
            docs = retriever.invoke("lm", k=2)  # override k per call
            for doc in docs:
                print(doc.metadata["source"], doc.metadata.get("page"), doc.metadata["score"])

    Returned documents keep the chunk metadata (``source``, ``title``, ``file_type``,
    ``start_index``, ``page`` for PDFs) and add ``collection`` and ``score`` (higher is better:
    the fused RRF score scaled to (0, 1] in hybrid mode, the cosine similarity in dense mode, the
    BM25 score in keyword mode); ``Document.id`` is the chunk id.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    collections: SkipValidation[list[SearchableCollection]]
    """The collections to search (their chunks are ranked together): ``LocalDocs``, or any
    :class:`~gpt4all_rag.localdocs.searchable.SearchableCollection`."""
    k: int = Field(default=4, ge=1)
    """How many chunks to return at most."""
    mode: Mode = "hybrid"
    """``hybrid`` (dense and keyword, fused), ``dense`` or ``keyword`` alone."""
    use_mmr: bool = False
    """Diversify the results with maximal marginal relevance."""
    mmr_lambda: float = Field(default=0.5, ge=0.0, le=1.0)
    """MMR trade-off: 1.0 is pure relevance, 0.0 pure diversity."""
    fetch_k: int = Field(default=20, ge=1)
    """Candidates fetched from each method (at least ``4 * k``)."""
    cjk_dense_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    """Weight of the dense ranking in hybrid fusion for mostly Chinese or Japanese questions
    (the keyword ranking weighs 1). 0 by default: the bundled all-MiniLM-L6-v2 is an English
    model, and its ranking of Chinese text is mostly noise (on the Chinese development set, page
    hit@5 0.50 dense alone, 0.89 keyword alone, 0.85 fused with equal weights, 0.89 at 0; see
    docs/benchmarks.md). Set 1.0 for a multilingual embedding model."""
    source_glob: str | None = None
    """Only files whose absolute path matches this glob (``*.pdf``, ``*/manuals/*``, ``R-*``)."""
    file_types: list[str] | None = None
    """Only these file types (suffixes without the dot, e.g. ``["pdf", "md"]``)."""
    floor: bool = True
    """The relevance floor: refuse ("not in your files", nothing returned) a question without
    enough evidence in the files. A question it lets through gets the same ``k`` chunks as
    without it."""
    floor_margin: float = 0.0
    """Where the floor's score (:class:`FloorRule`) must reach for the question to be answered:
    raise it to refuse more, lower it to refuse less (the score moves by about 1 for 0.1 of
    similarity or 0.13 of coverage)."""
    min_relevance: float | None = None
    """Deprecated: ``None`` turns the floor off (use ``floor=False``); a number is ignored."""
    min_keyword_coverage: float | None = None
    """Deprecated and ignored (the floor is a question-level rule: :class:`FloorRule`)."""
    min_keyword_coverage_cjk: float | None = None
    """Deprecated and ignored."""
    trust_dense_for_cjk: bool | None = None
    """Deprecated and ignored."""

    @model_validator(mode="before")
    @classmethod
    def _known_keywords(cls, data: Any) -> Any:
        """Refuse an unknown keyword with a ``TypeError`` naming the nearest valid one."""
        if isinstance(data, dict):
            reject_unknown(cls.__name__, data, cls.model_fields)
        return data

    @model_validator(mode="after")
    def _deprecated_floor_fields(self) -> HybridRetriever:
        used = [name for name in _DEPRECATED if name in self.model_fields_set]
        if used:
            warnings.warn(
                f"HybridRetriever: {', '.join(used)} no longer apply: the relevance floor is a "
                "question-level rule (floor=False turns it off, floor_margin moves it; "
                "docs/answers.md). min_relevance=None still turns it off.",
                DeprecationWarning,
                stacklevel=4,
            )
            if "min_relevance" in self.model_fields_set and self.min_relevance is None:
                self.floor = False
        return self

    @field_validator("collections")
    @classmethod
    def _searchable(cls, value: list[SearchableCollection]) -> list[SearchableCollection]:
        if not isinstance(value, list | tuple) or not value:
            raise ValueError("HybridRetriever needs at least one collection (LocalDocs objects)")
        for item in value:
            if missing := missing_parts(item):
                raise ValueError(
                    f"{type(item).__name__} is not a collection (it lacks {', '.join(missing)}): "
                    "pass LocalDocs objects, e.g. collections=[LocalDocs('manuals')]"
                )
        return list(value)

    @field_validator("file_types")
    @classmethod
    def _normalize_types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [t.lower().lstrip(".") for t in value]

    @property
    def embeddings(self) -> IndexEmbeddings:
        """The first collection's embedding model (the answer chain scores evidence with it)."""
        return self.collections[0].embeddings

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """Search every collection, fuse, apply the floor, and return the best ``k`` chunks."""
        reject_unknown("HybridRetriever call", kwargs, ("k",))
        limit = k if k is not None else self.k
        if limit <= 0 or not query.strip():
            return []
        search = self._search(query, limit)
        ranked = self._rank(search)
        if self.floor and ranked and not self.passes(self._evidence(search)):
            return []
        kept = ranked
        if self.use_mmr and len(kept) > limit:
            kept = self._diversify(search, kept, limit)
        return [_result(search.candidates[key], score) for key, score in kept[:limit]]

    def assess(self, query: str, k: int | None = None) -> FloorEvidence | None:
        """The evidence the relevance floor weighs for ``query`` (None when nothing is found).

        ``passes(assess(query))`` is the floor's decision.
        """
        if not query.strip():
            return None
        search = self._search(query, k if k is not None else self.k, evidence=True)
        return self._evidence(search) if search.candidates else None

    def _search(self, query: str, limit: int, *, evidence: bool | None = None) -> _Search:
        """Candidates of both methods (both run when the floor needs their evidence)."""
        both = self.floor if evidence is None else evidence
        search = _Search(query, max(self.fetch_k, 4 * limit))
        for docs in self.collections:
            docs.check_embeddings()
            where = self._where(docs)
            if where is not None and not where:
                continue  # the glob matched no file of this collection
            search.searched.append((docs, where))
            if self.mode != "keyword" or both:
                search.dense_search(docs, where)
            if self.mode != "dense" or both:
                search.keyword_search(docs, where)
        return search

    def _where(self, docs: SearchableCollection) -> Where | None:
        """The metadata filter for one collection; ``{}`` when the glob matches none of it."""
        clauses: list[dict[str, Any]] = []
        if self.file_types:
            clauses.append({"file_type": {"$in": list(self.file_types)}})
        if self.source_glob:
            matching = [s for s in docs.sources() if glob_match(s, self.source_glob)]
            if not matching:
                return {}
            clauses.append({"source": {"$in": matching}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _rank(self, search: _Search) -> list[tuple[Key, float]]:
        dense, keyword = search.rankings()
        if self.mode == "dense":
            return [(key, search.candidates[key].similarity or 0.0) for key in dense]
        if self.mode == "keyword":
            return [(key, search.candidates[key].bm25 or 0.0) for key in keyword]
        if is_mostly_cjk(search.query) and self.cjk_dense_weight != 1.0:
            return _weighted_fusion([dense, keyword], [self.cjk_dense_weight, 1.0])
        return reciprocal_rank_fusion([dense, keyword])

    def _evidence(self, search: _Search) -> FloorEvidence:
        """The floor's evidence, from the first ``fetch_k`` candidates of each method (whatever
        ``k``: the decision is the same for ``invoke(q, k=4)`` and ``invoke(q, k=10)``)."""
        dense, keyword = (ranking[: self.fetch_k] for ranking in search.rankings())
        cjk = is_mostly_cjk(search.query)
        terms = content_terms(search.query)
        texts = [
            search.candidates[key].document.page_content
            for key in dict.fromkeys([*dense, *keyword])
        ]
        # One matching pair is weak evidence in CJK (日本 in "日本的首都"): ask for two when there are.
        least = min(2, len(terms)) if cjk else 1
        # Abbreviations count: a question about a "logarithmic" axis is answered by log = "y".
        weighted = coverages(terms, texts, min_terms=least, abbreviations=True)
        plain = coverages(terms, texts, weighted=False, min_terms=least, abbreviations=True)
        held = found_terms(terms, texts, abbreviations=True)
        fused = reciprocal_rank_fusion([dense, keyword])
        top_dense, top_keyword = dense[:10], set(keyword[:10])
        return FloorEvidence(
            cjk=cjk,
            terms=len(terms),
            similarity=max(
                (search.candidates[key].similarity or 0.0 for key in dense), default=0.0
            ),
            coverage=max(weighted, default=0.0),
            plain_coverage=max(plain, default=0.0),
            absent=sum(term not in held for term in terms) / len(terms) if terms else 1.0,
            unknown=sum(
                is_name(word) and not search.anywhere(word)
                for term, word in term_words(search.query).items()
                if term not in held
            ),
            agreement=fused[0][1] if fused else 0.0,
            overlap=(
                sum(key in top_keyword for key in top_dense) / len(top_dense) if top_dense else 0.0
            ),
            bm25=max((search.candidates[key].bm25 or 0.0 for key in keyword), default=0.0),
        )

    def floor_score(self, evidence: FloorEvidence) -> float:
        """The floor's score for one question (:data:`FLOOR_RULE` or :data:`FLOOR_RULE_CJK`)."""
        return (FLOOR_RULE_CJK if evidence.cjk else FLOOR_RULE).score(evidence)

    def passes(self, evidence: FloorEvidence) -> bool:
        """The floor's decision for one question: answer (True) or "not in your files"."""
        return not self.floor or self.floor_score(evidence) >= self.floor_margin

    def _diversify(
        self, search: _Search, kept: list[tuple[Key, float]], limit: int
    ) -> list[tuple[Key, float]]:
        search.fill_vectors([key for key, _ in kept])
        usable = [(key, score) for key, score in kept if search.candidates[key].vector]
        if len(usable) <= limit:
            return kept
        top = max(score for _, score in usable) or 1.0
        picked = maximal_marginal_relevance(
            [score / top for _, score in usable],
            [search.candidates[key].vector or [] for key, _ in usable],
            limit,
            lambda_mult=self.mmr_lambda,
        )
        return [usable[i] for i in picked]


class _Search:
    """The state of one retrieval: candidates from both methods, and query vectors."""

    def __init__(self, query: str, fetch: int) -> None:
        self.query = query
        self.fetch = fetch
        self.candidates: dict[Key, _Candidate] = {}
        self.dense: list[Key] = []
        self.keyword: list[Key] = []
        self._vectors: dict[str, list[float]] = {}
        self._keyword_rank: dict[Key, int] = {}
        self.searched: list[tuple[SearchableCollection, Where | None]] = []
        """The collections searched, with their filters."""

    def query_vector(self, docs: SearchableCollection) -> list[float]:
        """The query embedded once per embedding model (collections may share one)."""
        model = docs.embeddings.model_id
        if model not in self._vectors:
            self._vectors[model] = docs.embed_query(self.query)
        return self._vectors[model]

    def dense_search(self, docs: SearchableCollection, where: Where | None) -> None:
        """Nearest chunks by cosine similarity."""
        for hit in docs.vector_store.query(self.query_vector(docs), self.fetch, where):
            candidate = _Candidate(docs, hit.document, similarity=1.0 - hit.distance)
            self.candidates[candidate.key] = candidate
            self.dense.append(candidate.key)

    def keyword_search(self, docs: SearchableCollection, where: Where | None) -> None:
        """Best BM25 matches; their text comes from the ledger."""
        pairs = docs.keyword_index.search(self.query, self.fetch, where)
        missing = [
            chunk_id for chunk_id, _ in pairs if (docs.name, chunk_id) not in self.candidates
        ]
        for document in docs.get_documents(missing):
            self.candidates[(docs.name, str(document.id))] = _Candidate(docs, document)
        for rank, (chunk_id, score) in enumerate(pairs):
            key = (docs.name, chunk_id)
            if key in self.candidates:
                self.candidates[key].bm25 = score
                self.keyword.append(key)
                self._keyword_rank[key] = rank

    def anywhere(self, word: str) -> bool:
        """Whether any searched collection's keyword index holds ``word`` (filters apply)."""
        return any(docs.keyword_index.search(word, 1, where) for docs, where in self.searched)

    def rankings(self) -> tuple[list[Key], list[Key]]:
        """Dense and keyword rankings across collections, best first.

        Cosine similarities compare across collections (one embedding model); BM25 scores do
        not (each collection has its own term statistics: a one-chunk collection scores its
        perfect match lower than a large one scores a partial one). So keyword hits are
        interleaved by their rank within their collection, BM25 breaking ties.
        """
        dense = sorted(self.dense, key=lambda key: -(self.candidates[key].similarity or 0.0))
        keyword = sorted(
            self.keyword,
            key=lambda key: (self._keyword_rank[key], -(self.candidates[key].bm25 or 0.0)),
        )
        return dense[: self.fetch], keyword[: self.fetch]

    def fill_vectors(self, keys: Sequence[Key]) -> None:
        """Load the stored vectors of these candidates (one request per collection)."""
        wanted: dict[str, list[Key]] = {}
        for key in keys:
            if self.candidates[key].vector is None:
                wanted.setdefault(key[0], []).append(key)
        for group in wanted.values():
            store = self.candidates[group[0]].docs.vector_store
            found = store.embeddings_for([chunk_id for _, chunk_id in group])
            for key in group:
                self.candidates[key].vector = found.get(key[1])

    def fill_similarities(self, keys: Sequence[Key]) -> None:
        """Compute the similarity of candidates the dense side did not return."""
        missing = [key for key in keys if self.candidates[key].similarity is None]
        self.fill_vectors(missing)
        for key in missing:
            candidate = self.candidates[key]
            if candidate.vector is not None:
                candidate.similarity = cosine(self.query_vector(candidate.docs), candidate.vector)


def _weighted_fusion(
    rankings: Sequence[Sequence[Key]], weights: Sequence[float]
) -> list[tuple[Key, float]]:
    """Reciprocal rank fusion with a weight per ranking, scaled to (0, 1] like the plain one."""
    scores: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (RRF_CONSTANT + rank)
    best = sum(weights) / (RRF_CONSTANT + 1)
    fused = [(key, score / best) for key, score in scores.items() if score > 0]
    fused.sort(key=lambda pair: pair[1], reverse=True)
    return fused


def glob_match(source: str, pattern: str) -> bool:
    """Whether an absolute path matches a glob, anchored anywhere in the path or on the name."""
    if "/" not in pattern and fnmatch.fnmatchcase(source.rpartition("/")[2], pattern):
        return True
    return fnmatch.fnmatchcase(source, pattern) or fnmatch.fnmatchcase(source, f"*/{pattern}")


def _result(candidate: _Candidate, score: float) -> Document:
    metadata = dict(candidate.document.metadata)
    metadata["collection"] = candidate.docs.name
    metadata["score"] = float(score)
    return Document(
        id=candidate.document.id, page_content=candidate.document.page_content, metadata=metadata
    )
