"""``POST /v1/chat/completions``: plain chat, and LocalDocs answers when ``collections`` is given."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from langchain_core.messages import AIMessageChunk, BaseMessage
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from gpt4all_rag.async_bridge import iterate_in_thread
from gpt4all_rag.chat_models import ChatGPT4All
from gpt4all_rag.server.collection_answers import answer_items, check_collections, source_dicts
from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.messages import split_question, to_langchain, tool_call_deltas
from gpt4all_rag.server.schemas import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionRequest,
    FunctionCall,
    SourceOut,
    ToolCall,
    Usage,
)
from gpt4all_rag.server.state import ServerState, completion_id, state_of
from gpt4all_rag.server.streaming import (
    EventStream,
    closing,
    error_events,
    sse,
    start,
    unless_disconnected,
)

router = APIRouter()


class ChunkWriter:
    """Builds the ``chat.completion.chunk`` events of one streamed reply."""

    def __init__(self, model: str) -> None:
        self.base = {
            "id": completion_id("chatcmpl"),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
        }

    def choice(
        self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any
    ) -> bytes:
        """A chunk with one choice."""
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return sse({**self.base, "choices": [choice], **extra})

    def usage(self, usage: dict[str, int], **extra: Any) -> bytes:
        """The usage chunk sent last when ``stream_options.include_usage`` is set."""
        return sse({**self.base, "choices": [], "usage": usage, **extra})


def _usage(message: AIMessageChunk | None) -> dict[str, int] | None:
    meta = message.usage_metadata if message is not None else None
    if not meta:
        return None
    return {
        "prompt_tokens": meta["input_tokens"],
        "completion_tokens": meta["output_tokens"],
        "total_tokens": meta["total_tokens"],
    }


def _sampling(body: ChatCompletionRequest, max_tokens: int) -> dict[str, Any]:
    options: dict[str, Any] = {"max_tokens": max_tokens}
    for name in ("temperature", "top_p", "seed"):
        value = getattr(body, name)
        if value is not None:
            options[name] = value
    if body.response_format is not None and body.response_format.type != "text":
        options["response_format"] = body.response_format.model_dump(exclude_none=True)
    if body.tools:
        options["tools"] = body.tools
        options["tool_choice"] = body.tool_choice
        options["parallel_tool_calls"] = bool(body.parallel_tool_calls)
    if "response_format" in options or "tools" in options:
        # JSON cut by max_tokens comes back as it is, with finish_reason "length", as OpenAI
        # does: never as a tool call or a document that claims to be complete.
        options["on_truncation"] = "return"
    return options


async def _model_chunks(
    state: ServerState,
    llm: ChatGPT4All,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    options: dict[str, Any],
) -> AsyncIterator[AIMessageChunk]:
    key = str(llm.spec.path)
    run = iterate_in_thread(
        lambda _cancel: llm.stream(list(messages), stop=stop, **options),
        state.queue.worker(key),
    )
    async with state.queue.turn(key), closing(run) as chunks:
        async for chunk in chunks:
            assert isinstance(chunk, AIMessageChunk)
            yield chunk


@router.post("/v1/chat/completions", response_model=ChatCompletion)
async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
    """Chat with a model; with ``collections``, answer from those collections with sources."""
    state = state_of(request)
    spec = await run_in_threadpool(state.catalog.spec, body.model)
    llm = state.catalog.chat_model(spec)
    max_tokens = state.max_tokens(body.wanted_tokens())
    if body.collections:
        answer_tokens = max_tokens if body.wanted_tokens() is not None else None
        return await _localdocs(request, state, body, llm, answer_tokens)
    options = _sampling(body, max_tokens)
    if body.temperature is None and not spec.has_chat_template:
        options["temperature"] = state.settings.base_model_temperature
    messages, stop = to_langchain(body.messages), body.stop_list()
    chunks = _model_chunks(state, llm, messages, stop, options)
    greedy = None
    if options.get("temperature", llm.temperature) > 0:

        def greedy() -> AsyncIterator[AIMessageChunk]:
            return _model_chunks(state, llm, messages, stop, {**options, "temperature": 0.0})

    first = await start(request, chunks)
    if body.stream:
        return EventStream(_chat_events(ChunkWriter(spec.name), first, chunks, body, greedy))
    reply = _whole_reply(spec.name, first, chunks, greedy)
    return JSONResponse(await unless_disconnected(request, reply))


GreedyRetry = Callable[[], AsyncIterator[AIMessageChunk]] | None
"""Starts the same request again at temperature 0 (None when it already was greedy)."""


def _empty_reply() -> APIError:
    return APIError(
        422,
        "The model gave an empty reply, also when asked again greedily (temperature 0). "
        "Rephrase the message, or use a model with a chat template (GET /v1/models).",
        type="server_error",
        code="empty_reply",
    )


def _is_empty(chunk: AIMessageChunk) -> bool:
    return not chunk.text.strip() and not chunk.tool_calls and not chunk.tool_call_chunks


async def _merged(first: AIMessageChunk | None, chunks: AsyncIterator[AIMessageChunk]) -> Any:
    merged = first or AIMessageChunk(content="")
    async with closing(chunks):
        async for chunk in chunks:
            merged = merged + chunk
    return merged


async def _whole_reply(
    model: str,
    first: AIMessageChunk | None,
    chunks: AsyncIterator[AIMessageChunk],
    greedy: GreedyRetry = None,
) -> dict[str, Any]:
    merged = await _merged(first, chunks)
    if _is_empty(merged) and greedy is not None:
        retry = greedy()
        merged = await _merged(await anext(retry, None), retry)
    if _is_empty(merged):
        raise _empty_reply()
    calls = [
        ToolCall(
            id=call["id"] or "",
            function=FunctionCall(name=call["name"], arguments=json.dumps(call["args"])),
        )
        for call in merged.tool_calls
    ]
    reply = ChatCompletion(
        id=completion_id("chatcmpl"),
        created=int(time.time()),
        model=model,
        choices=[
            ChatChoice(
                message=AssistantMessage(content=merged.text, tool_calls=calls or None),
                finish_reason=merged.response_metadata.get("finish_reason", "stop"),
            )
        ],
        usage=Usage(**usage) if (usage := _usage(merged)) else None,
    )
    return reply.model_dump(mode="json", exclude_none=True)


async def _chat_events(
    writer: ChunkWriter,
    first: AIMessageChunk | None,
    chunks: AsyncIterator[AIMessageChunk],
    body: ChatCompletionRequest,
    greedy: GreedyRetry = None,
) -> AsyncIterator[bytes]:
    yield writer.choice({"role": "assistant", "content": ""})
    finish, usage = "stop", None
    said = False  # anything but whitespace sent yet
    try:
        for attempt in (1, 2):
            async with closing(chunks):
                chunk = first
                while chunk is not None:
                    if chunk.tool_call_chunks:
                        said = True
                        yield writer.choice({"tool_calls": tool_call_deltas(chunk)})
                    elif chunk.text:
                        said = said or bool(chunk.text.strip())
                        yield writer.choice({"content": chunk.text})
                    finish = chunk.response_metadata.get("finish_reason", finish)
                    usage = _usage(chunk) or usage
                    chunk = await anext(chunks, None)
            if said or greedy is None or attempt == 2:
                break
            chunks = greedy()  # an empty reply is asked again, greedily, on the same stream
            first = await anext(chunks, None)
        if not said:
            raise _empty_reply()
    except Exception as error:
        async for event in error_events(error):
            yield event
        return
    yield writer.choice({}, finish)
    if body.include_usage() and usage is not None:
        yield writer.usage(usage)
    yield sse("[DONE]")


# --- LocalDocs ---------------------------------------------------------------------------------


async def _localdocs(
    request: Request,
    state: ServerState,
    body: ChatCompletionRequest,
    llm: ChatGPT4All,
    max_tokens: int | None,
) -> Response:
    names = body.collections or []
    question, history = split_question(body.messages)
    await run_in_threadpool(check_collections, state.catalog.settings, names)
    options: dict[str, Any] = {"temperature": 0.0}  # extractive answers unless asked otherwise
    for name in ("temperature", "top_p", "seed"):
        if (value := getattr(body, name)) is not None:
            options[name] = value
    model = llm.model_copy(update=options)
    items = answer_items(state, model, names, question, history, max_tokens)
    first = await start(request, items)
    if body.stream:
        return EventStream(_answer_events(ChunkWriter(llm.spec.name), first, items))
    return JSONResponse(
        await unless_disconnected(request, _whole_answer(llm.spec.name, first, items))
    )


async def _whole_answer(model: str, first: Any, items: AsyncIterator[Any]) -> dict[str, Any]:
    pieces: list[str] = []
    sources: list[dict[str, Any]] = []
    async with closing(items):
        item = first
        while item is not None:
            if isinstance(item, str):
                pieces.append(item)
            else:
                sources = source_dicts(item)
                pieces = [item.answer]
            item = await anext(items, None)
    reply = ChatCompletion(
        id=completion_id("chatcmpl"),
        created=int(time.time()),
        model=model,
        choices=[
            ChatChoice(message=AssistantMessage(content="".join(pieces)), finish_reason="stop")
        ],
        sources=[SourceOut(**source) for source in sources],
    )
    body = reply.model_dump(mode="json", exclude_none=True)
    # Sources keep their null fields (page of a text file, quote of an uncited source).
    body["sources"] = [source.model_dump(mode="json") for source in reply.sources or []]
    return body


async def _answer_events(
    writer: ChunkWriter, first: Any, items: AsyncIterator[Any]
) -> AsyncIterator[bytes]:
    yield writer.choice({"role": "assistant", "content": ""})
    sources: list[dict[str, Any]] = []
    try:
        async with closing(items):
            item = first
            while item is not None:
                if isinstance(item, str):
                    if item:
                        yield writer.choice({"content": item})
                else:
                    sources = source_dicts(item)
                item = await anext(items, None)
    except Exception as error:
        async for event in error_events(error):
            yield event
        return
    yield writer.choice({}, "stop", sources=sources)
    yield sse("[DONE]")
