"""Run a blocking iterator on a worker thread and read it from asyncio, never blocking the loop.

The one bridge between the blocking model code and async callers: ``ChatGPT4All.astream``,
``GPT4All.astream``, ``AnswerChain.astream`` and the server's streaming routes.

* The worker never waits for the event loop: each item is handed over with one
  ``call_soon_threadsafe`` and the worker goes straight on to the next token (waiting for the
  loop would add a scheduling delay to every token on a busy machine). Generations are bounded by
  ``max_tokens`` and the context window, so the hand-over buffer needs no limit.
* No thread is made per call: work runs on the caller's executor (the server gives each model
  one long-lived thread, so every generation on a model reuses the same memory arena) or on one
  shared, bounded pool. Threads made per request each grow their own malloc arena, which looks
  like a leak under load.
* When the reader stops (break, cancellation, a client gone, an error), ``cancel`` is set: the
  producer passes it to the model, which stops after at most one more token, and the iterator is
  closed on the worker, which releases the model.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

SHARED_WORKERS = 8
"""Threads of the shared pool used when the caller gives no executor. Calls beyond it wait for
a free worker (generation on one model is serialized by its lock anyway)."""

_DONE = object()
_shared: ThreadPoolExecutor | None = None
_shared_lock = threading.Lock()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def shared_executor() -> ThreadPoolExecutor:
    """The process's pool for blocking iterators read from asyncio (built on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ThreadPoolExecutor(SHARED_WORKERS, thread_name_prefix="gpt4all-rag-stream")
        return _shared


async def iterate_in_thread(
    make_iterator: Callable[[threading.Event], Iterator[T]],
    executor: Executor | None = None,
) -> AsyncIterator[T]:
    """Yield the items of ``make_iterator(cancel)``, which runs (and is closed) on a worker.

    Args:
        make_iterator: Builds the blocking iterator; ``cancel`` is set when the reader stops.
        executor: Where it runs; the shared pool (:func:`shared_executor`) when None.

    Raises:
        Whatever the iterator raises, re-raised here.
    """
    loop = asyncio.get_running_loop()
    items: deque[Any] = deque()
    ready = asyncio.Event()
    cancel = threading.Event()

    def hand_over(item: object) -> None:
        items.append(item)
        try:
            loop.call_soon_threadsafe(ready.set)
        except RuntimeError:  # the loop is closed: nobody is reading any more
            cancel.set()

    def produce() -> None:
        iterator: Iterator[T] | None = None
        try:
            if cancel.is_set():  # the reader left before a worker was free
                return
            iterator = make_iterator(cancel)
            for item in iterator:
                if cancel.is_set():
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

    (executor or shared_executor()).submit(produce)
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
        cancel.set()
