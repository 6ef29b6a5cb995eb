"""Reciprocal rank fusion and maximal marginal relevance."""

from __future__ import annotations

import pytest

from gpt4all_rag.localdocs.fusion import cosine, maximal_marginal_relevance, reciprocal_rank_fusion


def test_rrf_rewards_items_both_methods_found() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]])
    order = [item for item, _ in fused]
    assert order[:2] == ["b", "a"]  # found by both beats first-by-one
    assert set(order) == {"a", "b", "c", "d"}


def test_rrf_scores_are_scaled_to_one() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["a", "c"]]))
    assert fused["a"] == pytest.approx(1.0)
    assert fused["b"] == pytest.approx(0.5 * 61 / 62)
    assert all(0 < score <= 1 for score in fused.values())


def test_rrf_of_nothing() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_cosine() -> None:
    assert cosine([1, 0], [1, 0]) == pytest.approx(1.0)
    assert cosine([1, 0], [0, 1]) == pytest.approx(0.0)
    assert cosine([0, 0], [1, 1]) == 0.0


def test_mmr_skips_near_duplicates() -> None:
    relevance = [1.0, 0.99, 0.6]
    vectors = [[1.0, 0.0], [1.0, 0.01], [0.0, 1.0]]
    assert maximal_marginal_relevance(relevance, vectors, 2, lambda_mult=0.5) == [0, 2]
    assert maximal_marginal_relevance(relevance, vectors, 2, lambda_mult=1.0) == [0, 1]


def test_mmr_checks_lengths_and_k() -> None:
    with pytest.raises(ValueError):
        maximal_marginal_relevance([1.0], [], 1)
    assert maximal_marginal_relevance([0.5, 0.4], [[1, 0], [0, 1]], 5) == [0, 1]
