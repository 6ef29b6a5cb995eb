"""Fitting sources to the context window."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gpt4all_rag.errors import ContextOverflowError
from gpt4all_rag.rag.context_budget import Budget, fit_texts


def words(question: str) -> Callable[[list[str]], int]:
    """A prompt measure: one token per word of the question and of every source."""
    return lambda texts: len(question.split()) + sum(len(t.split()) for t in texts)


def test_everything_fits() -> None:
    texts = ["a b c", "d e"]
    assert fit_texts(texts, words("q"), Budget(100, 10)) == texts


def test_lowest_ranked_dropped_first() -> None:
    texts = ["one two three", "four five", "six"]
    assert fit_texts(texts, words("q"), Budget(16, 10)) == ["one two three", "four five"]
    assert fit_texts(texts, words("q"), Budget(14, 10)) == ["one two three"]


def test_best_source_cut_when_alone_too_long() -> None:
    text = " ".join(f"w{i}" for i in range(50))
    kept = fit_texts([text, "other"], words("q"), Budget(20, 10))
    assert len(kept) == 1
    assert text.startswith(kept[0].removesuffix(" …"))
    assert words("q")(kept) <= 10


def test_question_alone_too_long() -> None:
    with pytest.raises(ContextOverflowError) as raised:
        fit_texts(["x"], words("a b c d e f"), Budget(10, 8))
    assert raised.value.prompt_tokens == 6
    assert raised.value.n_ctx == 10
