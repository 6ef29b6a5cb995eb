"""What the answer chain asks of a chat model, beyond LangChain's chat-model interface.

Any LangChain chat model answers; one that also tells the traits below (``ChatGPT4All`` does)
gets a prompt in its own style, a context budget from its real window and per-call limits. The
chain reads them with :func:`traits_of` and never checks a model's class, so the answer chain
needs nothing of the model modules and any model can opt in by defining the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

DEFAULT_CONTEXT_SIZE = 4096
"""Context window assumed for chat models that do not tell theirs."""


class ModelTraits(Protocol):
    """The optional traits the answer chain reads from a chat model."""

    @property
    def context_size(self) -> int:
        """The context window in tokens, prompt and answer together."""
        ...

    @property
    def is_completion_model(self) -> bool:
        """Prompts are completion-style transcripts (a base model with no chat template)."""
        ...

    @property
    def takes_call_limits(self) -> bool:
        """``max_tokens`` and ``stop`` may be passed to each call."""
        ...


@dataclass(frozen=True)
class Traits:
    """A model's traits as the chain uses them, with defaults for models that tell none."""

    context_size: int = DEFAULT_CONTEXT_SIZE
    """The context window in tokens."""
    is_completion_model: bool = False
    """Prompt in completion style."""
    takes_call_limits: bool = False
    """Pass ``max_tokens`` and ``stop`` to each call."""


def traits_of(model: object) -> Traits:
    """The :class:`ModelTraits` ``model`` tells (a bound model's are its model's), with
    defaults for the ones it does not."""
    size = getattr(model, "context_size", None)
    return Traits(
        context_size=int(size) if isinstance(size, int) and size > 0 else DEFAULT_CONTEXT_SIZE,
        is_completion_model=getattr(model, "is_completion_model", False) is True,
        takes_call_limits=getattr(model, "takes_call_limits", False) is True,
    )
