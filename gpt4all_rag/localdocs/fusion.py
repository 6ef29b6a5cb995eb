"""Rank fusion and diversity: reciprocal rank fusion (RRF) and maximal marginal relevance (MMR)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_CONSTANT = 60
"""The usual RRF constant (Cormack et al., 2009): damps the weight of the very first ranks."""


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], *, constant: int = RRF_CONSTANT
) -> list[tuple[K, float]]:
    """Fuse rankings by reciprocal rank: each item scores ``sum(1 / (constant + rank))``.

    Scores are divided by the best possible one (first in every ranking), so they fall in
    ``(0, 1]``: 1.0 means ranked first by every method, and an item found by only one of two
    methods scores at most 0.5.

    Args:
        rankings: Item keys, best first, one sequence per method; an item may be missing from
            some of them.
        constant: The RRF constant ``k`` (60 by default).

    Returns:
        ``(item, score)`` pairs, best first; ties keep the order in which items were first seen.
    """
    if not rankings:
        return []
    scores: dict[K, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (constant + rank)
    best = len(rankings) / (constant + 1)
    fused = [(item, score / best) for item, score in scores.items()]
    fused.sort(key=lambda pair: pair[1], reverse=True)
    return fused


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0.0 when either is all zeros)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def maximal_marginal_relevance(
    relevance: Sequence[float],
    vectors: Sequence[Sequence[float]],
    k: int,
    *,
    lambda_mult: float = 0.5,
) -> list[int]:
    """Pick ``k`` items that are relevant and unlike each other.

    Each step picks the item maximizing
    ``lambda_mult * relevance - (1 - lambda_mult) * max_similarity_to_picked``.

    Args:
        relevance: Relevance of each candidate, higher is better (e.g. fused scores in [0, 1]).
        vectors: Each candidate's embedding, for similarity between candidates.
        k: How many to pick.
        lambda_mult: 1.0 is pure relevance, 0.0 pure diversity.

    Returns:
        Indices of the picked candidates, in the order picked.
    """
    if len(relevance) != len(vectors):
        raise ValueError("relevance and vectors must have the same length")
    remaining = list(range(len(relevance)))
    picked: list[int] = []
    max_similarity = [0.0] * len(relevance)
    while remaining and len(picked) < k:
        best = max(
            remaining,
            key=lambda i: lambda_mult * relevance[i] - (1 - lambda_mult) * max_similarity[i],
        )
        picked.append(best)
        remaining.remove(best)
        for i in remaining:
            max_similarity[i] = max(max_similarity[i], cosine(vectors[i], vectors[best]))
    return picked
