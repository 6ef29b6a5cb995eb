"""The one bridge from blocking iterators to asyncio: order, errors, early stop, reused threads."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gpt4all_rag.async_bridge import SHARED_WORKERS, iterate_in_thread
from gpt4all_rag.embedding_backends.base import quiet_transformers


def numbers(count: int, seen: list[str], closed: list[bool]) -> Iterator[int]:
    seen.append(threading.current_thread().name)
    try:
        yield from range(count)
    finally:
        closed.append(True)


async def test_items_arrive_in_order_and_the_iterator_is_closed() -> None:
    seen: list[str] = []
    closed: list[bool] = []
    items = [item async for item in iterate_in_thread(lambda _: numbers(500, seen, closed))]
    assert items == list(range(500))
    assert closed == [True]
    assert seen[0] != threading.current_thread().name


async def test_an_error_reaches_the_reader() -> None:
    def failing(_: threading.Event) -> Iterator[int]:
        yield 1
        raise ValueError("model broke")

    received = []
    with pytest.raises(ValueError, match="model broke"):
        async for item in iterate_in_thread(failing):
            received.append(item)
    assert received == [1]


async def test_a_reader_that_stops_cancels_and_closes_the_producer() -> None:
    cancelled = threading.Event()
    closed = threading.Event()

    def endless(cancel: threading.Event) -> Iterator[int]:
        try:
            count = 0
            while not cancel.is_set():
                count += 1
                yield count
            cancelled.set()
        finally:
            closed.set()

    stream = iterate_in_thread(endless)
    async for item in stream:
        if item == 3:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert await asyncio.to_thread(closed.wait, 5)


async def test_calls_reuse_a_bounded_pool_of_threads() -> None:
    seen: list[str] = []
    closed: list[bool] = []

    async def one() -> list[int]:
        return [item async for item in iterate_in_thread(lambda _: numbers(3, seen, closed))]

    for _ in range(3):  # sequential calls
        await asyncio.gather(*(one() for _ in range(20)))
    assert len(seen) == 60
    assert len(set(seen)) <= SHARED_WORKERS  # no thread per call
    assert all(name.startswith("gpt4all-rag-stream") for name in seen)


async def test_the_callers_executor_runs_the_work() -> None:
    seen: list[str] = []
    with ThreadPoolExecutor(1, thread_name_prefix="model-lane") as lane:
        for _ in range(3):
            items = [item async for item in iterate_in_thread(lambda _: numbers(2, seen, []), lane)]
            assert items == [0, 1]
    assert len(set(seen)) == 1 and seen[0].startswith("model-lane")


def test_quieting_transformers_leaves_the_process_as_it_was() -> None:
    from transformers.utils import logging as transformers_logging

    environment = dict(os.environ)
    verbosity = transformers_logging.get_verbosity()
    bars = transformers_logging.is_progress_bar_enabled()
    with quiet_transformers():
        assert transformers_logging.get_verbosity() == transformers_logging.ERROR
        assert not transformers_logging.is_progress_bar_enabled()
    assert dict(os.environ) == environment
    assert "TQDM_DISABLE" not in os.environ or environment.get("TQDM_DISABLE")
    assert transformers_logging.get_verbosity() == verbosity
    assert transformers_logging.is_progress_bar_enabled() == bars
