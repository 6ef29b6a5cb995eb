"""Server-sent events, and stopping work the moment a client goes away."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from gpt4all_rag.errors import GPT4AllRagError
from gpt4all_rag.server.http_errors import APIError, ClientGone, to_api_error

T = TypeVar("T")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(data: dict[str, Any] | str) -> bytes:
    """One server-sent event."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n".encode()


class EventStream(StreamingResponse):
    """A ``text/event-stream`` reply that always closes its source when it ends.

    Starlette stops sending when the client disconnects but leaves the source generator
    suspended; closing it here runs its ``finally`` blocks at once, which frees the model.
    """

    body_iterator: AsyncIterator[bytes]

    def __init__(self, events: AsyncIterator[bytes]) -> None:
        super().__init__(events, media_type="text/event-stream", headers=SSE_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await close(self.body_iterator)


async def close(items: AsyncIterator[Any]) -> None:
    """Close an async generator now, so that its ``finally`` blocks run now, not at GC."""
    aclose = getattr(items, "aclose", None)
    if aclose is not None:
        await aclose()


@asynccontextmanager
async def closing(items: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """``contextlib.aclosing`` for any async iterator."""
    try:
        yield items
    finally:
        await close(items)


async def error_events(error: BaseException) -> AsyncIterator[bytes]:
    """What a stream sends when it fails after it started: an error event, then ``[DONE]``."""
    yield sse(to_api_error(error).body())
    yield sse("[DONE]")


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Await ``work``, cancelling it as soon as the client disconnects.

    Raises:
        ClientGone: The client left first; ``work`` was cancelled.
    """
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        task.cancel()  # a no-op once it is done
        await asyncio.gather(watcher, task, return_exceptions=True)
    if task.cancelled():
        raise ClientGone()
    return task.result()


async def first_item(request: Request, items: AsyncIterator[T]) -> T | None:
    """The first item of ``items`` (None when it is empty), given up if the client leaves.

    Streams start only once their first item is ready, so that errors found before any output
    (unknown collection, prompt too long) still get a proper status code.
    """

    async def first() -> T | None:
        async for item in items:
            return item
        return None

    return await unless_disconnected(request, first())


async def start(request: Request, items: AsyncIterator[T]) -> T | None:
    """:func:`first_item`, closing ``items`` when it fails; the model's refusals become 400.

    Raises:
        APIError: 400 for a request the model refuses (an unknown tool, a bad response_format).
    """
    try:
        return await first_item(request, items)
    except ValueError as error:
        await close(items)
        if isinstance(error, GPT4AllRagError):
            raise
        raise APIError(400, str(error)) from error
    except BaseException:
        await close(items)
        raise
