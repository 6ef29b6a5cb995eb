"""Connectors: turning files into LangChain Documents, found through entry points.

Each connector reads one kind of source; the registry maps file suffixes to connectors
registered in the entry-point group ``gpt4all_rag.connectors`` (the built-ins too), and
``walk`` finds the files under a folder. This package knows nothing of Chroma or llama.cpp.
"""

from __future__ import annotations

from connectors.base import Connector, LoadError, content_hash, make_document
from connectors.folder import DEFAULT_MAX_FILE_SIZE, FoundFile, SkippedFile, walk
from connectors.registry import (
    ENTRY_POINT_GROUP,
    ConnectorRegistry,
    ConnectorWarning,
    get_registry,
)

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "ENTRY_POINT_GROUP",
    "Connector",
    "ConnectorRegistry",
    "ConnectorWarning",
    "FoundFile",
    "LoadError",
    "SkippedFile",
    "content_hash",
    "get_registry",
    "make_document",
    "walk",
]
