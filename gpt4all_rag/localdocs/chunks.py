"""Chunk identity: deterministic ids from (source, content hash, occurrence), and chunk records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document

Scalar = str | int | float | bool
_DROPPED_KEYS = frozenset({"content_hash"})


def text_hash(text: str) -> str:
    """SHA-256 hex digest of a text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_id(source: str, chunk_hash: str, occurrence: int) -> str:
    """The id of the ``occurrence``-th chunk with this content in this source (128-bit hex)."""
    key = f"{source}\x00{chunk_hash}\x00{occurrence}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def metadata_json(metadata: Mapping[str, Scalar]) -> str:
    """Canonical JSON of chunk metadata, to store and compare."""
    return json.dumps(dict(metadata), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk as the collection stores it."""

    id: str
    """Deterministic chunk id (also the Chroma id)."""
    source: str
    """Absolute path of the file."""
    seq: int
    """Position of the chunk in its file."""
    chunk_hash: str
    """SHA-256 of the text."""
    text: str
    """Chunk text."""
    metadata: dict[str, Scalar]
    """Chroma metadata: source, title, file_type, start_index, chunk_hash, page when paged."""

    @property
    def metadata_json(self) -> str:
        """Canonical JSON of :attr:`metadata`."""
        return metadata_json(self.metadata)

    @property
    def page(self) -> int | None:
        """1-based page number, for paged formats."""
        page = self.metadata.get("page")
        return page if isinstance(page, int) and not isinstance(page, bool) else None


def _scalar_metadata(metadata: Mapping[str, Any]) -> dict[str, Scalar]:
    return {
        key: value
        for key, value in metadata.items()
        if key not in _DROPPED_KEYS and isinstance(value, str | int | float | bool)
    }


def chunk_records(source: str, chunks: Iterable[Document]) -> list[ChunkRecord]:
    """Give split chunks of one file their ids and storable metadata.

    Args:
        source: The file's key (absolute resolved path); overrides the chunks' own ``source``.
        chunks: The file's chunks in order, as the splitter yields them.

    Returns:
        One record per chunk; repeated content gets occurrence 0, 1, ... in file order.
    """
    seen: dict[str, int] = {}
    records = []
    for seq, chunk in enumerate(chunks):
        digest = chunk.metadata.get("chunk_hash") or text_hash(chunk.page_content)
        occurrence = seen.get(digest, 0)
        seen[digest] = occurrence + 1
        metadata = _scalar_metadata(chunk.metadata)
        metadata.update(source=source, chunk_hash=digest)
        metadata.setdefault("start_index", 0)
        records.append(
            ChunkRecord(
                id=chunk_id(source, digest, occurrence),
                source=source,
                seq=seq,
                chunk_hash=digest,
                text=chunk.page_content,
                metadata=metadata,
            )
        )
    return records
