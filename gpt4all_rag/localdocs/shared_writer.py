"""Writing a shared collection: chunks stamped with generations, statistics kept, commits atomic.

The writer (holding the lease) works on generation ``next = committed + 1``:

1. new chunks are upserted with ``from = next`` (readers, at ``committed``, do not see them);
2. chunks to delete are retired: ``until = next`` (readers at ``committed`` still see them);
3. :meth:`SharedWriteStore.commit` marks the statistics pending, adds the generation's changes to
   the document frequencies, then writes the collection's metadata once: ``generation = next``,
   chunk count, total tokens, file counts; the pending mark goes in the same write. From that
   write on, readers see the new chunks and no longer the retired ones, all at once;
4. retired chunks are deleted for real at the following commit (or when the session closes), so a
   reader whose query started just before a commit still finds the chunks of its generation.

The indexer commits after each batch of whole files (and at the end of the run), so a reader
never sees part of a file's new chunks, nor a changed file's old and new chunks together.
A writer that dies between 3's two metadata writes leaves the pending mark; the next writer
rebuilds the document frequencies from the committed chunks.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from gpt4all_rag.localdocs.chunks import ChunkRecord
from gpt4all_rag.localdocs.shared_lease import WriterLease
from gpt4all_rag.localdocs.shared_record import (
    CHUNKS_KEY,
    FAILED_KEY,
    FILES_KEY,
    FROM_KEY,
    GENERATION_KEY,
    NEVER,
    PENDING_KEY,
    TOKENS_CHUNK_KEY,
    TOKENS_KEY,
    TOTAL_TOKENS_KEY,
    UNTIL_KEY,
    SharedRecord,
)
from gpt4all_rag.localdocs.shared_terms import TermStats
from gpt4all_rag.localdocs.shared_tokens import TOKENS_VERSION, chunk_tokens
from gpt4all_rag.localdocs.store import VectorStore

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

FileCounts = Callable[[], tuple[int, int]]
"""Indexed and failed files, as the writer's ledger counts them now."""
_PAGE = 2000


def initial_metadata() -> dict[str, Any]:
    """Metadata of a new, empty shared collection (generation 0)."""
    return {GENERATION_KEY: 0, CHUNKS_KEY: 0, TOTAL_TOKENS_KEY: 0, TOKENS_KEY: TOKENS_VERSION}


class SharedWriteStore(VectorStore):
    """The writer's view of a shared collection (the caller holds the lease).

    Args:
        client: The Chroma client.
        collection: The shared collection.
        lease: The writer lease, checked before each commit.
        file_counts: Indexed and failed files, published with each commit.
    """

    def __init__(
        self,
        client: ClientAPI,
        collection: Collection,
        lease: WriterLease,
        file_counts: FileCounts,
    ) -> None:
        super().__init__(collection, client.get_max_batch_size())
        self._client = client
        self._lease = lease
        self._file_counts = file_counts
        self._stats = TermStats(client, collection)
        record = SharedRecord.from_metadata(collection.metadata)
        self.committed = record.generation or 0
        self._chunks = record.chunks
        self._tokens = record.total_tokens
        self._delta: Counter[str] = Counter()
        self._chunk_step = 0
        self._token_step = 0
        self._new: set[str] = set()
        self._retired: list[str] = []
        self._to_delete: list[str] = []
        self._changed = False
        if (
            record.generation is None
            or record.stats_pending
            or record.tokens_version != TOKENS_VERSION
        ):
            self.rebuild_statistics(record.generation)
        self._adopt_leftovers()

    @property
    def next(self) -> int:
        """The generation being written."""
        return self.committed + 1

    # --- writes (invisible until commit) --------------------------------------------------------

    def upsert(self, records: Sequence[ChunkRecord], embeddings: Sequence[Sequence[float]]) -> None:
        """Write chunks stamped with the next generation; count their tokens."""
        self._lease.check()
        stamp = {FROM_KEY: self.next, UNTIL_KEY: NEVER}
        tokens = self._count([r.text for r in records], +1)
        stamped = [
            dataclasses.replace(
                r, metadata={**r.metadata, **stamp, TOKENS_CHUNK_KEY: " ".join(chunk_tokens)}
            )
            for r, chunk_tokens in zip(records, tokens, strict=True)
        ]
        super().upsert(stamped, embeddings)
        self._new.update(r.id for r in records)
        self._changed = True

    def delete(self, ids: Sequence[str]) -> None:
        """Retire committed chunks at the next generation; drop uncommitted ones at once."""
        if not ids:
            return
        live: list[str] = []
        live_texts: list[str] = []
        gone: list[str] = []
        new_texts: list[str] = []
        for start in range(0, len(ids), self.max_batch_size):
            result = self.collection.get(
                ids=list(ids[start : start + self.max_batch_size]),
                include=["documents", "metadatas"],
            )
            texts = result["documents"] or []
            metas = result["metadatas"] or []
            for chunk_id, text, meta in zip(result["ids"], texts, metas, strict=True):
                if chunk_id in self._new:
                    self._new.discard(chunk_id)
                    new_texts.append(text or "")
                    gone.append(chunk_id)
                elif self._is_live(meta):
                    live.append(chunk_id)
                    live_texts.append(text or "")
                else:  # an orphan of a crashed run, or retired already
                    gone.append(chunk_id)
        self._count(new_texts, -1)
        if live:
            self._retire(live)
            self._count(live_texts, -1)
        if gone:
            super().delete(gone)
        self._changed = self._changed or bool(live or gone)

    def _is_live(self, meta: Any) -> bool:
        meta = dict(meta or {})
        return int(meta.get(FROM_KEY, 0)) <= self.committed < int(meta.get(UNTIL_KEY, NEVER))

    def _retire(self, ids: list[str]) -> None:
        for start in range(0, len(ids), self.max_batch_size):
            part = ids[start : start + self.max_batch_size]
            self.collection.update(
                ids=part, metadatas=cast(Any, [{UNTIL_KEY: self.next}] * len(part))
            )
        self._retired.extend(ids)

    def _count(self, texts: Sequence[str], sign: int) -> list[list[str]]:
        """Add (or take away) the chunks' tokens to the pending statistics; returns the tokens."""
        token_lists = chunk_tokens(texts)
        for tokens in token_lists:
            self._delta.update(dict.fromkeys(set(tokens), sign))
            self._token_step += sign * len(tokens)
        self._chunk_step += sign * len(texts)
        return token_lists

    # --- commit ---------------------------------------------------------------------------------

    def commit(self) -> None:
        """Make the next generation visible to readers at once (see the module docstring).

        Raises:
            CollectionLockedError: The writer lease was lost; nothing is committed.
        """
        if not self._changed:
            return
        self._lease.check()
        meta = self._metadata()
        meta[PENDING_KEY] = self.next
        self.collection.modify(metadata=meta)
        self._stats.apply(self._delta)
        indexed, failed = self._file_counts()
        meta.pop(PENDING_KEY)
        meta.update(
            {
                GENERATION_KEY: self.next,
                CHUNKS_KEY: self._chunks + self._chunk_step,
                TOTAL_TOKENS_KEY: self._tokens + self._token_step,
                FILES_KEY: indexed,
                FAILED_KEY: failed,
                TOKENS_KEY: TOKENS_VERSION,
            }
        )
        self.collection.modify(metadata=meta)
        self.committed = self.next
        self._chunks += self._chunk_step
        self._tokens += self._token_step
        earlier, self._to_delete, self._retired = self._to_delete, self._retired, []
        if earlier:
            super().delete(earlier)
        self._delta = Counter()
        self._chunk_step = self._token_step = 0
        self._new = set()
        self._changed = False

    def close(self) -> None:
        """Commit what is pending and delete the chunks retired so far."""
        self.commit()
        left, self._to_delete = self._to_delete, []
        if left:
            super().delete(left)

    def _metadata(self) -> dict[str, Any]:
        fresh = self._client.get_collection(self.collection.name, embedding_function=None)
        return dict(fresh.metadata or {})

    # --- repair ---------------------------------------------------------------------------------

    def _adopt_leftovers(self) -> None:
        """Take over what a writer that stopped before its commit left (the ledger decides).

        Its new chunks join this session's generation (counted now, so that the indexer's
        reconciliation, which deletes those the ledger never recorded, takes them away again);
        its retirements are undone (the indexer retires again what the ledger no longer has).
        """
        new = self.collection.get(
            where=cast(Any, {FROM_KEY: {"$gt": self.committed}}), include=["documents"]
        )
        if new["ids"]:
            self._count([text or "" for text in new["documents"] or []], +1)
            self._new.update(new["ids"])
            self._changed = True
        retired = self.collection.get(
            where=cast(
                Any,
                {"$and": [{UNTIL_KEY: {"$gt": self.committed}}, {UNTIL_KEY: {"$lt": NEVER}}]},
            ),
            include=[],
        )
        ids = retired["ids"]
        for start in range(0, len(ids), self.max_batch_size):
            part = ids[start : start + self.max_batch_size]
            self.collection.update(ids=part, metadatas=cast(Any, [{UNTIL_KEY: NEVER}] * len(part)))

    def rebuild_statistics(self, generation: int | None) -> None:
        """Recount the committed chunks' tokens (after a crash in a commit, or an old collection).

        A collection from before generations gets every chunk stamped as generation 0.
        """
        self._lease.check()
        committed = generation or 0
        frequencies: Counter[str] = Counter()
        chunks = tokens = 0
        offset = 0
        while True:
            page = self.collection.get(
                include=["documents", "metadatas"], limit=_PAGE, offset=offset
            )
            ids = page["ids"]
            texts = page["documents"] or []
            metas = page["metadatas"] or []
            keep = [
                (chunk_id, text or "")
                for chunk_id, text, meta in zip(ids, texts, metas, strict=True)
                if generation is None or self._is_live(meta)
            ]
            token_lists = chunk_tokens([text for _, text in keep])
            stamp = {FROM_KEY: 0, UNTIL_KEY: NEVER} if generation is None else {}
            if keep:
                self.collection.update(
                    ids=[chunk_id for chunk_id, _ in keep],
                    metadatas=cast(
                        Any, [{**stamp, TOKENS_CHUNK_KEY: " ".join(t)} for t in token_lists]
                    ),
                )
            for token_list in token_lists:
                frequencies.update(set(token_list))
                tokens += len(token_list)
            chunks += len(keep)
            if len(ids) < _PAGE:
                break
            offset += _PAGE
        self._stats.replace(frequencies)
        meta = self._metadata()
        meta.pop(PENDING_KEY, None)
        meta.update(
            {
                GENERATION_KEY: committed,
                CHUNKS_KEY: chunks,
                TOTAL_TOKENS_KEY: tokens,
                TOKENS_KEY: TOKENS_VERSION,
            }
        )
        self.collection.modify(metadata=meta)
        self.committed, self._chunks, self._tokens = committed, chunks, tokens
