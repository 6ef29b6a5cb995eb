"""One writer per shared collection: a lease kept on the Chroma server, renewed while writing.

The lease is a record in the server's ``gpt4all_rag_leases`` collection (id: the collection name;
metadata: holder id, host, PID, data home, expiry). A writer takes a free or expired lease, waits
:data:`SETTLE_SECONDS`, and reads it back: if another writer wrote in between, the last write
won and the other backs off. A thread renews the lease every third of its lifetime; a crashed
writer's lease expires after ``ttl`` seconds, or at once for a writer on the same host
whose process is gone (a re-run after a crash or a lost server resumes without waiting).

Chroma has no compare-and-swap, so one race remains: two writers that both read the lease free
and whose writes land more than :data:`SETTLE_SECONDS` apart, the later one after the earlier
one's read-back. Both then believe they hold it until the first renewal, which checks the holder
and makes the loser stop before its next commit (:meth:`WriterLease.check`). Expiry compares wall
clocks of different machines: keep them in sync (NTP) and the TTL well above the skew.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from gpt4all_rag.errors import CollectionLockedError
from gpt4all_rag.localdocs.shared_store import LEASES_COLLECTION

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

SETTLE_SECONDS = 0.5
"""Wait between writing a lease and reading it back."""
_DUMMY = [0.0]


class WriterLease:
    """The writer lease of one shared collection (a context manager).

    Args:
        client: The Chroma client of the server.
        collection: The collection name.
        ttl: Seconds a lease lives without renewal.
        home: The writer's data home (shown to a refused writer).
        url: The server's URL (for messages).
    """

    def __init__(
        self, client: ClientAPI, collection: str, *, ttl: float, home: str, url: str
    ) -> None:
        self._client = client
        self.collection = collection
        self.ttl = ttl
        self.url = url
        self.holder = uuid.uuid4().hex
        self._me = {"holder": self.holder, "host": socket.gethostname(), "pid": os.getpid()}
        self._home = home
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost: str | None = None

    def _leases(self) -> Collection:
        return self._client.get_or_create_collection(LEASES_COLLECTION, embedding_function=None)

    def _read(self) -> dict[str, Any] | None:
        result = self._leases().get(ids=[self.collection], include=["metadatas"])
        metas = result["metadatas"] or []
        return dict(metas[0] or {}) if metas else None

    def _write(self) -> None:
        meta = {**self._me, "home": self._home, "expires": time.time() + self.ttl}
        self._leases().upsert(
            ids=[self.collection], embeddings=cast(Any, [_DUMMY]), metadatas=cast(Any, [meta])
        )

    def acquire(self) -> None:
        """Take the lease and start renewing it.

        Raises:
            CollectionLockedError: When another writer holds a lease that has not expired.
        """
        current = self._read()
        if (
            current is not None
            and current.get("holder") != self.holder
            and float(current.get("expires", 0)) > time.time()
            and not _abandoned(current)
        ):
            raise self._refusal(current)
        self._write()
        time.sleep(SETTLE_SECONDS)
        current = self._read()
        if current is None or current.get("holder") != self.holder:
            raise self._refusal(current or {})
        self._thread = threading.Thread(target=self._renew, name="writer-lease", daemon=True)
        self._thread.start()

    def _refusal(self, lease: dict[str, Any]) -> CollectionLockedError:
        left = max(0, round(float(lease.get("expires", 0)) - time.time()))
        return CollectionLockedError(
            f"Collection {self.collection!r} on {self.url} is being written from host "
            f"{lease.get('host', '?')} (PID {lease.get('pid', '?')}, data home "
            f"{lease.get('home', '?')}); its lease expires in {left} s unless renewed. Wait for "
            f"that writer to finish (one indexer per shared collection), then try again."
        )

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                current = self._read()
                if current is None or current.get("holder") != self.holder:
                    self._lost = str((current or {}).get("host", "another writer"))
                    return
                self._write()
            except Exception:  # the server is briefly away: the next renewal retries
                continue

    def check(self) -> None:
        """Raise when the lease was lost (taken by another writer after it expired).

        Raises:
            CollectionLockedError: The lease is no longer this writer's.
        """
        if self._lost is not None:
            raise CollectionLockedError(
                f"Lost the writer lease of {self.collection!r} on {self.url} to {self._lost} "
                f"(this writer stalled past its {self.ttl:g} s lease). Nothing was committed "
                f"after that; re-run when the other writer is done."
            )

    def release(self) -> None:
        """Stop renewing and free the lease (if it is still this writer's)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            current = self._read()
            if current is not None and current.get("holder") == self.holder:
                self._leases().delete(ids=[self.collection])
        except Exception:  # the server is gone: the lease expires by itself
            pass

    def __enter__(self) -> WriterLease:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _abandoned(lease: dict[str, Any]) -> bool:
    """Whether a lease was left by a process of this host that no longer runs."""
    if lease.get("host") != socket.gethostname():
        return False
    try:
        os.kill(int(lease.get("pid", 0)), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError, TypeError):
        return False
    return False
