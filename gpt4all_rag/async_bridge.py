"""Run a blocking iterator on its own thread and consume it from asyncio without blocking the loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


async def iterate_in_thread(
    make_iterator: Callable[[threading.Event], Iterator[T]],
) -> AsyncIterator[T]:
    """Yield the items of ``make_iterator(cancel)``, produced on a dedicated daemon thread.

    When the consumer stops early (break, cancellation, client disconnect), ``cancel`` is set and
    the producer's iterator is closed, so a model it holds is freed after at most one more token.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=256)
    cancel = threading.Event()

    def put(item: object) -> None:
        try:
            future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        except RuntimeError:  # the loop is closed
            cancel.set()
            return
        while True:
            try:
                future.result(timeout=0.25)
                return
            except concurrent.futures.TimeoutError:
                if cancel.is_set():  # the consumer is gone: stop waiting for room
                    future.cancel()
                    return
            except concurrent.futures.CancelledError:
                cancel.set()
                return

    def produce() -> None:
        iterator = make_iterator(cancel)
        try:
            for item in iterator:
                if cancel.is_set():
                    break
                put(item)
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            if not cancel.is_set():
                put(_DONE)

    thread = threading.Thread(target=produce, name="gpt4all-rag-generate", daemon=True)
    thread.start()
    try:
        while (item := await queue.get()) is not _DONE:
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        cancel.set()
        while not queue.empty():  # unblock a producer waiting on a full queue
            queue.get_nowait()
