"""``/v1/collections``: list, create from folders, re-index, watch, stop and remove collections.

Indexing runs on the server's writer thread; ``GET /v1/collections?stream=true`` streams the
list (with each collection's job progress) as server-sent events whenever something changes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from gpt4all_rag.server.collection_manager import CollectionManager
from gpt4all_rag.server.streaming import EventStream, sse

router = APIRouter()

KEEP_ALIVE_SECONDS = 15.0
"""An SSE comment is sent after this long without news, so proxies keep the stream open."""
MIN_EVENT_GAP = 0.25
"""Seconds between two events of a stream: progress is shown, not every file."""


class NewCollection(BaseModel):
    """``POST /v1/collections``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=63)
    """Collection name (3-63 characters of ``a-zA-Z0-9._-``)."""
    folders: list[str] = Field(min_length=1, max_length=16)
    """Absolute paths of folders (or files) on the server's machine."""
    watch: bool = False
    """Index changes under the folders as they happen."""


class CollectionChange(BaseModel):
    """``PATCH /v1/collections/{name}``."""

    model_config = ConfigDict(extra="forbid")

    watch: bool | None = None
    """Start or stop watching the collection's folders."""
    folders: list[str] | None = Field(default=None, min_length=1, max_length=16)
    """Replace the folders the collection is kept from (a run is queued)."""


class IndexRequest(BaseModel):
    """``POST /v1/collections/{name}/index``."""

    model_config = ConfigDict(extra="forbid")

    rebuild: bool = False
    """Drop the collection first and index everything again."""


def manager_of(request: Request) -> CollectionManager:
    """The collection manager of the app serving ``request``."""
    manager: Any = request.app.state.collection_manager
    assert isinstance(manager, CollectionManager)
    return manager


@router.get("/v1/collections")
async def list_collections(request: Request, stream: bool = False) -> Response:
    """Collections with their status; with ``stream=true``, server-sent events on every change."""
    manager = manager_of(request)
    if stream:
        return EventStream(_list_events(manager))
    cards = await run_in_threadpool(manager.cards)
    return JSONResponse({"object": "list", "data": cards})


async def _list_events(manager: CollectionManager) -> AsyncIterator[bytes]:
    """The list now, then again after each change (at most every :data:`MIN_EVENT_GAP`)."""
    last = ""
    with manager.feed.subscribe() as changed:
        while True:
            changed.clear()
            cards = await run_in_threadpool(manager.cards)
            payload = json.dumps({"object": "list", "data": cards}, ensure_ascii=False)
            if payload != last:
                last = payload
                yield sse(payload)
            try:
                await asyncio.wait_for(changed.wait(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
            await asyncio.sleep(MIN_EVENT_GAP)


@router.post("/v1/collections", status_code=202)
async def create_collection(body: NewCollection, request: Request) -> Response:
    """Create a collection from folders on this machine; its first run starts in the background."""
    manager = manager_of(request)
    await run_in_threadpool(manager.create, body.name, body.folders, body.watch)
    card = await run_in_threadpool(manager.card, body.name)
    return JSONResponse(card, status_code=202)


@router.get("/v1/collections/{name}")
async def get_collection(name: str, request: Request) -> dict[str, Any]:
    """One collection with its folders, watch state and latest job."""
    manager = manager_of(request)
    return await run_in_threadpool(manager.card, name)


@router.patch("/v1/collections/{name}")
async def change_collection(name: str, body: CollectionChange, request: Request) -> dict[str, Any]:
    """Watch or stop watching; set the folders (which queues a run)."""
    manager = manager_of(request)
    await run_in_threadpool(lambda: manager.update(name, watch=body.watch, folders=body.folders))
    return await run_in_threadpool(manager.card, name)


@router.post("/v1/collections/{name}/index", status_code=202)
async def index_collection(
    name: str, request: Request, body: IndexRequest | None = None
) -> Response:
    """Re-index the collection's folders (incremental unless ``rebuild``)."""
    manager = manager_of(request)
    rebuild = body.rebuild if body is not None else False
    await run_in_threadpool(manager.reindex, name, rebuild)
    return JSONResponse(await run_in_threadpool(manager.card, name), status_code=202)


@router.post("/v1/collections/{name}/cancel")
async def cancel_indexing(name: str, request: Request) -> dict[str, Any]:
    """Stop the collection's queued or running job (what was indexed stays)."""
    manager = manager_of(request)
    await run_in_threadpool(manager.cancel, name)
    return await run_in_threadpool(manager.card, name)


@router.delete("/v1/collections/{name}")
async def remove_collection(name: str, request: Request) -> dict[str, Any]:
    """Delete the collection (your files are not touched)."""
    manager = manager_of(request)
    await run_in_threadpool(manager.remove, name)
    return {"id": name, "object": "collection", "deleted": True}
