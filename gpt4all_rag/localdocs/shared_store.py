"""Reading a shared collection: what a data home without the ledger needs, from Chroma alone.

Every read sees one committed generation (:mod:`shared_record`): the vector query, the keyword
search and the chunk reads each filter on the generation read just before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from langchain_core.documents import Document

from gpt4all_rag.localdocs.shared_record import (
    SharedRecord,
    is_ours,
    read_record,
    strip,
    visible,
)
from gpt4all_rag.localdocs.shared_terms import TERMS_PREFIX
from gpt4all_rag.localdocs.store import VectorHit, VectorStore
from gpt4all_rag.localdocs.where import Where

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

LEASES_COLLECTION = "gpt4all_rag_leases"
"""The server's collection of writer leases (one record per collection name)."""


def shared_names(client: ClientAPI) -> list[str]:
    """Names of the gpt4all-rag collections on a server, sorted (side collections left out)."""
    names = []
    for item in client.list_collections():
        name = item if isinstance(item, str) else item.name
        if name.startswith(TERMS_PREFIX) or name == LEASES_COLLECTION:
            continue
        collection = client.get_collection(name, embedding_function=None)
        if is_ours(collection.metadata):
            names.append(name)
    return sorted(names)


class SharedVectorStore(VectorStore):
    """A shared collection for readers: queries see the committed generation only."""

    def __init__(self, client: ClientAPI, collection: Collection) -> None:
        super().__init__(collection, client.get_max_batch_size())
        self._client = client

    def record(self) -> SharedRecord:
        """The collection's record, read now (it moves as the writer commits)."""
        return read_record(self._client, self.collection.name)

    def query(
        self, embedding: Sequence[float], k: int = 4, where: Where | None = None
    ) -> list[VectorHit]:
        """The ``k`` committed chunks nearest to a query vector (see :meth:`VectorStore.query`)."""
        hits = super().query(embedding, k, visible(where, self.record().generation))
        for hit in hits:
            hit.document.metadata = strip(hit.document.metadata)
        return hits

    def documents(self, ids: Sequence[str]) -> list[Document]:
        """Committed chunks by id, in the given order (ids not visible are left out)."""
        if not ids:
            return []
        where = visible(None, self.record().generation)
        found: dict[str, Document] = {}
        for start in range(0, len(ids), self.max_batch_size):
            result = self.collection.get(
                ids=list(ids[start : start + self.max_batch_size]),
                where=cast(Any, where),
                include=["documents", "metadatas"],
            )
            texts = result["documents"] or []
            metas = result["metadatas"] or []
            for chunk_id, text, meta in zip(result["ids"], texts, metas, strict=True):
                found[chunk_id] = Document(
                    id=chunk_id, page_content=text or "", metadata=strip(meta)
                )
        return [found[chunk_id] for chunk_id in ids if chunk_id in found]

    def sources(self) -> list[str]:
        """Every file with a committed chunk, sorted."""
        where = visible(None, self.record().generation)
        seen: set[str] = set()
        for page in self.pages(["metadatas"], where):
            metas = page["metadatas"] or []
            seen.update(str(m["source"]) for m in metas if m and "source" in m)
        return sorted(seen)
