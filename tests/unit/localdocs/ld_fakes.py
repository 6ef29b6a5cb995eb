"""Fast fakes for LocalDocs unit tests: a hashing embedder and a paragraph splitter.

Everything else is real: the connectors, the folder walker, SQLite and an embedded Chroma.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from hash_embeddings import HashEmbeddings as FakeEmbeddings
from keyword_check import assert_keywords_match_ledger
from langchain_core.documents import Document

from connectors.folder import walk
from connectors.registry import get_registry
from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.indexer import Indexer
from gpt4all_rag.localdocs.layout import Layout
from gpt4all_rag.localdocs.ledger import Ledger
from gpt4all_rag.localdocs.report import IndexReport
from gpt4all_rag.localdocs.store import VectorStore, create_collection, get_collection, make_client


def split_paragraphs(documents: Iterable[Document]) -> Iterator[Document]:
    """Split on blank lines, keeping metadata plus start_index and chunk_hash."""
    for document in documents:
        offset = 0
        for paragraph in document.page_content.split("\n\n"):
            start = document.page_content.index(paragraph, offset)
            offset = start + len(paragraph)
            if not paragraph.strip():
                continue
            metadata = dict(document.metadata)
            metadata["start_index"] = start
            metadata["chunk_hash"] = hashlib.sha256(paragraph.encode()).hexdigest()
            yield Document(page_content=paragraph, metadata=metadata)


class Harness:
    """An indexer over real connectors and a real embedded Chroma, with fake embeddings."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.layout = Layout.for_settings(Settings(home=home))
        self.embeddings = FakeEmbeddings()
        self.client = make_client(self.layout)
        self.ledger_path = self.layout.ledger_path("unit")

    def store(self) -> VectorStore:
        collection = get_collection(self.client, "unit") or create_collection(
            self.client, "unit", {"test": True}
        )
        return VectorStore(collection, self.client.get_max_batch_size())

    def run(self, *paths: Path, batch_size: int = 4, **options: object) -> IndexReport:
        with Ledger(self.ledger_path) as ledger:
            indexer = Indexer(
                ledger=ledger,
                store=self.store,
                embeddings=self.embeddings,
                loader=get_registry(),
                walk=walk,
                split=split_paragraphs,
                batch_size=batch_size,
                max_file_size=options.pop("max_file_size", 1 << 20),  # type: ignore[arg-type]
                progress=options.pop("progress", None),  # type: ignore[arg-type]
            )
            return indexer.run(list(paths), **options)  # type: ignore[arg-type]

    def chroma(self) -> dict[str, tuple[str, dict[str, object]]]:
        """Chroma's content: id -> (text, metadata)."""
        result = self.store().collection.get(include=["documents", "metadatas"])
        documents = result["documents"] or []
        metadatas = result["metadatas"] or []
        return {
            i: (d, dict(m)) for i, d, m in zip(result["ids"], documents, metadatas, strict=True)
        }

    def ledger_ids(self) -> set[str]:
        with Ledger(self.ledger_path) as ledger:
            return ledger.all_chunk_ids()


def expected_chunks(root: Path) -> list[tuple[str, str]]:
    """(source, text) of every chunk the files under root should give, sorted."""
    registry = get_registry()
    chunks: list[tuple[str, str]] = []
    for entry in walk(root, suffixes=registry.suffixes()):
        if not hasattr(entry, "size"):
            continue
        try:
            documents = registry.load(entry.path)
        except Exception:
            continue
        source = str(entry.path.resolve())
        chunks.extend((source, d.page_content) for d in split_paragraphs(documents))
    return sorted(chunks)


def assert_exact(harness: Harness, root: Path) -> None:
    """Chroma ids == ledger ids == keyword index, and Chroma holds exactly the chunks of the
    current files."""
    stored = harness.chroma()
    assert set(stored) == harness.ledger_ids()
    actual = sorted((str(m["source"]), text) for text, m in stored.values())
    assert actual == expected_chunks(root)
    assert_keywords_match_ledger(harness.ledger_path)
