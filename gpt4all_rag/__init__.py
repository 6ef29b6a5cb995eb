"""gpt4all-rag: chat with your own files on your own CPU, offline; a local LLM provider for LangChain.

Public names are imported lazily, so ``import gpt4all_rag`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gpt4all_rag.chat_models import ChatGPT4All
    from gpt4all_rag.embeddings import GPT4AllEmbeddings
    from gpt4all_rag.llms import GPT4All
    from gpt4all_rag.localdocs.collection import LocalDocs
    from gpt4all_rag.localdocs.retriever import HybridRetriever
    from gpt4all_rag.rag import Answer, AnswerChain, Source

__version__ = "0.1.0"

_EXPORTS = {
    "ChatGPT4All": "gpt4all_rag.chat_models",
    "GPT4All": "gpt4all_rag.llms",
    "GPT4AllEmbeddings": "gpt4all_rag.embeddings",
    "LocalDocs": "gpt4all_rag.localdocs.collection",
    "HybridRetriever": "gpt4all_rag.localdocs.retriever",
    "Answer": "gpt4all_rag.rag",
    "AnswerChain": "gpt4all_rag.rag",
    "Source": "gpt4all_rag.rag",
}

__all__ = [
    "Answer",
    "AnswerChain",
    "ChatGPT4All",
    "GPT4All",
    "GPT4AllEmbeddings",
    "HybridRetriever",
    "LocalDocs",
    "Source",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'gpt4all_rag' has no attribute {name!r}")
