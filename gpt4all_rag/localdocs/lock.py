"""One writer per collection: an OS file lock that names its holder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from pathlib import Path
from types import TracebackType

from gpt4all_rag.errors import CollectionLockedError


class CollectionLock:
    """An exclusive, non-blocking ``flock`` on a collection's lock file.

    The file holds the PID and command line of the writer, so that a second writer is told at once
    who holds the collection. The OS releases the lock when the holder exits, even on ``kill -9``.
    """

    def __init__(self, path: Path, collection: str) -> None:
        self.path = path
        self.collection = collection
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock.

        Raises:
            CollectionLockedError: When another process holds it.
        """
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise CollectionLockedError(
                f"Collection {self.collection!r} is being written by another process "
                f"({holder}). Wait for it to finish, or stop that process, then try again."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{' '.join(sys.argv)}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Release the lock (the file stays, emptied)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):  # the folder may be gone with the collection
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> CollectionLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """Describe the holder from the lock file: ``PID 123: command``."""
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        raw = ""
    pid, _, command = raw.partition("\n")
    if not pid.strip():
        return "PID unknown"
    command = command.strip()
    return f"PID {pid.strip()}: {command}" if command else f"PID {pid.strip()}"
