"""Fair turns at the models: one request at a time per model, first come first served.

llama.cpp must never run two generations on one model at once. The runtime's lock already
guarantees that; the queue here makes waiting fair (FIFO), bounded (more than ``max_waiting``
waiters get 503 instead of piling up threads) and cancellable (a client that leaves while
waiting simply leaves the line). Each model also has one worker thread that runs its blocking
work, request after request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from gpt4all_rag.server.http_errors import server_busy


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    worker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="gpt4all-rag-model")
    )
    waiting: int = 0
    served: int = 0


class ModelQueue:
    """Per-model FIFO lanes with a bounded wait.

    Args:
        max_waiting: Requests that may wait for one model; more are refused with 503.
        timeout: Seconds a request may wait for its turn before it is refused with 503.
    """

    def __init__(self, max_waiting: int, timeout: float) -> None:
        self.max_waiting = max_waiting
        self.timeout = timeout
        self._lanes: dict[str, _Lane] = {}

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Hold the model ``key`` for the duration of the block.

        Raises:
            APIError: 503 when the line is full or the wait times out.
        """
        lane = self._lanes.setdefault(key, _Lane())
        if lane.waiting >= self.max_waiting:
            raise server_busy(
                f"{lane.waiting} requests are already waiting for this model; try again later."
            )
        lane.waiting += 1
        try:
            async with asyncio.timeout(self.timeout):
                await lane.lock.acquire()
        except TimeoutError:
            raise server_busy(
                f"Waited {self.timeout:.0f} s for the model without getting a turn; try again."
            ) from None
        finally:
            lane.waiting -= 1
        try:
            lane.served += 1
            yield
        finally:
            lane.lock.release()

    def worker(self, key: str) -> ThreadPoolExecutor:
        """The one thread that runs the blocking work of model ``key``, request after request."""
        return self._lanes.setdefault(key, _Lane()).worker

    def shutdown(self) -> None:
        """Stop the worker threads (running work is not interrupted)."""
        for lane in self._lanes.values():
            lane.worker.shutdown(wait=False, cancel_futures=True)

    def snapshot(self) -> dict[str, dict[str, int | bool]]:
        """Per model: busy or not, requests waiting, requests served."""
        return {
            key: {"busy": lane.lock.locked(), "waiting": lane.waiting, "served": lane.served}
            for key, lane in self._lanes.items()
        }
