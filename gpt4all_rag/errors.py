"""Errors shown to users: one base class, each message says what to do next.

Each class carries the exit status the CLI ends with (docs/cli.md lists them): 2 for input the
user can fix (a path, a name, a model file, a setting), 3 for the machine's state (a full disk, a
Chroma server gone) where a re-run resumes once it is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError

EXIT_USAGE = 2
"""Exit status of an error the user can fix in the command, its files or its settings."""
EXIT_ENVIRONMENT = 3
"""Exit status of an error in the machine's state (disk, server); nothing was lost."""
EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT, as shells report it)."""


class GPT4AllRagError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code: ClassVar[int] = EXIT_USAGE
    """Exit status of the CLI when this error ends a command."""


class ModelNotFoundError(GPT4AllRagError, LookupError):
    """A model name or path that resolves to nothing."""


class InvalidModelFileError(GPT4AllRagError, ValueError):
    """A file that is not a usable GGUF model (wrong magic, LFS pointer, truncated, ...)."""


class ContextOverflowError(GPT4AllRagError, ValueError):
    """A prompt that does not fit the model's context window."""

    def __init__(
        self, prompt_tokens: int, max_new_tokens: int, n_ctx: int, fix: str | None = None
    ) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.n_ctx = n_ctx
        over = prompt_tokens + max_new_tokens - n_ctx
        fix = fix or (
            "Shorten the prompt, lower max_tokens, or load the model with a larger n_ctx "
            "(--n-ctx or GPT4ALL_RAG_N_CTX on the command line)."
        )
        super().__init__(
            f"The prompt is {prompt_tokens} tokens and {max_new_tokens} more are reserved for the "
            f"answer, {over} over the context window of {n_ctx} tokens. {fix}"
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

    exit_code = EXIT_ENVIRONMENT

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


class VectorStoreLostError(GPT4AllRagError, ConnectionError):
    """The Chroma server stopped answering in the middle of an indexing run."""

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, url: str, collection: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"Lost the Chroma server at {url} while indexing {collection!r} ({reason}). Nothing "
            f"is lost: start the server again and re-run the same command; it resumes where this "
            f"run stopped."
        )


class DiskFullError(GPT4AllRagError, OSError):
    """The data home's disk filled up during a write."""

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, home: Path, free_bytes: int | None, doing: str) -> None:
        self.home = home
        free = "unknown" if free_bytes is None else _megabytes(free_bytes)
        super().__init__(
            f"The disk of the data home {home} ran out of space while {doing} ({free} free now). "
            f"Nothing is lost: free some space (or move the home with --home / GPT4ALL_RAG_HOME), "
            f"then re-run the same command; it resumes where this run stopped."
        )


class InvalidSettingError(GPT4AllRagError, ValueError):
    """A setting, flag or environment variable with a value that cannot work."""

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        super().__init__(f"Invalid {where}: {problem}")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size < 1e9 else f"{size / 1e9:.1f} GB"


def from_validation_error(
    error: ValidationError, names: Mapping[str, str] | None = None
) -> GPT4AllRagError:
    """One user-facing error for a pydantic ``ValidationError``.

    A validator's own error of this package (pydantic wraps it: an ``InvalidModelFileError`` for
    a broken .gguf, say) is returned as it was raised; otherwise the first problem is named with
    the flag or variable that sets it.

    Args:
        error: The validation error.
        names: How the user sets each field (``{"n_ctx": "--n-ctx or GPT4ALL_RAG_N_CTX"}``); a
            field not listed is shown as ``--field-name``.
    """
    problems = error.errors()
    for problem in problems:
        cause = (problem.get("ctx") or {}).get("error")
        if isinstance(cause, GPT4AllRagError):
            return cause
    if not problems:
        return InvalidSettingError(error.title, str(error).splitlines()[0])
    first = problems[0]
    field = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
    shown = (names or {}).get(field) or (f"--{field.replace('_', '-')}" if field else error.title)
    message = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    secret = "key" in field or "password" in field
    hidden = secret or isinstance(value, Mapping) or value is None
    given = "" if hidden else f" (got {_shown_value(value)})"
    more = f"; {len(problems) - 1} more problem(s) after this one" if len(problems) > 1 else ""
    return InvalidSettingError(shown, f"{message}{given}{more}.")


def _shown_value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
