"""LocalDocs through the chat endpoint: retrieve from the named collections, answer, cite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage

from gpt4all_rag.async_bridge import iterate_in_thread
from gpt4all_rag.chat_models import ChatGPT4All
from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.server.streaming import closing

if TYPE_CHECKING:
    from gpt4all_rag.rag import Answer
    from gpt4all_rag.server.state import ServerState


def check_collections(settings: Settings, names: Sequence[str]) -> None:
    """Make sure every collection exists before anything is queued.

    Raises:
        CollectionNotFoundError: A name that was never indexed (the message lists the others).
        InvalidCollectionNameError: A name Chroma would refuse.
        CollectionMismatchError: A collection built with another embedding model.
    """
    for name in names:
        LocalDocs(name, settings=settings).check_embeddings()


async def answer_items(
    state: ServerState,
    llm: ChatGPT4All,
    names: Sequence[str],
    question: str,
    history: Sequence[BaseMessage],
    max_tokens: int | None,
) -> AsyncIterator[str | Answer]:
    """Text pieces of the answer, then the :class:`Answer` with its sources.

    The chat model is held for the whole run (retrieval included), like any other request.
    ``max_tokens`` None leaves the answer chain its own budget.
    """
    from gpt4all_rag.localdocs.retriever import HybridRetriever
    from gpt4all_rag.rag import AnswerChain

    settings = state.catalog.settings
    key = str(llm.spec.path)
    async with state.queue.turn(key):
        retriever = HybridRetriever(
            collections=[LocalDocs(name, settings=settings) for name in names]
        )
        chain = AnswerChain(retriever, llm)
        if max_tokens is not None:
            chain.answer_tokens = max_tokens
        run = iterate_in_thread(
            lambda _cancel: chain.stream(question, chat_history=list(history)),
            state.queue.worker(key),
        )
        async with closing(run) as items:
            async for item in items:
                yield item


def source_dicts(answer: Answer) -> list[dict[str, Any]]:
    """The ``sources`` field of a reply."""
    return [
        {
            "source": source.source,
            "page": source.page,
            "snippet": source.snippet,
            "score": float(source.score),
            "cited": bool(source.cited),
            "quote": source.quote,
        }
        for source in answer.sources
    ]
