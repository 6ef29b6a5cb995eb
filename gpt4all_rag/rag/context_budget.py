"""Fitting retrieved chunks into the model's context window, by counting tokens.

The prompt with all sources is measured in the model's own tokens; while it and the tokens
reserved for the answer exceed the context window, the lowest-ranked source is dropped. If even
the best source alone does not fit, its text is cut to what fits. If the question alone does not
fit, :class:`~gpt4all_rag.errors.ContextOverflowError` is raised: the prompt never overflows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gpt4all_rag.errors import ContextOverflowError


@dataclass(frozen=True)
class Budget:
    """The context window and what must stay free in it."""

    context_size: int
    """Tokens the model can attend to, prompt and answer together."""
    answer_tokens: int
    """Tokens reserved for the answer."""

    @property
    def prompt_limit(self) -> int:
        """Most tokens the prompt may take."""
        return self.context_size - self.answer_tokens


def fit_texts(
    texts: Sequence[str],
    measure: Callable[[list[str]], int],
    budget: Budget,
) -> list[str]:
    """The longest prefix of ``texts`` (best first) whose prompt fits the budget.

    Args:
        texts: Source texts, best-ranked first.
        measure: Tokens of the whole prompt built from the given source texts.
        budget: The context window and the answer's reserve.

    Returns:
        The texts kept, in order; the last one may be cut short when the best one alone is too
        long.

    Raises:
        ContextOverflowError: When the prompt does not fit even without any source.
    """
    kept = list(texts)
    while kept:
        if measure(kept) <= budget.prompt_limit:
            return kept
        kept.pop()
    bare = measure([])
    if bare > budget.prompt_limit:
        raise ContextOverflowError(
            bare,
            budget.answer_tokens,
            budget.context_size,
            fix="Shorten the question, or load the model with a larger context window (n_ctx; "
            "--n-ctx or GPT4ALL_RAG_N_CTX on the command line).",
        )
    if not texts:
        return []
    cut = _longest_fitting_prefix(texts[0], lambda text: measure([text]), budget.prompt_limit)
    return [cut] if cut else []


def _longest_fitting_prefix(text: str, measure: Callable[[str], int], limit: int) -> str:
    """The longest prefix of ``text`` (cut at a space when possible) whose prompt fits."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    if low == len(text):
        return text
    prefix = text[:low]
    if " " in prefix:
        prefix = prefix.rsplit(" ", 1)[0].rstrip()
    marked = f"{prefix} …"
    return marked if prefix and measure(marked) <= limit else prefix
