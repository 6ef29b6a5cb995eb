"""Progress of an indexing run: the update a callback receives, and how it is estimated."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, Protocol

Phase = Literal["scanning", "repairing", "loading model", "indexing", "removing", "done"]


@dataclass(frozen=True)
class ProgressUpdate:
    """A snapshot of a running index."""

    phase: Phase
    """What the run is doing."""
    files_done: int
    """Files handled so far (indexed, unchanged or failed)."""
    files_total: int
    """Files found in the indexed paths."""
    chunks_embedded: int
    """Chunks embedded so far."""
    embeddings_per_second: float
    """Embedding throughput so far."""
    eta_seconds: float | None
    """Estimated seconds left, from the bytes still to read; None until there is a rate."""
    current: str = ""
    """The file being handled, if any."""


class IndexProgress(Protocol):
    """A callback receiving progress updates (called from the indexing thread)."""

    def __call__(self, update: ProgressUpdate, /) -> None:
        """Receive one update."""


class ProgressTracker:
    """Counts work and turns it into :class:`ProgressUpdate` snapshots."""

    def __init__(self, callback: IndexProgress | None) -> None:
        self._callback = callback
        self._started = time.monotonic()
        self._embed_seconds = 0.0
        self.files_total = 0
        self.files_done = 0
        self.chunks_embedded = 0
        self.bytes_total = 0
        self.bytes_done = 0

    def embedded(self, count: int, seconds: float) -> None:
        """Record ``count`` chunks embedded in ``seconds``."""
        self.chunks_embedded += count
        self._embed_seconds += seconds

    def file_done(self, size: int = 0) -> None:
        """Record one file handled, of which ``size`` bytes needed work."""
        self.files_done += 1
        self.bytes_done += size

    @property
    def embeddings_per_second(self) -> float:
        """Chunks embedded per second of embedding."""
        return self.chunks_embedded / self._embed_seconds if self._embed_seconds else 0.0

    def eta_seconds(self) -> float | None:
        """Seconds left, extrapolated from the bytes read so far."""
        if self.bytes_done <= 0 or self.bytes_total <= 0:
            return None
        elapsed = time.monotonic() - self._started
        remaining = max(self.bytes_total - self.bytes_done, 0)
        return elapsed * remaining / self.bytes_done

    def emit(self, phase: Phase, current: str = "") -> None:
        """Send a snapshot to the callback, if there is one."""
        if self._callback is None:
            return
        self._callback(
            ProgressUpdate(
                phase=phase,
                files_done=self.files_done,
                files_total=self.files_total,
                chunks_embedded=self.chunks_embedded,
                embeddings_per_second=self.embeddings_per_second,
                eta_seconds=self.eta_seconds() if phase != "done" else 0.0,
                current=current,
            )
        )
