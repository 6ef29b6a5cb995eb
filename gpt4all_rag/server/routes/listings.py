"""``GET /v1/models``, ``GET /v1/models/{id}`` and ``GET /health``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from gpt4all_rag import __version__
from gpt4all_rag.errors import ModelNotFoundError
from gpt4all_rag.llama.catalog import ModelSpec
from gpt4all_rag.server.schemas import ModelCard, ModelList
from gpt4all_rag.server.state import ServerState, state_of

router = APIRouter()


def _chat_card(spec: ModelSpec) -> ModelCard:
    return ModelCard(
        id=spec.name,
        created=int(spec.path.stat().st_mtime),
        type="chat",
        context_length=spec.context_length,
        chat_template=spec.has_chat_template,
    )


def _cards(state: ServerState) -> list[ModelCard]:
    cards = [_chat_card(spec) for spec in state.catalog.chat_specs()]
    name = state.catalog.embedding_names()[0]
    cards.append(ModelCard(id=name, created=int(state.started), type="embedding"))
    return cards


@router.get("/v1/models", response_model=ModelList, response_model_exclude_none=True)
async def models(request: Request) -> dict[str, Any]:
    """Chat models (bundled default first) and the embedding model."""
    cards = await run_in_threadpool(_cards, state_of(request))
    return ModelList(data=cards).model_dump(mode="json", exclude_none=True)


@router.get(
    "/v1/models/{model_id:path}", response_model=ModelCard, response_model_exclude_none=True
)
async def model(model_id: str, request: Request) -> dict[str, Any]:
    """One model by id."""
    cards = await run_in_threadpool(_cards, state_of(request))
    for card in cards:
        if card.id.lower() == model_id.lower():
            return card.model_dump(mode="json", exclude_none=True)
    names = ", ".join(card.id for card in cards)
    raise ModelNotFoundError(f"The model {model_id!r} does not exist here. Available: {names}.")


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness, version and the model queues (busy, waiting, served)."""
    state = state_of(request)
    lanes = state.queue.snapshot()
    return {
        "status": "ok",
        "version": __version__,
        "uptime_seconds": round(time.time() - state.started, 1),
        "busy": any(lane["busy"] for lane in lanes.values()),
        "waiting": sum(int(lane["waiting"]) for lane in lanes.values()),
        "served": sum(int(lane["served"]) for lane in lanes.values()),
    }
