"""A wake-up call from worker threads to the event loop: "something changed, look again"."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ChangeFeed:
    """Wakes every asyncio subscriber when :meth:`notify` is called, from any thread.

    Subscribers read the current state themselves when woken, so a burst of notifications
    costs them one read, and a slow subscriber never holds up the notifier.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.version = 0
        """Counts notifications."""

    def notify(self) -> None:
        """Wake every subscriber."""
        with self._lock:
            self.version += 1
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # a closed loop: that subscriber is gone
                loop.call_soon_threadsafe(event.set)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Event]:
        """An event set on every change, for the duration of the block (in a running loop)."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._waiters.discard(entry)
