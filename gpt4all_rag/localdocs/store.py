"""The vector store: a Chroma collection, embedded (``PersistentClient``) or on a server.

Chroma is imported lazily (it takes about a second), so that a no-op re-index and listing
collections never pay for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from langchain_core.documents import Document

from gpt4all_rag.errors import VectorStoreUnavailableError
from gpt4all_rag.localdocs.chunks import ChunkRecord, Scalar
from gpt4all_rag.localdocs.layout import Layout
from gpt4all_rag.localdocs.where import Where

if TYPE_CHECKING:
    from chromadb.api import ClientAPI, GetResult
    from chromadb.api.models.Collection import Collection

_PAGE = 5000  # ids fetched per request when listing a whole collection


def make_client(layout: Layout) -> ClientAPI:
    """A Chroma client for the layout: embedded under the data home, or HTTP to a server.

    Raises:
        VectorStoreUnavailableError: When the server does not answer.
    """
    import chromadb

    settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
    if layout.chroma_url is None:
        assert layout.chroma_path is not None
        layout.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(layout.chroma_path), settings=settings)
    url = layout.chroma_url if "://" in layout.chroma_url else f"http://{layout.chroma_url}"
    parts = urlsplit(url)
    ssl = parts.scheme == "https"
    try:
        return chromadb.HttpClient(
            host=parts.hostname or "localhost",
            port=parts.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=settings,
        )
    except Exception as error:  # chromadb raises ValueError, httpx errors, ...
        raise VectorStoreUnavailableError(layout.chroma_url, str(error)) from error


def get_collection(client: ClientAPI, name: str) -> Collection | None:
    """The named collection, or None when it does not exist."""
    if name not in {c if isinstance(c, str) else c.name for c in client.list_collections()}:
        return None
    return client.get_collection(name, embedding_function=None)


def create_collection(client: ClientAPI, name: str, metadata: Mapping[str, Scalar]) -> Collection:
    """Create a collection with cosine distance, storing no embedding function."""
    return client.create_collection(
        name,
        metadata=dict(metadata),
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=None,
    )


def drop_collection(client: ClientAPI, name: str) -> bool:
    """Delete a collection; False when there was none."""
    if get_collection(client, name) is None:
        return False
    client.delete_collection(name)
    return True


@dataclass(frozen=True)
class VectorHit:
    """One result of a vector query."""

    id: str
    """Chunk id (shared with the ledger and the keyword index)."""
    document: Document
    """Chunk text and metadata; ``document.id`` is the chunk id."""
    distance: float
    """Cosine distance to the query (0 is identical, smaller is closer)."""


class VectorStore:
    """A Chroma collection with the few operations indexing and retrieval need."""

    def __init__(self, collection: Collection, max_batch_size: int) -> None:
        self.collection = collection
        """The underlying ``chromadb`` collection."""
        self.max_batch_size = max(1, max_batch_size)

    @property
    def name(self) -> str:
        """Collection name."""
        return str(self.collection.name)

    def count(self) -> int:
        """Number of vectors."""
        return int(self.collection.count())

    def upsert(self, records: Sequence[ChunkRecord], embeddings: Sequence[Sequence[float]]) -> None:
        """Write chunks with their vectors, text and metadata."""
        for start in range(0, len(records), self.max_batch_size):
            part = records[start : start + self.max_batch_size]
            self.collection.upsert(
                ids=[r.id for r in part],
                embeddings=cast(Any, [list(e) for e in embeddings[start : start + len(part)]]),
                documents=[r.text for r in part],
                metadatas=cast(Any, [r.metadata for r in part]),
            )

    def update_metadata(
        self, records: Sequence[ChunkRecord], removed_keys: Sequence[set[str]]
    ) -> None:
        """Rewrite the metadata of chunks that kept their vector; removed keys are cleared."""
        for start in range(0, len(records), self.max_batch_size):
            part = records[start : start + self.max_batch_size]
            metadatas = []
            for record, gone in zip(part, removed_keys[start : start + len(part)], strict=True):
                metadata: dict[str, Scalar | None] = dict(record.metadata)
                metadata.update(dict.fromkeys(gone - set(record.metadata)))
                metadatas.append(metadata)
            self.collection.update(ids=[r.id for r in part], metadatas=cast(Any, metadatas))

    def embeddings_for(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors of the given ids (missing ids are left out)."""
        found: dict[str, list[float]] = {}
        for start in range(0, len(ids), self.max_batch_size):
            result = self.collection.get(
                ids=list(ids[start : start + self.max_batch_size]), include=["embeddings"]
            )
            vectors = result["embeddings"]
            if vectors is None:
                continue
            for chunk_id, vector in zip(result["ids"], vectors, strict=True):
                found[chunk_id] = [float(x) for x in vector]
        return found

    def delete(self, ids: Sequence[str]) -> None:
        """Delete vectors by id (unknown ids are ignored)."""
        for start in range(0, len(ids), self.max_batch_size):
            self.collection.delete(ids=list(ids[start : start + self.max_batch_size]))

    def ids(self) -> set[str]:
        """Every id in the collection."""
        return {chunk_id for page in self.pages([]) for chunk_id in page["ids"]}

    def pages(self, include: Sequence[str], where: Where | None = None) -> Iterator[GetResult]:
        """The whole collection (or the chunks ``where`` passes), fetched a page at a time."""
        offset = 0
        while True:
            page = self.collection.get(
                where=cast(Any, dict(where)) if where else None,
                include=cast(Any, list(include)),
                limit=_PAGE,
                offset=offset,
            )
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE

    def query(
        self, embedding: Sequence[float], k: int = 4, where: Where | None = None
    ) -> list[VectorHit]:
        """The ``k`` chunks nearest to a query vector.

        Args:
            embedding: The query vector (from the collection's embedding model).
            k: How many chunks at most.
            where: A Chroma metadata filter.

        Returns:
            Hits, nearest first.
        """
        if k <= 0:
            return []
        result = self.collection.query(
            query_embeddings=cast(Any, [list(embedding)]),
            n_results=k,
            where=cast(Any, dict(where)) if where else None,
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        documents = (result["documents"] or [[]])[0]
        metadatas = (result["metadatas"] or [[]])[0]
        distances = (result["distances"] or [[]])[0]
        return [
            VectorHit(
                id=chunk_id,
                document=Document(id=chunk_id, page_content=text or "", metadata=dict(meta or {})),
                distance=float(distance),
            )
            for chunk_id, text, meta, distance in zip(
                ids, documents, metadatas, distances, strict=True
            )
        ]
