"""``/v1/conversations``: the page's past chats, kept by the server in the data home."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from gpt4all_rag.server.conversation_store import (
    ConversationNotFoundError,
    ConversationStore,
    Message,
    to_markdown,
)
from gpt4all_rag.server.http_errors import APIError

router = APIRouter()
T = TypeVar("T")


class NewConversation(BaseModel):
    """``POST /v1/conversations``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=200)
    """A title; the first question when empty."""
    model: str | None = Field(default=None, max_length=512)
    """The chat model in use."""
    collections: list[str] = Field(default_factory=list, max_length=32)
    """The collections ticked."""


class ConversationChange(BaseModel):
    """``PATCH /v1/conversations/{id}``."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    """A new title."""
    model: str | None = Field(default=None, max_length=512)
    """The chat model in use."""
    collections: list[str] | None = Field(default=None, max_length=32)
    """The collections ticked."""


class NewMessages(BaseModel):
    """``POST /v1/conversations/{id}/messages``."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1, max_length=16)
    """Messages to add at the end, oldest first."""


def store_of(request: Request) -> ConversationStore:
    """The conversation store of the app serving ``request``."""
    store: Any = request.app.state.conversations
    assert isinstance(store, ConversationStore)
    return store


async def _run(work: Callable[[], T]) -> T:
    """Run a store call on a worker thread; an unknown id is a 404."""
    try:
        return await run_in_threadpool(work)
    except ConversationNotFoundError as error:
        raise APIError(404, str(error), code="conversation_not_found") from None


@router.get("/v1/conversations")
async def list_conversations(request: Request) -> dict[str, Any]:
    """Past conversations, the most recent first (without their messages)."""
    summaries = await run_in_threadpool(store_of(request).list)
    return {"object": "list", "data": [summary.model_dump() for summary in summaries]}


@router.post("/v1/conversations", status_code=201)
async def create_conversation(body: NewConversation, request: Request) -> JSONResponse:
    """Start a conversation."""
    store = store_of(request)
    created = await run_in_threadpool(store.create, body.title, body.model, body.collections)
    return JSONResponse(created.model_dump(), status_code=201)


@router.get("/v1/conversations/{conversation_id}")
async def get_conversation(conversation_id: str, request: Request) -> dict[str, Any]:
    """One conversation with its messages and their sources."""
    store = store_of(request)
    conversation = await _run(lambda: store.get(conversation_id))
    return conversation.model_dump()


@router.patch("/v1/conversations/{conversation_id}")
async def change_conversation(
    conversation_id: str, body: ConversationChange, request: Request
) -> dict[str, Any]:
    """Rename it, or record the model and collections in use."""
    store = store_of(request)
    summary = await _run(
        lambda: store.update(
            conversation_id, title=body.title, model=body.model, collections=body.collections
        )
    )
    return summary.model_dump()


@router.post("/v1/conversations/{conversation_id}/messages")
async def add_messages(conversation_id: str, body: NewMessages, request: Request) -> dict[str, Any]:
    """Append messages (a question and its answer, once the answer is complete)."""
    store = store_of(request)
    summary = await _run(lambda: store.append(conversation_id, body.messages))
    return summary.model_dump()


@router.delete("/v1/conversations/{conversation_id}")
async def delete_conversation(conversation_id: str, request: Request) -> dict[str, Any]:
    """Delete a conversation for good."""
    store = store_of(request)
    await _run(lambda: store.delete(conversation_id))
    return {"id": conversation_id, "object": "conversation", "deleted": True}


@router.get("/v1/conversations/{conversation_id}/export")
async def export_conversation(conversation_id: str, request: Request) -> Response:
    """The conversation as a Markdown file, with each answer's sources and quotes."""
    store = store_of(request)
    conversation = await _run(lambda: store.get(conversation_id))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", conversation.title).strip("-")[:60] or "chat"
    return Response(
        to_markdown(conversation),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.md"'},
    )
