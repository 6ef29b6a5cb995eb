"""What the retriever needs of a collection: the interface ``LocalDocs`` provides.

The retriever depends on this protocol, not on ``LocalDocs``, so the import arrow points one way
(``collection`` -> ``retriever``) and a test can hand the retriever any object with these parts.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from gpt4all_rag.localdocs.indexer import IndexEmbeddings
    from gpt4all_rag.localdocs.store import VectorStore
    from gpt4all_rag.localdocs.where import Where


class KeywordSearch(Protocol):
    """BM25 keyword search: the local index, or a shared collection's on the Chroma server."""

    def search(
        self, query: str, k: int = 10, where: Where | None = None
    ) -> list[tuple[str, float]]:
        """``(chunk_id, score)`` pairs, best first (higher is better)."""
        ...


class SearchableCollection(Protocol):
    """A collection that can be searched by meaning and by keyword."""

    name: str
    """The collection's name (unique among the collections searched together)."""

    @property
    def embeddings(self) -> IndexEmbeddings:
        """The collection's embedding model."""
        ...

    @property
    def keyword_index(self) -> KeywordSearch:
        """BM25 keyword search over the chunks."""
        ...

    @property
    def vector_store(self) -> VectorStore:
        """The vector store, with ``query(embedding, k, where)``."""
        ...

    def embed_query(self, query: str) -> list[float]:
        """The query's vector, from the collection's own model."""
        ...

    def check_embeddings(self) -> None:
        """Raise when the collection is missing or was indexed with another model."""
        ...

    def sources(self) -> list[str]:
        """Every indexed file (absolute path), sorted."""
        ...

    def get_documents(self, ids: Sequence[str]) -> list[Document]:
        """The chunks with these ids."""
        ...


SEARCHABLE_PARTS = (
    "name",
    "embeddings",
    "keyword_index",
    "vector_store",
    "embed_query",
    "check_embeddings",
    "sources",
    "get_documents",
)
"""The members of :class:`SearchableCollection`, checked without evaluating properties."""


def missing_parts(collection: object) -> list[str]:
    """The members of :class:`SearchableCollection` that ``collection`` lacks.

    Looked up statically (``inspect.getattr_static``): a property such as ``vector_store`` is
    not evaluated, so checking opens no store.
    """
    missing = []
    for part in SEARCHABLE_PARTS:
        try:
            inspect.getattr_static(collection, part)
        except AttributeError:
            missing.append(part)
    return missing
