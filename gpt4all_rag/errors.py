"""Errors shown to users: one base class, each message says what to do next."""

from __future__ import annotations


class GPT4AllRagError(Exception):
    """Base class of every error this package raises on purpose."""


class ModelNotFoundError(GPT4AllRagError, LookupError):
    """A model name or path that resolves to nothing."""


class InvalidModelFileError(GPT4AllRagError, ValueError):
    """A file that is not a usable GGUF model (wrong magic, LFS pointer, truncated, ...)."""


class ContextOverflowError(GPT4AllRagError, ValueError):
    """A prompt that does not fit the model's context window."""

    def __init__(self, prompt_tokens: int, max_new_tokens: int, n_ctx: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.n_ctx = n_ctx
        over = prompt_tokens + max_new_tokens - n_ctx
        super().__init__(
            f"The prompt is {prompt_tokens} tokens and {max_new_tokens} more are reserved for the "
            f"answer, {over} over the context window of {n_ctx} tokens. Shorten the prompt, lower "
            f"max_tokens, or load the model with a larger n_ctx."
        )

    @property
    def excess_tokens(self) -> int:
        """How many tokens too many."""
        return self.prompt_tokens + self.max_new_tokens - self.n_ctx


class OutputTruncatedError(GPT4AllRagError, ValueError):
    """A tool call or structured output cut by ``max_tokens`` before its JSON was complete."""

    def __init__(self, max_tokens: int | None, what: str, text: str) -> None:
        self.max_tokens = max_tokens
        self.text = text
        limit = f"max_tokens={max_tokens}" if max_tokens is not None else "the context window"
        super().__init__(
            f"The {what} was cut at {limit} before its JSON was complete ({text[-60:]!r}); "
            f"raise max_tokens (or bound the schema: maxItems, maxLength) and try again."
        )


class MissingDependencyError(GPT4AllRagError, ImportError):
    """An optional dependency that a feature needs is not installed."""

    def __init__(self, package: str, extra: str | None = None) -> None:
        fix = f"pip install 'gpt4all-rag[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"This feature needs the package {package!r}: {fix}")


class CollectionNotFoundError(GPT4AllRagError, LookupError):
    """A collection name that does not exist."""

    def __init__(self, name: str, existing: list[str]) -> None:
        self.name = name
        self.existing = existing
        listed = ", ".join(sorted(existing)) if existing else "none yet"
        super().__init__(
            f"No collection named {name!r}. Existing collections: {listed}. "
            f"Create one with: gpt4all-rag index PATH --collection {name}"
        )


class CollectionMismatchError(GPT4AllRagError, ValueError):
    """A collection indexed with another embedding model or other chunking settings."""


class CollectionLockedError(GPT4AllRagError, RuntimeError):
    """Another process is writing to the same collection."""


class DocumentLoadError(GPT4AllRagError):
    """One source could not be turned into documents; the reason is in the message."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class InvalidCollectionNameError(GPT4AllRagError, ValueError):
    """A collection name that Chroma would refuse."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        super().__init__(
            f"Invalid collection name {name!r}: {reason}. Use 3 to 63 characters from "
            f"a-z, A-Z, 0-9, '.', '_' and '-', starting and ending with a letter or digit."
        )


class IndexPathNotFoundError(GPT4AllRagError, FileNotFoundError):
    """A path given to index that does not exist and was never indexed."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"No such file or folder: {path}. Check the path and try again.")


class VectorStoreUnavailableError(GPT4AllRagError, ConnectionError):
    """The Chroma server cannot be reached."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"Cannot reach the Chroma server at {url} ({reason}). Start it with "
            f"`chroma run --path DIR --port PORT`, or fix --chroma-url / GPT4ALL_RAG_CHROMA_URL."
        )


class UnsupportedModelError(GPT4AllRagError, ValueError):
    """A model that the requested embedding backend cannot run."""


class ChunkSizeError(GPT4AllRagError, ValueError):
    """Chunking settings that do not fit the embedding model's input window."""


class EvalFileError(GPT4AllRagError, ValueError):
    """A QA file for ``gpt4all-rag eval`` that cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"{path}: {reason}. Each line must be a JSON object "
            f'{{"question": str, "answer_contains": [str, ...], "source": str, '
            f'"pages": [int, ...] | null}} (see docs/benchmarks.md).'
        )


class EmptyQuestionError(GPT4AllRagError, ValueError):
    """A question with no text."""

    def __init__(self) -> None:
        super().__init__('The question is empty. Ask something, e.g. gpt4all-rag ask "What is X?"')
