"""HybridRetriever: dense search in Chroma plus BM25 keyword search, fused by reciprocal rank."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, field_validator

from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.localdocs.fusion import cosine, maximal_marginal_relevance, reciprocal_rank_fusion
from gpt4all_rag.localdocs.where import Where
from gpt4all_rag.text.relevance import content_terms, coverages, is_mostly_cjk

Mode = Literal["hybrid", "dense", "keyword"]
Key = tuple[str, str]
"""A candidate's key: (collection name, chunk id)."""

DEFAULT_MIN_RELEVANCE = 0.55
"""Cosine similarity floor (all-MiniLM-L6-v2), tuned on questions over the R manuals and the
example documents: see docs/answers.md."""

DEFAULT_MIN_KEYWORD_COVERAGE = 0.7
"""Share of the question's content words a chunk must contain to pass the floor on keyword
evidence alone."""

DEFAULT_MIN_KEYWORD_COVERAGE_CJK = 0.35
"""The same for Chinese and Japanese questions, measured in character pairs: without word
boundaries many pairs straddle two words and match nothing, so far less of them is expected."""


@dataclass
class _Candidate:
    """One chunk found by either method, with the evidence about it."""

    docs: LocalDocs
    document: Document
    similarity: float | None = None
    """Cosine similarity to the query (when the dense side found it)."""
    bm25: float | None = None
    """BM25 score (when the keyword side found it)."""
    vector: list[float] | None = field(default=None, repr=False)

    @property
    def key(self) -> Key:
        return self.docs.name, str(self.document.id)


class HybridRetriever(BaseRetriever):
    """Retrieves chunks of one or more LocalDocs collections by meaning and by keyword.

    Dense search (Chroma, cosine) and BM25 keyword search (SQLite FTS5, CJK-aware) each rank
    candidates; reciprocal rank fusion merges the two rankings. A relevance floor then drops the
    chunks with no evidence of being about the question, so a question the files cannot answer
    retrieves nothing: a chunk stays when its embedding similarity reaches ``min_relevance``, or
    when it contains at least ``min_keyword_coverage`` of the question's content words. Optional
    MMR then trades a little relevance for variety.

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

    collections: list[LocalDocs]
    """The collections to search (their chunks are ranked together)."""
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
    source_glob: str | None = None
    """Only files whose absolute path matches this glob (``*.pdf``, ``*/manuals/*``, ``R-*``)."""
    file_types: list[str] | None = None
    """Only these file types (suffixes without the dot, e.g. ``["pdf", "md"]``)."""
    min_relevance: float | None = DEFAULT_MIN_RELEVANCE
    """Cosine similarity that lets a chunk pass the relevance floor; None turns the floor off."""
    min_keyword_coverage: float = Field(default=DEFAULT_MIN_KEYWORD_COVERAGE, ge=0.0, le=1.0)
    """Share of the question's content terms that lets a chunk pass the floor without the
    similarity."""
    min_keyword_coverage_cjk: float = Field(
        default=DEFAULT_MIN_KEYWORD_COVERAGE_CJK, ge=0.0, le=1.0
    )
    """``min_keyword_coverage`` for mostly Chinese or Japanese questions (character pairs)."""
    trust_dense_for_cjk: bool = False
    """Let similarity alone pass the floor for Chinese/Japanese questions. Off by default: the
    bundled English embedding model scores any Chinese text about 0.45 against any Chinese
    question, so for those only keyword coverage counts."""

    @field_validator("collections")
    @classmethod
    def _not_empty(cls, value: list[LocalDocs]) -> list[LocalDocs]:
        if not value:
            raise ValueError("HybridRetriever needs at least one collection")
        return value

    @field_validator("file_types")
    @classmethod
    def _normalize_types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [t.lower().lstrip(".") for t in value]

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """Search every collection, fuse, apply the floor, and return the best ``k`` chunks."""
        if kwargs:
            raise TypeError(f"Unexpected arguments: {sorted(kwargs)}")
        limit = k if k is not None else self.k
        if limit <= 0 or not query.strip():
            return []
        search = _Search(query, max(self.fetch_k, 4 * limit))
        for docs in self.collections:
            docs.check_embeddings()
            where = self._where(docs)
            if where is not None and not where:
                continue  # the glob matched no file of this collection
            if self.mode != "keyword":
                search.dense_search(docs, where)
            if self.mode != "dense":
                search.keyword_search(docs, where)
        ranked = self._rank(search)
        kept = self._floor(search, ranked)
        if self.use_mmr and len(kept) > limit:
            kept = self._diversify(search, kept, limit)
        return [_result(search.candidates[key], score) for key, score in kept[:limit]]

    def _where(self, docs: LocalDocs) -> Where | None:
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
        return reciprocal_rank_fusion([dense, keyword])

    def _floor(self, search: _Search, ranked: list[tuple[Key, float]]) -> list[tuple[Key, float]]:
        """Keep the chunks with enough similarity or enough of the question's content terms."""
        if self.min_relevance is None:
            return ranked
        cjk = is_mostly_cjk(search.query)
        needed = self.min_keyword_coverage_cjk if cjk else self.min_keyword_coverage
        terms = content_terms(search.query)
        texts = [search.candidates[key].document.page_content for key, _ in ranked]
        # One matching pair is weak evidence in CJK (日本 in "日本的首都"): ask for two when there are.
        shares = coverages(terms, texts, min_terms=min(2, len(terms)) if cjk else 1)
        lexical = {
            key for (key, _), share in zip(ranked, shares, strict=True) if terms and share >= needed
        }
        if self.mode == "keyword" or (cjk and not self.trust_dense_for_cjk):
            return [(key, score) for key, score in ranked if key in lexical]
        search.fill_similarities([key for key, _ in ranked if key not in lexical])
        threshold = self.min_relevance
        return [
            (key, score)
            for key, score in ranked
            if key in lexical or (search.candidates[key].similarity or -1.0) >= threshold
        ]

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

    def query_vector(self, docs: LocalDocs) -> list[float]:
        """The query embedded once per embedding model (collections may share one)."""
        model = docs.embeddings.model_id
        if model not in self._vectors:
            self._vectors[model] = docs.embed_query(self.query)
        return self._vectors[model]

    def dense_search(self, docs: LocalDocs, where: Where | None) -> None:
        """Nearest chunks by cosine similarity."""
        for hit in docs.vector_store.query(self.query_vector(docs), self.fetch, where):
            candidate = _Candidate(docs, hit.document, similarity=1.0 - hit.distance)
            self.candidates[candidate.key] = candidate
            self.dense.append(candidate.key)

    def keyword_search(self, docs: LocalDocs, where: Where | None) -> None:
        """Best BM25 matches; their text comes from the ledger."""
        pairs = docs.keyword_index.search(self.query, self.fetch, where)
        missing = [
            chunk_id for chunk_id, _ in pairs if (docs.name, chunk_id) not in self.candidates
        ]
        for document in docs.get_documents(missing):
            self.candidates[(docs.name, str(document.id))] = _Candidate(docs, document)
        for chunk_id, score in pairs:
            key = (docs.name, chunk_id)
            if key in self.candidates:
                self.candidates[key].bm25 = score
                self.keyword.append(key)

    def rankings(self) -> tuple[list[Key], list[Key]]:
        """Dense and keyword rankings across collections, best first."""
        dense = sorted(self.dense, key=lambda key: -(self.candidates[key].similarity or 0.0))
        keyword = sorted(self.keyword, key=lambda key: -(self.candidates[key].bm25 or 0.0))
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
