"""Collections managed by the server: created from folders, re-indexed, watched, removed.

What the ``/v1/collections`` routes call. Writes go through :class:`IndexingJobs` (one writer
thread); folder watchers queue incremental runs there too, so a burst of edits while a run is
under way becomes one more run, not many.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from gpt4all_rag.config import Settings
from gpt4all_rag.errors import CollectionNotFoundError
from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.localdocs.folders import (
    CollectionFolders,
    check_folder,
    read_folders,
    write_folders,
)
from gpt4all_rag.localdocs.layout import Layout, validate_collection_name
from gpt4all_rag.localdocs.watching import DEFAULT_DEBOUNCE_MS, FolderWatcher
from gpt4all_rag.server.change_feed import ChangeFeed
from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.indexing_jobs import Indexable, IndexingJob, IndexingJobs


class CollectionManager:
    """Creates, re-indexes, watches and removes the collections of one data home.

    Args:
        settings: The library settings (data home, embedding model, Chroma).
        watch_all: Watch every collection whose folders are known, marked watched or not.
        open_collection: Opens a collection for writing; ``LocalDocs`` by default (tests pass
            one with a fast embedder).
        debounce_ms: Longest time file changes are gathered into one batch.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        watch_all: bool = False,
        open_collection: Callable[[str], Indexable] | None = None,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
    ) -> None:
        self.settings = settings
        self.layout = Layout.for_settings(settings)
        self.watch_all = watch_all
        self.feed = ChangeFeed()
        self.jobs = IndexingJobs(
            open_collection or (lambda name: LocalDocs(name, settings=settings)), self.feed
        )
        self._debounce_ms = debounce_ms
        self._watchers: dict[str, FolderWatcher] = {}
        self._watch_lock = threading.Lock()

    # --- life -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching the collections that are marked watched (or all, with ``watch_all``)."""
        for name in LocalDocs.collection_names(self.settings):
            self._sync_watcher(name)

    def shutdown(self) -> None:
        """Stop the watchers and the writer."""
        with self._watch_lock:
            watchers, self._watchers = list(self._watchers.values()), {}
        for watcher in watchers:
            watcher.stop(timeout=1.0)
        self.jobs.shutdown()

    # --- reading --------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Collections indexed here, and those whose first run is queued or under way."""
        indexed = set(LocalDocs.collection_names(self.settings))
        starting = {name for name in self.jobs.collections() if self._job_active(name)}
        return sorted(indexed | starting)

    def cards(self) -> list[dict[str, Any]]:
        """Every collection as the API lists it (one removed meanwhile is left out)."""
        cards = []
        for name in self.names():
            with contextlib.suppress(CollectionNotFoundError):
                cards.append(self.card(name))
        return cards

    def card(self, name: str) -> dict[str, Any]:
        """One collection: its counts, folders, watch state and latest job.

        Raises:
            CollectionNotFoundError: Neither indexed nor being created.
        """
        docs = LocalDocs(name, settings=self.settings)
        job = self.jobs.latest(name)
        if docs.exists:
            info = docs.info()
            counts = {
                "files": info.files,
                "failed_files": info.failed_files,
                "chunks": info.chunks,
                "embedding_model": info.embedding_model,
                "size_bytes": info.size_bytes,
                "interrupted": info.interrupted and not (job is not None and job.active),
            }
        elif job is not None and job.active:
            counts = {
                "files": 0,
                "failed_files": 0,
                "chunks": 0,
                "embedding_model": self.settings.embedding_model,
                "size_bytes": 0,
                "interrupted": False,
            }
        else:
            raise CollectionNotFoundError(name, LocalDocs.collection_names(self.settings))
        record = read_folders(self.layout, name)
        watched = self._is_watched(record)
        with self._watch_lock:
            watching = name in self._watchers
        return {
            "id": name,
            "object": "collection",
            **counts,
            "folders": record.folders if record else None,
            "watched": watched,
            "watching": watching,
            "status": _status(job),
            "up_to_date": watching and not (job is not None and job.active),
            "job": job.public() if job is not None else None,
        }

    # --- writing --------------------------------------------------------------------------------

    def create(self, name: str, folders: Sequence[str], watch: bool) -> IndexingJob:
        """Record a new collection's folders and queue its first run.

        Raises:
            InvalidCollectionNameError: A name Chroma would refuse.
            APIError: 409 when the collection exists or is being created.
            FolderRefusedError: A folder that is missing, unreadable or the data home.
        """
        validate_collection_name(name)
        if LocalDocs(name, settings=self.settings).exists or self._job_active(name):
            raise APIError(
                409,
                f"Collection {name!r} already exists: re-index it, or pick another name.",
                code="collection_exists",
                param="name",
            )
        record = CollectionFolders(folders=self._checked(folders), watched=watch)
        write_folders(self.layout, name, record)
        job = self.jobs.submit(name, record.folders, "create")
        self._sync_watcher(name)
        return job

    def reindex(self, name: str, rebuild: bool = False) -> IndexingJob:
        """Queue a run over the collection's recorded folders.

        Raises:
            CollectionNotFoundError: The collection does not exist.
            APIError: 409 when its folders are not known (it was indexed before they were kept).
        """
        record = self._record(name)
        return self.jobs.submit(name, record.folders, "index", rebuild=rebuild)

    def update(
        self, name: str, *, watch: bool | None = None, folders: Sequence[str] | None = None
    ) -> None:
        """Change what is watched, or which folders the collection is kept from.

        New folders take effect at the next run, which is queued at once.

        Raises:
            CollectionNotFoundError: The collection does not exist.
            FolderRefusedError: A folder that is missing, unreadable or the data home.
        """
        self._require(name)
        record = read_folders(self.layout, name) or CollectionFolders()
        if folders is not None:
            record.folders = self._checked(folders)
        if watch is not None:
            record.watched = watch
        if record.watched and not record.folders:
            raise _no_folders(name)
        write_folders(self.layout, name, record)
        self._sync_watcher(name, restart=folders is not None)
        if folders is not None:
            self.jobs.submit(name, record.folders, "index")
        self.feed.notify()

    def cancel(self, name: str) -> IndexingJob | None:
        """Stop the collection's queued or running job, if any."""
        self._require(name)
        return self.jobs.cancel(name)

    def remove(self, name: str) -> None:
        """Stop watching, stop its job, and delete the collection (blocking; run in a thread).

        Raises:
            CollectionNotFoundError: The collection does not exist.
            CollectionLockedError: Another process is writing it.
        """
        self._require(name)
        self._stop_watcher(name)
        job = self.jobs.cancel(name)
        if job is not None:
            job.finished.wait()
        # a first run stopped before it wrote anything leaves nothing to remove
        with contextlib.suppress(CollectionNotFoundError):
            LocalDocs(name, settings=self.settings).remove()
        self.jobs.forget(name)

    # --- watching -------------------------------------------------------------------------------

    def _is_watched(self, record: CollectionFolders | None) -> bool:
        return record is not None and bool(record.folders) and (record.watched or self.watch_all)

    def _sync_watcher(self, name: str, restart: bool = False) -> None:
        """Start or stop the collection's watcher to match its record."""
        record = read_folders(self.layout, name)
        if restart or not self._is_watched(record):
            self._stop_watcher(name)
        if not self._is_watched(record):
            return
        assert record is not None
        with self._watch_lock:
            if name in self._watchers:
                return
            watcher = FolderWatcher(
                record.folders,
                lambda paths: self._changed(name, paths),
                debounce_ms=self._debounce_ms,
            )
            self._watchers[name] = watcher
        watcher.start()
        self.feed.notify()

    def _stop_watcher(self, name: str) -> None:
        with self._watch_lock:
            watcher = self._watchers.pop(name, None)
        if watcher is not None:
            watcher.stop(timeout=1.0)
            self.feed.notify()

    def _changed(self, name: str, paths: set[str]) -> None:
        record = read_folders(self.layout, name)
        if record is None or not record.folders:
            return
        self.jobs.submit(name, record.folders, "watch", changes=paths)

    # --- helpers --------------------------------------------------------------------------------

    def _job_active(self, name: str) -> bool:
        job = self.jobs.latest(name)
        return job is not None and job.active

    def _require(self, name: str) -> None:
        validate_collection_name(name)
        if not LocalDocs(name, settings=self.settings).exists and not self._job_active(name):
            raise CollectionNotFoundError(name, LocalDocs.collection_names(self.settings))

    def _record(self, name: str) -> CollectionFolders:
        self._require(name)
        record = read_folders(self.layout, name)
        if record is None or not record.folders:
            raise _no_folders(name)
        return record

    def _checked(self, folders: Sequence[str]) -> list[str]:
        if not folders:
            raise APIError(400, "Give at least one folder to index.", param="folders")
        checked: list[str] = []
        for raw in folders:
            path = str(check_folder(raw, self.settings.home))
            if path not in checked:
                checked.append(path)
        return checked


def _status(job: IndexingJob | None) -> str:
    """ready, queued, indexing, failed or cancelled (the latest job's outcome)."""
    if job is None or job.state == "done":
        return "ready"
    if job.state == "running":
        return "indexing"
    return job.state


def _no_folders(name: str) -> APIError:
    return APIError(
        409,
        f"The folders of collection {name!r} are not known (it was indexed before they were "
        f"kept): set them once on the page, or with PATCH /v1/collections/{name} and "
        '{"folders": [...]}.',
        code="folders_unknown",
        param="folders",
    )
