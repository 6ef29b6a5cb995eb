"""Run a blocking generator on a worker thread and read it from the event loop, never blocking
the worker.

Each item is handed over with one ``call_soon_threadsafe`` and the worker goes straight on to
the next token; it never waits for the event loop (which, on a busy machine, would add a
scheduling delay to every token). Replies are bounded by ``max_tokens``, so the hand-over
buffer needs no limit. When the reader stops (client gone, error, or done), the worker stops
before its next item and closes the generator, which releases the model.

The worker is the caller's executor: the server gives each model one long-lived thread, so
every generation on a model runs on the same thread and reuses the same memory arena (threads
made per request each grow their own malloc arena, which looks like a leak under load).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def stream_in_thread(
    make: Callable[[], Iterator[T]],
    executor: Executor,
) -> AsyncIterator[T]:
    """Yield the items of ``make()``, which runs (and is closed) on ``executor``."""
    loop = asyncio.get_running_loop()
    items: deque[Any] = deque()
    ready = asyncio.Event()
    stop = threading.Event()

    def hand_over(item: object) -> None:
        items.append(item)
        try:
            loop.call_soon_threadsafe(ready.set)
        except RuntimeError:  # the loop is closed: nobody is reading any more
            stop.set()

    def produce() -> None:
        iterator: Iterator[T] | None = None
        try:
            iterator = make()
            for item in iterator:
                if stop.is_set():
                    break
                hand_over(item)
        except BaseException as error:  # handed to the reader, which raises it
            hand_over(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            try:
                if close is not None:
                    close()
            finally:
                hand_over(_DONE)

    executor.submit(produce)
    try:
        while True:
            await ready.wait()
            ready.clear()
            while items:
                item = items.popleft()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
    finally:
        stop.set()
