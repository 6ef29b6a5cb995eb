"""One loaded llama.cpp model per (file, context settings), shared by every instance in the process.

llama.cpp is not thread-safe: every call on a model holds that model's lock. Generation is a plain
token loop over ``Llama.generate`` so that token counts are exact, stop sequences never leak into
the output, and a consumer that stops reading (or sets ``cancel``) frees the model at once.
"""

from __future__ import annotations

import atexit
import codecs
import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from gpt4all_rag.config import MAX_DEFAULT_N_CTX, Settings, get_settings
from gpt4all_rag.errors import ContextOverflowError
from gpt4all_rag.llama.catalog import ModelSpec
from gpt4all_rag.llama.cpu_support import extra_buffers_wanted, model_params_for

if TYPE_CHECKING:
    from llama_cpp import Llama

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens and when to stop."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int | None = 512
    stop: Sequence[str] = ()
    seed: int | None = None
    grammar: str | None = None
    """A GBNF grammar that constrains the output."""


@dataclass(frozen=True)
class Finished:
    """The last event of a generation: token counts and why it stopped."""

    prompt_tokens: int
    completion_tokens: int
    finish_reason: FinishReason


@dataclass
class LoadedModel:
    """A llama.cpp model in memory, with the lock that serializes its use."""

    spec: ModelSpec
    llama: Llama
    n_ctx: int
    n_threads: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    def detokenize(self, tokens: list[int], *, special: bool = False) -> str:
        """The text of ``tokens`` (special tokens written out when ``special``)."""
        with self.lock:
            return self.llama.detokenize(tokens, special=special).decode("utf-8", "replace")

    def special_text(self) -> tuple[str, str]:
        """The text of the model's BOS and EOS tokens, as chat templates write them."""
        with self.lock:
            bos, eos = self.llama.token_bos(), self.llama.token_eos()
        return self.detokenize([bos], special=True), self.detokenize([eos], special=True)

    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]:
        """Token ids of ``text``; special tokens written in the text are parsed as such."""
        with self.lock:
            return list(self.llama.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def count_tokens(self, text: str) -> int:
        """Number of tokens in ``text`` (without BOS)."""
        return len(self.tokenize(text, add_bos=False))

    def check_fits(self, prompt_tokens: int, max_tokens: int | None) -> None:
        """Raise :class:`ContextOverflowError` when the prompt leaves no room for the answer."""
        reserved = max_tokens if max_tokens is not None else 1
        if prompt_tokens + reserved > self.n_ctx:
            raise ContextOverflowError(prompt_tokens, reserved, self.n_ctx)

    def generate(
        self,
        prompt_tokens: list[int],
        params: SamplingParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[str | Finished]:
        """Stream text pieces for ``prompt_tokens``, then one :class:`Finished`.

        Raises:
            ContextOverflowError: The prompt does not fit with ``params.max_tokens`` more.
        """
        self.check_fits(len(prompt_tokens), params.max_tokens)
        with self.lock:
            yield from self._generate_locked(prompt_tokens, params, cancel)

    def _generate_locked(
        self, prompt_tokens: list[int], params: SamplingParams, cancel: threading.Event | None
    ) -> Iterator[str | Finished]:
        limit = self.n_ctx - len(prompt_tokens)
        if params.max_tokens is not None:
            limit = min(limit, params.max_tokens)
        self.llama.set_seed(params.seed if params.seed is not None else random.randrange(2**31))
        # Evaluate the whole prompt every time: llama-cpp-python's prefix reuse samples from
        # different logits than a fresh evaluation (seen with Gemma 3), breaking seeded runs.
        self.llama.reset()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = _StopMatcher(params.stop)
        count = 0
        reason: FinishReason = "length"
        tokens = self.llama.generate(prompt_tokens, **_sampler_kwargs(params, self.llama))
        try:
            for token in tokens:
                if self._is_end_of_generation(token) or (cancel is not None and cancel.is_set()):
                    reason = "stop"
                    break
                count += 1
                piece, stopped = stops.feed(decoder.decode(self.llama.detokenize([token])))
                if piece:
                    yield piece
                if stopped:
                    reason = "stop"
                    break
                if count >= limit:
                    break
        finally:
            tokens.close()
            self._free_sampler()
        if reason == "length" and (tail := stops.flush()):
            yield tail
        yield Finished(len(prompt_tokens), count, reason)

    def _free_sampler(self) -> None:
        """Free this generation's sampler chain now: llama-cpp-python keeps it in a reference
        cycle, so its vocabulary-sized native buffers would otherwise wait for a full GC."""
        sampler = getattr(self.llama, "_sampler", None)
        if sampler is not None:
            sampler.close()
            self.llama._sampler = None

    def _is_end_of_generation(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self.llama._model.vocab, token))


def _sampler_kwargs(params: SamplingParams, llama: Llama) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "temp": params.temperature,
        "top_p": params.top_p,
        "top_k": params.top_k,
        "min_p": params.min_p,
        "repeat_penalty": params.repeat_penalty,
    }
    if params.grammar is not None:
        from llama_cpp import LlamaGrammar

        kwargs["grammar"] = LlamaGrammar.from_string(params.grammar, verbose=False)
    return kwargs


class _StopMatcher:
    """Holds back text that might be the start of a stop sequence; never emits a stop sequence."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [stop for stop in stops if stop]
        self._pending = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """Add generated text; return what is safe to emit and whether a stop sequence appeared."""
        if not self._stops:
            return text, False
        self._pending += text
        hits = [index for stop in self._stops if (index := self._pending.find(stop)) >= 0]
        if hits:
            emitted, self._pending = self._pending[: min(hits)], ""
            return emitted, True
        keep = self._longest_partial_stop()
        cut = len(self._pending) - keep
        emitted, self._pending = self._pending[:cut], self._pending[cut:]
        return emitted, False

    def flush(self) -> str:
        """Text held back when generation ended without a stop sequence."""
        pending, self._pending = self._pending, ""
        return pending

    def _longest_partial_stop(self) -> int:
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:size]):
                    longest = size
                    break
        return longest


ModelKey = tuple[str, int, int, bool, bool]
"""(file, context size, threads, embedding, extra buffers): one loaded model each."""

_MODELS: dict[ModelKey, LoadedModel] = {}
_MODELS_LOCK = threading.Lock()
"""Guards the two dicts only; held for a lookup, never while a model loads."""
_LOAD_LOCKS: dict[ModelKey, threading.Lock] = {}
"""One lock per model key: loading one model never stalls requests to another."""


@atexit.register
def _close_models() -> None:
    """Free llama.cpp models before interpreter teardown (their finalizers fail after it)."""
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            loaded.llama.close()
        _MODELS.clear()


def default_n_ctx(spec: ModelSpec, settings: Settings | None = None) -> int:
    """The configured context size, else the model's trained length capped at 8192."""
    configured = (settings or get_settings()).n_ctx
    if configured:
        return configured
    return min(spec.context_length or MAX_DEFAULT_N_CTX, MAX_DEFAULT_N_CTX)


def load_model(
    spec: ModelSpec,
    *,
    n_ctx: int | None = None,
    n_threads: int | None = None,
    embedding: bool = False,
    settings: Settings | None = None,
) -> LoadedModel:
    """The process-wide loaded model for ``spec`` and these settings, loading it on first use.

    Args:
        spec: The model file.
        n_ctx: Context size; the settings' (or the model's trained length capped) when None.
        n_threads: Threads; the settings' (or the physical cores) when None.
        embedding: Load for embeddings.
        settings: Defaults for the above and llama.cpp's buffers; the process-wide ones when
            None.
    """
    settings = settings or get_settings()
    n_ctx = n_ctx or default_n_ctx(spec, settings)
    n_threads = n_threads or settings.threads()
    extra_buffers = extra_buffers_wanted(settings.llama_extra_buffers)
    key = (str(spec.path), n_ctx, n_threads, embedding, extra_buffers)
    with _MODELS_LOCK:
        if (loaded := _MODELS.get(key)) is not None:
            return loaded
        load_lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with load_lock:  # a second caller for the same key waits here, then finds it loaded
        with _MODELS_LOCK:
            if (loaded := _MODELS.get(key)) is not None:
                return loaded
        llama = _load_llama(spec, n_ctx, n_threads, embedding, extra_buffers)
        with _MODELS_LOCK:
            loaded = _MODELS[key] = LoadedModel(spec, llama, n_ctx, n_threads)
        return loaded


def _load_llama(
    spec: ModelSpec, n_ctx: int, n_threads: int, embedding: bool, extra_buffers: bool
) -> Llama:
    from llama_cpp import Llama

    from gpt4all_rag.errors import InvalidModelFileError
    from gpt4all_rag.llama.logs import quiet_llama_logs

    quiet_llama_logs()
    try:
        with model_params_for(extra_buffers):
            return Llama(
                model_path=str(spec.path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=min(512, n_ctx),
                embedding=embedding,
                verbose=False,
            )
    except (ValueError, RuntimeError) as error:
        raise InvalidModelFileError(
            f"{spec.path}: llama.cpp could not load this model ({error}). It may need a newer "
            "llama-cpp-python, or the file is damaged."
        ) from error
