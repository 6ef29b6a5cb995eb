"""Evidence: the sentences of the retrieved chunks that best answer the question.

A small model loses facts buried in whole chunks, and a person wants to see where an answer
comes from. So the chunks are cut into sentences (:mod:`gpt4all_rag.text.sentences`), each is
scored against the question by the embedding model (meaning) and by keyword coverage (the
question's content words, weighted by rarity among the sentences), with a small bonus for the
retriever's own rank, and the best ones become the model's context and the answer's quotes.
Lines of a table of contents, questions, and sentences that only restate the question rank
lower: they match the question's words without answering it. A quote is the sentence and the
one or two that follow it in its chunk (answers often come right after the sentence that names
the problem). Sentences that read as instructions or dialogue turns are never evidence
(:func:`gpt4all_rag.text.injection.is_instruction_like`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gpt4all_rag.localdocs.fusion import cosine
from gpt4all_rag.text.claims import checkable_claims
from gpt4all_rag.text.injection import is_instruction_like, without_turns
from gpt4all_rag.text.relevance import content_terms, coverages, found_terms, is_mostly_cjk
from gpt4all_rag.text.sentences import join_sentences, split_sentences

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

MAX_CANDIDATES = 60
"""Sentences scored per question at most (the first ones of each chunk, in rank order)."""

DENSE_CANDIDATES = 12
"""Sentences also scored by the embedding model: the best by keyword, rank and claims (on the
development set no quote was lost by this; it keeps embedding off the time to first token)."""

QUOTE_CHARS = 300
"""A quote grows by the sentences after its evidence sentence up to this length."""

QUOTE_FOLLOWING = 2
"""Sentences after the evidence sentence that a quote may take in."""

ANSWER_CHARS = 400
"""An answer takes in the next best quote only while it stays within this length: on the
development set the second quote lifts the share of English answers holding the fact from 0.58
to 0.62 and keeps the median answer under 300 characters (docs/benchmarks.md)."""

NEXT_QUOTE_SHARE = 0.7
"""The next quote must score at least this share of the best evidence's score (on the
development set this drops only quotes that did not hold the fact)."""

_TABLE_OF_CONTENTS = re.compile(r"(?:\. ){3,}|\.{4,}|…{2,}")


@dataclass(frozen=True)
class EvidenceWeights:
    """How the scores of a sentence add up (chosen on bench/qa's development set)."""

    keyword: float = 0.5
    """Weight of the rarity-weighted share of the question's content terms in the sentence."""
    dense: float = 0.5
    """Weight of the cosine similarity of the sentence and the question embeddings."""
    rank: float = 0.3
    """Weight of ``1 / rank`` of the chunk the sentence comes from."""
    rank_cjk: float = 0.1
    """``rank`` for Chinese and Japanese questions (long chapters make chunk rank say less)."""
    claims: float = 0.1
    """Added to a sentence holding a number, identifier, quoted string or name: answers to
    technical questions usually do."""
    table_of_contents: float = 1.0
    """Subtracted from a line of a table of contents (dot leaders)."""
    question: float = 0.3
    """Subtracted from a sentence that is a question, or holds only the question's terms."""


@dataclass(frozen=True)
class Evidence:
    """One sentence of one source, and how well it answers the question."""

    source: int
    """The source's number, 1-based (``[n]`` in the answer)."""
    text: str
    """The sentence, verbatim up to whitespace."""
    score: float
    """Higher is better; comparable within one question only."""
    position: int
    """Index of the sentence in its chunk."""
    following: str = ""
    """The sentences after it in its chunk that its quote takes in (may be empty)."""

    @property
    def quote(self) -> str:
        """The sentence and the ones after it that complete it: what an answer quotes."""
        return join_sentences([self.text, self.following]) if self.following else self.text


def candidate_sentences(per_chunk: Sequence[Sequence[str]]) -> list[tuple[int, int, str]]:
    """``(source number, position, sentence)`` for the chunks' sentences that can be evidence:
    the first :data:`MAX_CANDIDATES`, taken round-robin across chunks, in reading order."""
    candidates: list[tuple[int, int, str]] = []
    depth = 0
    while len(candidates) < MAX_CANDIDATES and any(depth < len(s) for s in per_chunk):
        for number, sentences in enumerate(per_chunk, start=1):
            if depth < len(sentences) and not is_instruction_like(sentences[depth]):
                candidates.append((number, depth, sentences[depth]))
        depth += 1
    return sorted(candidates[:MAX_CANDIDATES])


def rank_evidence(
    question: str,
    texts: Sequence[str],
    embeddings: Embeddings | None = None,
    weights: EvidenceWeights | None = None,
) -> list[Evidence]:
    """The chunks' sentences, best evidence first.

    Args:
        question: The standalone question.
        texts: The retrieved chunks, best first (source ``[1]`` is ``texts[0]``).
        embeddings: The collection's embedding model; keyword coverage alone when None.
        weights: How keyword, dense and rank scores add up.

    Returns:
        Every candidate sentence with its score, highest first.
    """
    weights = weights or EvidenceWeights()
    per_chunk = [split_sentences(without_turns(text)) for text in texts]
    candidates = candidate_sentences(per_chunk)
    if not candidates:
        return []
    sentences = [sentence for _, _, sentence in candidates]
    terms = content_terms(question)
    rank_weight = weights.rank_cjk if is_mostly_cjk(question) else weights.rank
    lexical = [
        weights.keyword * kw
        + rank_weight / number
        + (weights.claims if checkable_claims(sentence) else 0.0)
        - _penalty(sentence, terms, weights)
        for (number, _, sentence), kw in zip(candidates, coverages(terms, sentences), strict=True)
    ]
    order = sorted(range(len(candidates)), key=lambda i: -lexical[i])
    dense = _dense_scores(question, [sentences[i] for i in order[:DENSE_CANDIDATES]], embeddings)
    scores = [lexical[i] + weights.dense * cos for i, cos in zip(order, dense, strict=False)]
    scores += [lexical[i] for i in order[DENSE_CANDIDATES:]]
    ranked = [
        Evidence(
            candidates[i][0],
            candidates[i][2],
            score,
            candidates[i][1],
            _following(per_chunk[candidates[i][0] - 1], candidates[i][1]),
        )
        for i, score in zip(order, scores, strict=True)
    ]
    return sorted(ranked, key=lambda e: (-e.score, e.source, e.position))


def select_evidence(ranked: Sequence[Evidence], limit: int) -> list[Evidence]:
    """The best ``limit`` quotes that do not overlap, in reading order (source, position)."""
    chosen: list[Evidence] = []
    for item in ranked:
        if len(chosen) == limit:
            break
        if not any(c.source == item.source and item.text in c.quote for c in chosen):
            chosen.append(item)
    return sorted(chosen, key=lambda e: (e.source, e.position))


def next_quote(ranked: Sequence[Evidence], answer: str, question: str) -> Evidence | None:
    """The best evidence whose quote shares no sentence with the answer, when it fits in the
    answer (:data:`ANSWER_CHARS`) and scores nearly as well as the best
    (:data:`NEXT_QUOTE_SHARE`) and shares a content term with the question; None otherwise: no
    worse one is taken instead."""
    if not ranked or ranked[0].score <= 0:
        return None
    flat = " ".join(answer.split())
    for item in ranked:
        if any(sentence in flat for sentence in split_sentences(item.quote)):
            continue  # it would repeat what the answer shows
        fits = len(flat) + len(item.quote) + 8 <= ANSWER_CHARS
        relevant = bool(found_terms(content_terms(question), [item.text]))
        good = item.score >= NEXT_QUOTE_SHARE * ranked[0].score
        return item if fits and relevant and good else None
    return None


def _penalty(sentence: str, question_terms: list[str], weights: EvidenceWeights) -> float:
    """How much a sentence looks like it matches the question without answering it."""
    penalty = weights.table_of_contents if _TABLE_OF_CONTENTS.search(sentence) else 0.0
    own_terms = set(content_terms(sentence))
    if sentence.rstrip().endswith(("?", "？")) or (own_terms and own_terms <= set(question_terms)):
        penalty += weights.question
    return penalty


def _following(sentences: Sequence[str], position: int) -> str:
    """Up to :data:`QUOTE_FOLLOWING` sentences after ``position`` that keep the quote within
    :data:`QUOTE_CHARS` (instructions and dialogue turns end it)."""
    taken: list[str] = []
    length = len(sentences[position])
    for sentence in sentences[position + 1 : position + 1 + QUOTE_FOLLOWING]:
        length += len(sentence) + 1
        if length > QUOTE_CHARS or is_instruction_like(sentence):
            break
        taken.append(sentence)
    return join_sentences(taken)


def _dense_scores(
    question: str, sentences: list[str], embeddings: Embeddings | None
) -> list[float]:
    if embeddings is None:
        return [0.0] * len(sentences)
    query = embeddings.embed_query(question)
    return [cosine(query, vector) for vector in embeddings.embed_documents(sentences)]
