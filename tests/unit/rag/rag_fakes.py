"""Fakes for fast unit tests of the answer chain (real-model tests are in tests/integration/rag)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.retrievers import BaseRetriever
from pydantic import Field


class RecordingChatModel(BaseChatModel):
    """Replies with the given texts in turn, streamed word by word; records every prompt."""

    replies: list[str]
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    context_size: int = 4096

    @property
    def _llm_type(self) -> str:
        return "recording-fake"

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Any = None) -> int:
        return sum(len(str(m.text).split()) for m in messages)

    def _next(self, messages: list[BaseMessage]) -> str:
        self.prompts.append(messages)
        if not self.replies:
            raise AssertionError("the model was called more often than expected")
        return self.replies.pop(0)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self._next(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages)
        for i, word in enumerate(text.split(" ")):
            yield ChatGenerationChunk(message=AIMessageChunk(content=(" " if i else "") + word))


class ListRetriever(BaseRetriever):
    """Returns fixed documents for queries containing a keyword; records the queries."""

    documents: list[Document]
    keyword: str = ""
    queries: list[str] = Field(default_factory=list)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        self.queries.append(query)
        return list(self.documents) if self.keyword.lower() in query.lower() else []


def doc(
    text: str, source: str = "/docs/a.pdf", page: int | None = 1, score: float = 0.5
) -> Document:
    metadata: dict[str, Any] = {"source": source, "score": score}
    if page is not None:
        metadata["page"] = page
    return Document(page_content=text, metadata=metadata)
