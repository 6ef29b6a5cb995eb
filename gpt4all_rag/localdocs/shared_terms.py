"""Keyword search of a shared collection: BM25 over Chroma, with statistics the writer keeps.

FTS5's BM25 needs three collection statistics: the number of chunks ``N``, their average length
in tokens, and per token the number of chunks holding it (document frequency). The writer keeps
``N`` and the total length in the collection's metadata (:mod:`shared_record`) and one record per
token in a side collection, ``gpt4all_rag_terms_<collection id>`` (id: the token; metadata:
``df``). A reader:

1. reads the document frequencies of the query's tokens (one request);
2. fetches candidates with Chroma's server-side ``where_document`` ``$regex`` filter, for the
   rarest query terms first, as long as their chunks fit a budget;
3. scores the candidates with FTS5's BM25 formula on its own side (same tokens, same statistics),
   and stops when no chunk outside the candidates can beat the k-th: a chunk that holds none of
   the fetched terms scores at most the sum of the other terms' ``idf * (k1 + 1)``. When the
   budget runs out first, the ranking is the candidates' (``exact`` says so).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from gpt4all_rag.localdocs.shared_record import (
    TOKENS_CHUNK_KEY,
    SharedRecord,
    read_record,
    visible,
)
from gpt4all_rag.localdocs.shared_tokens import chunk_tokens, phrase_count, query_phrases
from gpt4all_rag.localdocs.where import Where
from gpt4all_rag.text.terms import CJK_CHAR

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

TERMS_PREFIX = "gpt4all_rag_terms_"
"""Name prefix of the side collections holding document frequencies."""
K1 = 1.2
"""BM25's term-frequency saturation (FTS5's value)."""
B = 0.75
"""BM25's length normalization (FTS5's value)."""
CANDIDATE_BUDGET = 4000
"""Most chunks one keyword search fetches from the server."""
STEP_CHUNKS_PER_RESULT = 4
"""Rare phrases are fetched together while their chunks stay under this many per result wanted;
smaller steps stop sooner (docs/benchmarks.md, "Shared collections on a Chroma server")."""
_DUMMY = [0.0]  # the side collection's records need a vector; they are only read by id


def terms_collection_name(collection_id: object) -> str:
    """Name of the side collection of a Chroma collection (by its id, so a rebuild starts anew)."""
    return TERMS_PREFIX + str(collection_id).replace("-", "")


def idf(n_rows: int, n_hit: int) -> float:
    """FTS5's inverse document frequency (a term in over half the chunks counts 1e-6)."""
    value = math.log((n_rows - n_hit + 0.5) / (n_hit + 0.5)) if n_rows else 0.0
    return value if value > 0 else 1e-6


class TermStats:
    """The document frequencies of one shared collection's tokens (the side collection)."""

    def __init__(self, client: ClientAPI, collection: Collection) -> None:
        self._client = client
        self.name = terms_collection_name(collection.id)
        self._batch = max(1, client.get_max_batch_size())
        self._side: Collection | None = None

    def _collection(self, create: bool = False) -> Collection | None:
        if self._side is None:
            from chromadb.errors import NotFoundError

            try:
                self._side = self._client.get_collection(self.name, embedding_function=None)
            except NotFoundError:
                if create:
                    self._side = self._client.create_collection(self.name, embedding_function=None)
        return self._side

    def frequencies(self, tokens: Sequence[str]) -> dict[str, int]:
        """Document frequency of each token (absent tokens are left out)."""
        side = self._collection()
        found: dict[str, int] = {}
        if side is None or not tokens:
            return found
        unique = sorted(set(tokens))
        for start in range(0, len(unique), self._batch):
            result = side.get(ids=unique[start : start + self._batch], include=["metadatas"])
            for token, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
                found[token] = int(cast(Any, (meta or {}).get("df", 0)))
        return found

    def apply(self, delta: Mapping[str, int]) -> None:
        """Add ``delta`` to the document frequencies (tokens reaching 0 are deleted)."""
        changed = {token: step for token, step in delta.items() if step}
        if not changed:
            return
        side = self._collection(create=True)
        assert side is not None
        current = self.frequencies(list(changed))
        keep: dict[str, int] = {}
        drop: list[str] = []
        for token, step in changed.items():
            value = current.get(token, 0) + step
            if value > 0:
                keep[token] = value
            elif token in current:
                drop.append(token)
        items = sorted(keep.items())
        for start in range(0, len(items), self._batch):
            part = items[start : start + self._batch]
            side.upsert(
                ids=[token for token, _ in part],
                embeddings=cast(Any, [_DUMMY] * len(part)),
                metadatas=cast(Any, [{"df": value} for _, value in part]),
            )
        for start in range(0, len(drop), self._batch):
            side.delete(ids=drop[start : start + self._batch])

    def replace(self, frequencies: Mapping[str, int]) -> None:
        """Replace every document frequency (a full rebuild)."""
        self.drop()
        self.apply(frequencies)

    def drop(self) -> None:
        """Delete the side collection."""
        if self._collection() is not None:
            self._client.delete_collection(self.name)
        self._side = None


@dataclass(frozen=True)
class _Phrase:
    term: str
    tokens: tuple[str, ...]
    df: int
    idf: float


class SharedKeywordIndex:
    """BM25 keyword search of a shared collection: ``search(query, k, where)``.

    Args:
        client: The Chroma client.
        collection: The shared collection.
        budget: Most chunks fetched per search.
    """

    def __init__(
        self, client: ClientAPI, collection: Collection, budget: int = CANDIDATE_BUDGET
    ) -> None:
        self._client = client
        self._collection = collection
        self._budget = budget
        self.exact = True
        """Whether the last search's ranking is provably the full BM25 ranking."""

    def search(
        self, query: str, k: int = 10, where: Where | None = None
    ) -> list[tuple[str, float]]:
        """Chunks best matching the query's words.

        Args:
            query: Free text, any language.
            k: How many chunks at most.
            where: A Chroma metadata filter.

        Returns:
            ``(chunk_id, score)`` pairs, best first; the score is FTS5's BM25 (higher is better).
        """
        self.exact = True
        if k <= 0:
            return []
        record = read_record(self._client, self._collection.name)
        phrases = self._phrases(query, record)
        if not phrases or record.chunks == 0:
            return []
        avgdl = record.total_tokens / record.chunks if record.chunks else 1.0
        scores: dict[str, float] = {}
        fetched = 0
        used = 0
        while used < len(phrases):
            step, used = self._next_step(phrases, used, k)
            cost = sum(p.df for p in step)
            if scores and fetched + cost > self._budget:
                self.exact = False
                break
            for chunk_id, tokens in self._candidates(step, record, where):
                if chunk_id not in scores:
                    scores[chunk_id] = _bm25(tokens, phrases, avgdl)
            fetched += cost
            bound = sum(p.idf * (K1 + 1) for p in phrases[used:])
            ranked = sorted(scores.values(), reverse=True)
            if len(ranked) >= k and ranked[k - 1] >= bound:
                break
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return [(chunk_id, score) for chunk_id, score in best[:k] if score > 0]

    def _next_step(self, phrases: list[_Phrase], used: int, k: int) -> tuple[list[_Phrase], int]:
        """The next phrases to fetch in one request: one, and more while their chunks are few."""
        step = [phrases[used]]
        cost = phrases[used].df
        used += 1
        while used < len(phrases) and cost + phrases[used].df <= max(
            STEP_CHUNKS_PER_RESULT * k, self._budget // 4
        ):
            cost += phrases[used].df
            step.append(phrases[used])
            used += 1
        return step, used

    def _phrases(self, query: str, record: SharedRecord) -> list[_Phrase]:
        """The query's phrases that occur in the collection, rarest first."""
        pairs = query_phrases(query)
        stats = TermStats(self._client, self._collection)
        df = stats.frequencies([token for _, tokens in pairs for token in tokens])
        phrases = []
        for term, tokens in pairs:
            hits = min(df.get(token, 0) for token in tokens)
            if hits:
                phrases.append(_Phrase(term, tokens, hits, idf(record.chunks, hits)))
        return sorted(phrases, key=lambda p: (p.df, p.term))

    def _candidates(
        self, phrases: Sequence[_Phrase], record: SharedRecord, where: Where | None
    ) -> list[tuple[str, list[str]]]:
        pattern = "(?i)(" + "|".join(_pattern(p) for p in phrases) + ")"
        result = self._collection.get(
            where=cast(Any, visible(where, record.generation)),
            where_document=cast(Any, {"$regex": pattern}),
            include=["metadatas"],
        )
        found: dict[str, list[str]] = {}
        untokenized: list[str] = []
        for chunk_id, meta in zip(result["ids"], result["metadatas"] or [], strict=True):
            spelled = (meta or {}).get(TOKENS_CHUNK_KEY)
            if isinstance(spelled, str):
                found[chunk_id] = spelled.split()
            else:  # written before chunks carried their tokens
                untokenized.append(chunk_id)
        if untokenized:
            texts = self._collection.get(ids=untokenized, include=["documents"])
            pairs = zip(texts["ids"], texts["documents"] or [], strict=True)
            documents = dict(pairs)
            tokens = chunk_tokens([documents.get(i) or "" for i in untokenized])
            found.update(zip(untokenized, tokens, strict=True))
        return [(chunk_id, found[chunk_id]) for chunk_id in result["ids"]]


_START = rf"(?:^|[\W_]|{CJK_CHAR.pattern})"
"""A word starts after anything FTS5 splits at (not a letter or digit, "_" included) and after a
Chinese or Japanese character (``keyword_terms`` spells those apart)."""
_END = rf"(?:[\W_]|{CJK_CHAR.pattern}|$)"


def _pattern(phrase: _Phrase) -> str:
    """A case-blind regex finding the phrase's chunks in raw text (a superset; BM25 sorts out).

    Words match at a word start: the stem as a prefix catches the inflections Porter folds
    (``model`` finds ``models``); words of one or two letters (never stemmed) match whole, or
    ``i`` would match nearly every chunk. Chinese and Japanese grams match anywhere.
    """
    if CJK_CHAR.search(phrase.term):
        return re.escape(phrase.term)
    if len(phrase.tokens) > 1:
        return _START + r"[\W_]+".join(re.escape(token) for token in phrase.tokens) + _END
    stem = phrase.tokens[0]
    if len(stem) <= 2 and len(phrase.term) <= 2:
        return _START + re.escape(phrase.term) + _END
    if stem[-1:] in ("i", "e") and len(stem) > 3:
        stem = stem[:-1]  # happi(ness) ~ happy, hope ~ hoping
    options = sorted({re.escape(phrase.term), re.escape(stem)})
    return _START + "(?:" + "|".join(options) + ")"


def _bm25(tokens: Sequence[str], phrases: Sequence[_Phrase], avgdl: float) -> float:
    """FTS5's BM25 of one chunk for the query's phrases (positive: higher is better)."""
    length = len(tokens)
    counts = Counter(tokens)
    score = 0.0
    for phrase in phrases:
        tf = (
            counts.get(phrase.tokens[0], 0)
            if len(phrase.tokens) == 1
            else phrase_count(tokens, phrase.tokens)
        )
        if tf:
            score += phrase.idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))
    return score
