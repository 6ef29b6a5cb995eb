"""Indexing in the background: one writer thread runs the server's index jobs, one at a time.

Chat requests never wait for it: they run on the model threads and read the collections while
a job writes them (the ledger and Chroma take readers alongside one writer). The writer lock
of each collection (:class:`~gpt4all_rag.localdocs.lock.CollectionLock`) still keeps out other
processes, such as a ``gpt4all-rag index`` started in a terminal.

Jobs report their progress through a :class:`ChangeFeed`; a job is cancelled by raising from
its progress callback, which leaves the collection exactly as a killed run would: the next run
repairs it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from gpt4all_rag.errors import GPT4AllRagError
from gpt4all_rag.localdocs.progress import IndexProgress, ProgressUpdate
from gpt4all_rag.localdocs.report import IndexReport
from gpt4all_rag.server.change_feed import ChangeFeed

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
JobKind = Literal["create", "index", "watch"]

MAX_SHOWN_FAILURES = 200
"""Failed files kept per job for the page (the count is always exact)."""


class Indexable(Protocol):
    """What a job needs of a collection (``LocalDocs`` provides it)."""

    def index(
        self,
        paths: Sequence[Any],
        *,
        rebuild: bool = False,
        progress: IndexProgress | None = None,
    ) -> IndexReport:
        """Index ``paths`` into the collection."""
        ...


class JobCancelled(BaseException):
    """Raised inside a running job to stop it.

    A ``BaseException``, like ``KeyboardInterrupt`` and ``asyncio.CancelledError``: what the
    run did is kept for the next run to resume (a failed first run, an ``Exception``, is
    discarded instead), and no ``except Exception`` on the way turns it into a failure.
    """


@dataclass
class IndexingJob:
    """One index run of one collection, queued, running or finished."""

    collection: str
    kind: JobKind
    folders: list[str]
    rebuild: bool = False
    id: str = field(default_factory=lambda: f"job-{uuid.uuid4().hex[:16]}")
    state: JobState = "queued"
    phase: str = "queued"
    files_done: int = 0
    files_total: int = 0
    chunks_embedded: int = 0
    current: str = ""
    changes: set[str] = field(default_factory=set)
    """Paths whose changes this job picks up (watch jobs)."""
    report: IndexReport | None = None
    error: str | None = None
    queued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.state in ("queued", "running")

    def public(self) -> dict[str, Any]:
        """The job as the API shows it."""
        report = self.report
        failures = report.failed if report is not None else []
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "phase": self.phase,
            "files_done": self.files_done,
            "files_total": self.files_total,
            "chunks_embedded": self.chunks_embedded,
            "current": self.current,
            "pending_changes": len(self.changes) if self.state == "queued" else 0,
            "added": report.added if report else 0,
            "updated": report.updated if report else 0,
            "unchanged": report.unchanged if report else 0,
            "deleted": report.deleted if report else 0,
            "failed_count": len(failures),
            "failures": [
                {"source": item.source, "error": item.error}
                for item in failures[:MAX_SHOWN_FAILURES]
            ],
            "error": self.error,
            "queued_at": self.queued_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class IndexingJobs:
    """The server's single writer: a queue of index jobs run one after another.

    Args:
        open_collection: Opens a collection by name for writing.
        feed: Notified on every change of a job (progress included).
        before_run: Called on the writer thread just before a job runs (e.g. to save its
            folders); an exception there fails the job.
    """

    def __init__(
        self,
        open_collection: Callable[[str], Indexable],
        feed: ChangeFeed,
        before_run: Callable[[IndexingJob], None] | None = None,
    ) -> None:
        self._open = open_collection
        self._feed = feed
        self._before_run = before_run
        self._lock = threading.Lock()
        self._latest: dict[str, IndexingJob] = {}
        self._queued: dict[str, IndexingJob] = {}
        self._running: IndexingJob | None = None
        self._runs: dict[str, int] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="gpt4all-rag-index")

    def submit(
        self,
        collection: str,
        folders: Sequence[str],
        kind: JobKind,
        *,
        rebuild: bool = False,
        changes: set[str] | None = None,
    ) -> IndexingJob:
        """Queue an index run; a run already queued for the collection absorbs this one.

        Returns:
            The queued job (new, or the one that absorbed the request).
        """
        with self._lock:
            queued = self._queued.get(collection)
            if queued is not None:
                queued.folders = list(folders)
                queued.rebuild = queued.rebuild or rebuild
                queued.changes |= changes or set()
                if kind != "watch":
                    queued.kind = kind
                job = queued
            else:
                job = IndexingJob(
                    collection, kind, list(folders), rebuild, changes=changes or set()
                )
                self._queued[collection] = job
                self._latest[collection] = job
                self._writer.submit(self._run, job)
        self._feed.notify()
        return job

    def latest(self, collection: str) -> IndexingJob | None:
        """The collection's most recent job (queued, running or finished), if any."""
        with self._lock:
            return self._latest.get(collection)

    def runs(self, collection: str) -> int:
        """Runs of the collection started since the server started."""
        with self._lock:
            return self._runs.get(collection, 0)

    def collections(self) -> list[str]:
        """Collections that have had a job since the server started."""
        with self._lock:
            return sorted(self._latest)

    def cancel(self, collection: str) -> IndexingJob | None:
        """Stop the collection's job: a queued one at once, a running one at its next file.

        Returns:
            The job (None when the collection has no queued or running job).
        """
        with self._lock:
            job = self._latest.get(collection)
            if job is None or not job.active:
                return None
            job.cancel_requested.set()
            queued = self._queued.get(collection) is job
            if queued:
                del self._queued[collection]
        if queued:
            self._finish(job, "cancelled", None)
        return job

    def forget(self, collection: str) -> None:
        """Drop the collection's finished jobs (after it was removed)."""
        with self._lock:
            job = self._latest.get(collection)
            if job is not None and not job.active:
                del self._latest[collection]
        self._feed.notify()

    def shutdown(self) -> None:
        """Cancel every job and stop the writer thread (a running job stops at its next file)."""
        with self._lock:
            jobs = list(self._queued.values()) + ([self._running] if self._running else [])
        for job in jobs:
            job.cancel_requested.set()
        self._writer.shutdown(wait=False, cancel_futures=True)

    def run_now(self, work: Callable[[], Any]) -> Future[Any]:
        """Run ``work`` on the writer thread, after the jobs queued before it."""
        return self._writer.submit(work)

    # --- the writer thread ----------------------------------------------------------------------

    def _run(self, job: IndexingJob) -> None:
        with self._lock:
            if job.state != "queued":  # cancelled while it waited
                return
            self._queued.pop(job.collection, None)
            cancelled = job.cancel_requested.is_set()
            if not cancelled:
                self._running = job
                self._runs[job.collection] = self._runs.get(job.collection, 0) + 1
                job.state, job.phase, job.started_at = "running", "starting", time.time()
        if cancelled:
            self._finish(job, "cancelled", None)
            return
        self._feed.notify()
        try:
            if self._before_run is not None:
                self._before_run(job)
            docs = self._open(job.collection)
            report = docs.index(job.folders, rebuild=job.rebuild, progress=self._progress(job))
        except JobCancelled:
            self._finish(job, "cancelled", "Stopped; the next run picks up where this one was.")
        except GPT4AllRagError as error:
            self._finish(job, "failed", str(error))
        except Exception as error:  # shown on the page; the server keeps running
            self._finish(job, "failed", f"{type(error).__name__}: {error}")
        else:
            job.report = report
            self._finish(job, "done", None)

    def _progress(self, job: IndexingJob) -> IndexProgress:
        def update(progress: ProgressUpdate) -> None:
            if job.cancel_requested.is_set():
                raise JobCancelled()
            job.phase = progress.phase
            job.files_done = progress.files_done
            job.files_total = progress.files_total
            job.chunks_embedded = progress.chunks_embedded
            job.current = progress.current or job.current
            self._feed.notify()

        return update

    def _finish(self, job: IndexingJob, state: JobState, error: str | None) -> None:
        with self._lock:
            if self._running is job:
                self._running = None
            job.state, job.error, job.finished_at = state, error, time.time()
            job.phase = state
            job.current = ""
            job.finished.set()
        self._feed.notify()
