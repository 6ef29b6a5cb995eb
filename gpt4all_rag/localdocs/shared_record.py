"""A shared collection's record, kept in the Chroma collection's own metadata.

On a Chroma server the collection carries everything a reader on another machine needs: the
embedding model and chunking it was built with, the committed generation, and the keyword
statistics of that generation (chunk count, total tokens; document frequencies per token live in
a side collection, see :mod:`~gpt4all_rag.localdocs.shared_terms`).

Generations make a writer's changes appear at once. Every chunk carries the generation that wrote
it (``FROM_KEY``) and the one that retired it (``UNTIL_KEY``, :data:`NEVER` while live). A reader
reads the committed generation ``g`` and sees exactly the chunks with ``from <= g < until``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpt4all_rag.localdocs.where import Where

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

MODEL_KEY = "gpt4all_rag_embedding_model"
"""Collection metadata: the embedding model id."""
SPLIT_KEY = "gpt4all_rag_split_settings"
"""Collection metadata: the chunking settings (JSON)."""
LEDGER_KEY = "gpt4all_rag_ledger_id"
"""Collection metadata: the writer's ledger id."""
GENERATION_KEY = "gpt4all_rag_generation"
"""Collection metadata: the committed generation."""
PENDING_KEY = "gpt4all_rag_stats_pending"
"""Collection metadata: a generation whose statistics are being written (cleared on commit)."""
TOKENS_KEY = "gpt4all_rag_tokens_version"
"""Collection metadata: the version of the keyword tokens."""
CHUNKS_KEY = "gpt4all_rag_chunks"
"""Collection metadata: committed chunks."""
TOTAL_TOKENS_KEY = "gpt4all_rag_total_tokens"
"""Collection metadata: tokens in all committed chunks (for BM25's average length)."""
FILES_KEY = "gpt4all_rag_files"
"""Collection metadata: indexed files (as the writer's ledger counts them at the commit)."""
FAILED_KEY = "gpt4all_rag_failed_files"
"""Collection metadata: files that failed (as the writer's ledger counts them at the commit)."""

FROM_KEY = "gpt4all_rag_from"
"""Chunk metadata: the generation that wrote the chunk."""
UNTIL_KEY = "gpt4all_rag_until"
"""Chunk metadata: the generation that retired it (:data:`NEVER` while it lives)."""
NEVER = 2**62
"""``UNTIL_KEY`` of a live chunk."""
TOKENS_CHUNK_KEY = "gpt4all_rag_tokens"
"""Chunk metadata: the chunk's keyword tokens, space-separated (readers score without
tokenizing)."""
CHUNK_KEYS = (FROM_KEY, UNTIL_KEY, TOKENS_CHUNK_KEY)
"""Bookkeeping keys readers strip from a chunk's metadata."""


@dataclass(frozen=True)
class SharedRecord:
    """What a shared collection's metadata says."""

    model: str | None
    """Embedding model id."""
    split: dict[str, Any] | None
    """Chunking settings."""
    generation: int | None
    """Committed generation; None for a collection indexed before generations (no filter)."""
    chunks: int
    """Committed chunks."""
    total_tokens: int
    """Tokens of the committed chunks."""
    files: int
    """Indexed files."""
    failed_files: int
    """Files that failed."""
    tokens_version: str | None
    """Version of the keyword tokens the statistics were built with."""
    stats_pending: bool
    """True when a writer stopped while writing statistics (the next writer rebuilds them)."""

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> SharedRecord:
        """Read the record from a Chroma collection's metadata."""
        meta = dict(metadata or {})
        split = meta.get(SPLIT_KEY)
        generation = meta.get(GENERATION_KEY)
        return cls(
            model=meta.get(MODEL_KEY) or None,
            split=json.loads(split) if split else None,
            generation=int(generation) if generation is not None else None,
            chunks=int(meta.get(CHUNKS_KEY) or 0),
            total_tokens=int(meta.get(TOTAL_TOKENS_KEY) or 0),
            files=int(meta.get(FILES_KEY) or 0),
            failed_files=int(meta.get(FAILED_KEY) or 0),
            tokens_version=meta.get(TOKENS_KEY),
            stats_pending=meta.get(PENDING_KEY) is not None,
        )


def read_record(client: ClientAPI, name: str) -> SharedRecord:
    """A shared collection's record as the server holds it now (it moves as the writer commits)."""
    return SharedRecord.from_metadata(client.get_collection(name, embedding_function=None).metadata)


def is_ours(metadata: Mapping[str, Any] | None) -> bool:
    """Whether a Chroma collection was made by gpt4all-rag (it records an embedding model)."""
    return bool(metadata) and MODEL_KEY in (metadata or {})


def visible(where: Where | None, generation: int | None) -> dict[str, Any] | None:
    """A Chroma filter: ``where`` and "committed at ``generation``, not retired"."""
    if generation is None:
        return dict(where) if where else None
    clauses: list[dict[str, Any]] = [
        {FROM_KEY: {"$lte": generation}},
        {UNTIL_KEY: {"$gt": generation}},
    ]
    if where:
        clauses.append(dict(where))
    return {"$and": clauses}


def strip(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """A chunk's metadata without the generation bookkeeping."""
    return {key: value for key, value in (metadata or {}).items() if key not in CHUNK_KEYS}
