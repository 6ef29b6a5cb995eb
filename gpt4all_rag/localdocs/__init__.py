"""LocalDocs: collections of your files, split, embedded and indexed for retrieval."""

from __future__ import annotations

from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.localdocs.keyword_index import KeywordIndex
from gpt4all_rag.localdocs.progress import IndexProgress, ProgressUpdate
from gpt4all_rag.localdocs.report import CollectionInfo, FailedSource, IndexReport
from gpt4all_rag.localdocs.store import VectorHit, VectorStore

__all__ = [
    "CollectionInfo",
    "FailedSource",
    "IndexProgress",
    "IndexReport",
    "KeywordIndex",
    "LocalDocs",
    "ProgressUpdate",
    "VectorHit",
    "VectorStore",
]
