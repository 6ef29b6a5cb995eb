"""The writer thread's queue: one run at a time, bursts coalesced, queued runs cancelled at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from gpt4all_rag.localdocs.progress import IndexProgress, ProgressUpdate
from gpt4all_rag.localdocs.report import IndexReport
from gpt4all_rag.server.change_feed import ChangeFeed
from gpt4all_rag.server.indexing_jobs import IndexingJobs


class GatedCollection:
    """Indexes nothing, but waits at its first progress update until the gate opens."""

    def __init__(self, name: str, gate: threading.Event, started: list[str]) -> None:
        self.name = name
        self.gate = gate
        self.started = started

    def index(
        self, paths: Sequence[Any], *, rebuild: bool = False, progress: IndexProgress | None = None
    ) -> IndexReport:
        self.started.append(self.name)
        assert progress is not None
        self.gate.wait(10)
        progress(ProgressUpdate("indexing", 1, 2, 0, 0.0, None, "/x/a.md"))
        return IndexReport(added=1)


def _jobs(gate: threading.Event, started: list[str]) -> IndexingJobs:
    return IndexingJobs(lambda name: GatedCollection(name, gate, started), ChangeFeed())


def test_runs_are_one_at_a_time_and_a_burst_is_coalesced() -> None:
    gate, started = threading.Event(), list[str]()
    jobs = _jobs(gate, started)
    try:
        first = jobs.submit("alpha", ["/x"], "create")
        queued = [jobs.submit("beta", ["/y"], "watch", changes={f"/y/{n}"}) for n in range(5)]
        assert all(job is queued[0] for job in queued)  # one queued run absorbs the others
        assert queued[0].public()["pending_changes"] == 5
        gate.set()
        assert first.finished.wait(10) and queued[0].finished.wait(10)
        assert started == ["alpha", "beta"]
        assert first.state == "done" and first.report == IndexReport(added=1)
        assert jobs.runs("beta") == 1
    finally:
        jobs.shutdown()


def test_a_queued_run_is_cancelled_at_once_and_a_running_one_at_its_next_file() -> None:
    gate, started = threading.Event(), list[str]()
    jobs = _jobs(gate, started)
    try:
        running = jobs.submit("alpha", ["/x"], "create")
        waiting = jobs.submit("beta", ["/y"], "index")
        deadline = time.monotonic() + 10
        while running.state != "running":  # alpha holds the writer, at its gate
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert jobs.cancel("beta") is waiting
        assert waiting.finished.is_set() and waiting.state == "cancelled"  # without waiting
        assert jobs.cancel("alpha") is running
        gate.set()
        assert running.finished.wait(10)
        assert running.state == "cancelled" and running.report is None
        assert started == ["alpha"]  # beta never ran
        assert jobs.cancel("alpha") is None
    finally:
        jobs.shutdown()
