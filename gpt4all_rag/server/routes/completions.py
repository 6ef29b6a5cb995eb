"""``POST /v1/completions``: the prompt as it is, no chat template."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from langchain_core.outputs import GenerationChunk
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from gpt4all_rag.async_bridge import iterate_in_thread
from gpt4all_rag.llms import GPT4All
from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.schemas import Completion, CompletionChoice, CompletionRequest, Usage
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


def _prompt(body: CompletionRequest) -> str:
    if isinstance(body.prompt, str):
        return body.prompt
    if len(body.prompt) != 1:
        raise APIError(400, "Send one prompt per request.", param="prompt")
    return body.prompt[0]


async def _chunks(
    state: ServerState, llm: GPT4All, prompt: str, stop: list[str] | None, options: dict[str, Any]
) -> AsyncIterator[GenerationChunk]:
    """Generation chunks, the last one carrying finish_reason and usage."""
    key = str(llm.spec.path)
    run = iterate_in_thread(
        lambda _cancel: llm.stream_with_finish(prompt, stop=stop, **options),
        state.queue.worker(key),
    )
    async with state.queue.turn(key), closing(run) as chunks:
        async for chunk in chunks:
            yield chunk


@router.post("/v1/completions", response_model=Completion)
async def completions(body: CompletionRequest, request: Request) -> Response:
    """Continue a prompt with the model."""
    state = state_of(request)
    if body.suffix:
        raise APIError(400, "suffix is not supported.", param="suffix")
    spec = await run_in_threadpool(state.catalog.spec, body.model)
    llm = state.catalog.completion_model(spec)
    prompt = _prompt(body)
    options: dict[str, Any] = {"max_tokens": state.max_tokens(body.max_tokens)}
    for name in ("temperature", "top_p", "seed"):
        if (value := getattr(body, name)) is not None:
            options[name] = value
    chunks = _chunks(state, llm, prompt, body.stop_list(), options)
    first = await start(request, chunks)
    head = prompt if body.echo else ""
    if body.stream:
        return EventStream(_events(spec.name, head, first, chunks, body.include_usage()))
    return JSONResponse(await unless_disconnected(request, _whole(spec.name, head, first, chunks)))


def _finish(chunk: GenerationChunk) -> tuple[str | None, dict[str, int] | None]:
    info = chunk.generation_info or {}
    usage = info.get("usage")
    if usage:
        usage = {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}
    return info.get("finish_reason"), usage


async def _whole(
    model: str, head: str, first: GenerationChunk | None, chunks: AsyncIterator[GenerationChunk]
) -> dict[str, Any]:
    texts, finish, usage = [head], "stop", None
    async with closing(chunks):
        chunk = first
        while chunk is not None:
            texts.append(chunk.text)
            reason, counts = _finish(chunk)
            finish, usage = reason or finish, counts or usage
            chunk = await anext(chunks, None)
    reply = Completion(
        id=completion_id("cmpl"),
        created=int(time.time()),
        model=model,
        choices=[CompletionChoice(text="".join(texts), finish_reason=finish)],
        usage=Usage(**(usage or {"prompt_tokens": 0, "total_tokens": 0})),
    )
    return reply.model_dump(mode="json")


async def _events(
    model: str,
    head: str,
    first: GenerationChunk | None,
    chunks: AsyncIterator[GenerationChunk],
    include_usage: bool,
) -> AsyncIterator[bytes]:
    base = {
        "id": completion_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
    }

    def event(text: str, finish: str | None) -> bytes:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        return sse({**base, "choices": [choice]})

    if head:
        yield event(head, None)
    finish, usage = "stop", None
    try:
        async with closing(chunks):
            chunk = first
            while chunk is not None:
                if chunk.text:
                    yield event(chunk.text, None)
                reason, counts = _finish(chunk)
                finish, usage = reason or finish, counts or usage
                chunk = await anext(chunks, None)
    except Exception as error:
        async for item in error_events(error):
            yield item
        return
    yield event("", finish)
    if include_usage and usage is not None:
        yield sse({**base, "choices": [], "usage": usage})
    yield sse("[DONE]")
