"""Watching a collection's folders: changes are batched (debounced) and handed to a callback.

``watchfiles`` (Rust ``notify``) reports file events in batches: a batch ends once 50 ms pass
without a new event, or after ``debounce_ms`` at most, so saving a file (often several writes and
a rename) is one batch, and a long burst of changes is cut into batches of ``debounce_ms``. What to do
with a batch is the caller's: the server queues an incremental index run through its single
writer, ``gpt4all-rag index --watch`` runs one in the foreground.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpt4all_rag.errors import GPT4AllRagError
from gpt4all_rag.localdocs.folders import CollectionFolders, read_folders, write_folders

if TYPE_CHECKING:
    from gpt4all_rag.localdocs.collection import LocalDocs
    from gpt4all_rag.localdocs.report import IndexReport

logger = logging.getLogger("gpt4all_rag.localdocs")

DEFAULT_DEBOUNCE_MS = 800
"""Longest time changes are gathered into one batch."""
RETRY_SECONDS = 5.0
"""Wait before watching again after the watcher failed (a folder vanished, too many watches)."""

ChangeCallback = Callable[[set[str]], None]
"""Receives the paths changed (created, modified or deleted) in one batch."""


def change_batches(
    folders: Sequence[str | Path],
    stop: threading.Event,
    *,
    debounce_ms: int = DEFAULT_DEBOUNCE_MS,
    force_polling: bool | None = None,
) -> Iterator[set[str]]:
    """Batches of changed paths under ``folders`` until ``stop`` is set.

    Folders that do not exist (yet) are left out; a batch is never empty.
    """
    import watchfiles

    existing = [str(folder) for folder in folders if Path(folder).exists()]
    if not existing:
        stop.wait(RETRY_SECONDS)
        return
    for changes in watchfiles.watch(
        *existing,
        debounce=debounce_ms,
        stop_event=stop,
        force_polling=force_polling,
        ignore_permission_denied=True,
    ):
        paths = {path for _, path in changes}
        if paths:
            yield paths


class FolderWatcher:
    """Watches folders on a daemon thread and calls ``on_change`` with each batch of changes.

    Args:
        folders: Folders (or files) to watch, recursively.
        on_change: Called on the watcher thread with the changed paths of one batch.
        debounce_ms: Longest time changes are gathered into one batch.
        force_polling: Poll instead of using OS notifications (network file systems).
    """

    def __init__(
        self,
        folders: Sequence[str | Path],
        on_change: ChangeCallback,
        *,
        debounce_ms: int = DEFAULT_DEBOUNCE_MS,
        force_polling: bool | None = None,
    ) -> None:
        self.folders = [str(folder) for folder in folders]
        self._on_change = on_change
        self._debounce_ms = debounce_ms
        self._force_polling = force_polling
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching (once)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="gpt4all-rag-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching and wait for the thread (up to ``timeout`` seconds)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """Whether the watcher thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for paths in change_batches(
                    self.folders,
                    self._stop,
                    debounce_ms=self._debounce_ms,
                    force_polling=self._force_polling,
                ):
                    self._on_change(paths)
            except Exception:  # a vanished folder or an exhausted inotify limit: try again
                logger.exception("Watching %s failed; retrying", ", ".join(self.folders))
                self._stop.wait(RETRY_SECONDS)


def remember_folders(docs: LocalDocs, paths: Sequence[str | Path], watched: bool | None) -> None:
    """Add ``paths`` to the collection's folder record (so the page can re-index and watch it);
    ``watched`` None keeps the recorded flag."""
    record = read_folders(docs.layout, docs.name) or CollectionFolders()
    for path in paths:
        resolved = str(Path(path).expanduser().resolve())
        if resolved not in record.folders:
            record.folders.append(resolved)
    if watched is not None:
        record.watched = watched
    write_folders(docs.layout, docs.name, record)


def keep_indexed(
    docs: LocalDocs,
    paths: Sequence[str | Path],
    on_run: Callable[[set[str], IndexReport | None, Exception | None], None],
    *,
    stop: threading.Event | None = None,
    debounce_ms: int = DEFAULT_DEBOUNCE_MS,
    **options: Any,
) -> None:
    """Index ``paths`` again after each batch of changes under them, until ``stop`` is set
    (Ctrl-C raises ``KeyboardInterrupt``). Each run is incremental; a run that cannot start (the collection is being written
    by another process) is reported and retried at the next change.

    Args:
        docs: The collection.
        paths: The indexed files and folders.
        on_run: Called after each run with the changed paths and the report, or the error.
        stop: Ends the watch when set.
        debounce_ms: Longest time changes are gathered into one batch.
        options: Passed to :meth:`LocalDocs.index` (``include``, ``exclude``, ``progress``).
    """
    stop = stop or threading.Event()
    for changed in change_batches(paths, stop, debounce_ms=debounce_ms):
        try:
            report = docs.index(paths, **options)
        except GPT4AllRagError as error:
            on_run(changed, None, error)
        else:
            on_run(changed, report, None)
