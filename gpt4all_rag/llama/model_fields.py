"""Fields and plumbing shared by the chat model and the completion model over one llama.cpp runtime."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from gpt4all_rag.config import Settings
from gpt4all_rag.llama.catalog import ModelSpec, resolve_model
from gpt4all_rag.llama.runtime import LoadedModel, SamplingParams, load_model
from gpt4all_rag.strict_keywords import reject_unknown

_SAMPLING_KEYS = ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "max_tokens", "seed")
CALL_KEYWORDS = (*_SAMPLING_KEYS, "grammar")
"""What one call may override (besides ``stop``): the sampling fields and a GBNF grammar."""


class LocalModelFields(BaseModel):
    """A GGUF model run by llama.cpp on the CPU, and how to sample from it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())
    """Unknown fields are refused (subclasses that mix in LangChain's bases restate it: their
    config would otherwise win and drop a typo silently)."""

    takes_call_limits: ClassVar[bool] = True
    """Each call may pass ``max_tokens`` and ``stop`` (a trait the answer chain reads)."""

    model: str | None = None
    """Catalog name or path of a GGUF file; None means the configured default (bundled Gemma 3)."""
    n_ctx: int | None = Field(default=None, ge=256)
    """Context window; None means the model's trained length capped at 8192."""
    n_threads: int | None = Field(default=None, ge=1)
    """CPU threads; None means the number of physical cores."""
    temperature: float = Field(default=0.8, ge=0.0, le=2.0)
    """Sampling temperature; 0 picks the most likely token every time."""
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    """Nucleus sampling: keep the smallest set of tokens whose probability adds up to top_p."""
    top_k: int = Field(default=40, ge=0)
    """Keep only the k most likely tokens (0 keeps all)."""
    min_p: float = Field(default=0.05, ge=0.0, le=1.0)
    """Drop tokens less likely than min_p times the most likely one."""
    repeat_penalty: float = Field(default=1.1, ge=0.0)
    """Penalty for repeating recent tokens (1.0 disables it)."""
    max_tokens: int | None = Field(default=512, ge=1)
    """Most tokens to generate; None means until the context is full."""
    seed: int | None = None
    """Random seed for reproducible sampling."""
    stop: list[str] | None = None
    """Stop sequences: generation ends before any of them (they are never returned); added to
    the prompt format's own unless a call passes ``stop``, which replaces both."""

    settings: Settings | None = Field(default=None, exclude=True, repr=False)
    """Where the model is looked up (models folder, bundled copy), its default context size,
    threads and llama.cpp buffers; the process-wide settings (``GPT4ALL_RAG_*``) when None."""

    _spec: ModelSpec = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _known_keywords(cls, data: Any) -> Any:
        """Refuse an unknown keyword with a ``TypeError`` naming the nearest valid one."""
        if isinstance(data, dict):
            valid = {name for name in cls.model_fields} | {
                field.alias for field in cls.model_fields.values() if field.alias
            }
            reject_unknown(cls.__name__, data, valid)
        return data

    @model_validator(mode="after")
    def _resolve_spec(self) -> LocalModelFields:
        self._spec = resolve_model(self.model, self.settings)
        return self

    @property
    def spec(self) -> ModelSpec:
        """The resolved model file and what its header says."""
        return self._spec

    @property
    def loaded(self) -> LoadedModel:
        """The shared llama.cpp model, loaded on first use."""
        return load_model(
            self._spec, n_ctx=self.n_ctx, n_threads=self.n_threads, settings=self.settings
        )

    @property
    def context_size(self) -> int:
        """The context window in tokens, prompt and answer together."""
        return self.loaded.n_ctx

    def sampling_params(
        self, stop: list[str] | None, extra_stop: tuple[str, ...] = (), **overrides: Any
    ) -> SamplingParams:
        """Sampling for one call: the fields, overridden by call keyword arguments.

        ``stop`` given for a call replaces the default stop sequences: the ``stop`` field and the
        prompt format's own (the completion format's blank line), so ``stop=[]`` lets a base
        model write past a paragraph.
        """
        reject_unknown(f"{type(self).__name__} call", overrides, CALL_KEYWORDS)
        values = {key: overrides.get(key, getattr(self, key)) for key in _SAMPLING_KEYS}
        stops = list(stop) if stop is not None else [*(self.stop or []), *extra_stop]
        return SamplingParams(stop=tuple(stops), grammar=overrides.get("grammar"), **values)

    def ls_params(
        self, stop: list[str] | None, model_type: str, model_override: str | None = None
    ) -> dict[str, Any]:
        """LangSmith tracing parameters."""
        params: dict[str, Any] = {
            "ls_provider": "gpt4all_rag",
            "ls_model_name": model_override or self._spec.name,
            "ls_model_type": model_type,
            "ls_temperature": self.temperature,
        }
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params
