"""``POST /v1/embeddings``: vectors from the configured embedding model."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.schemas import EmbeddingItem, EmbeddingList, EmbeddingRequest, Usage
from gpt4all_rag.server.state import state_of
from gpt4all_rag.server.streaming import unless_disconnected

router = APIRouter()

MAX_INPUTS = 2048
"""Texts per request, as in OpenAI's API."""


def _texts(value: str | list[str] | list[int] | list[list[int]]) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not value:
        raise APIError(400, "input is empty: send a string or a list of strings.", param="input")
    if not all(isinstance(item, str) for item in value):
        raise APIError(400, "Token arrays are not supported: send the text itself.", param="input")
    if len(value) > MAX_INPUTS:
        raise APIError(400, f"At most {MAX_INPUTS} inputs per request.", param="input")
    return [str(item) for item in value]


def _embed(model: GPT4AllEmbeddings, texts: list[str]) -> tuple[list[list[float]], int]:
    vectors = model.embed_documents(texts)
    return vectors, sum(model.count_tokens(text) for text in texts)


def _encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
    return vector


@router.post("/v1/embeddings", response_model=EmbeddingList)
async def embeddings(body: EmbeddingRequest, request: Request) -> dict[str, Any]:
    """Embed one text or a list of texts."""
    state = state_of(request)
    texts = _texts(body.input)
    model = await run_in_threadpool(state.catalog.embeddings, body.model)
    if body.dimensions is not None:
        dimension = await run_in_threadpool(lambda: model.dimension)
        if body.dimensions != dimension:
            raise APIError(
                400,
                f"This model makes {dimension}-dimensional vectors; dimensions={body.dimensions} "
                "cannot be served.",
                param="dimensions",
            )

    key = f"embeddings:{model.model_name}"

    async def work() -> tuple[list[list[float]], int]:
        async with state.queue.turn(key):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(state.queue.worker(key), _embed, model, texts)

    vectors, tokens = await unless_disconnected(request, work())
    reply = EmbeddingList(
        data=[
            EmbeddingItem(index=index, embedding=_encode(vector, body.encoding_format))
            for index, vector in enumerate(vectors)
        ],
        model=body.model,
        usage=Usage(prompt_tokens=tokens, total_tokens=tokens),
    )
    return reply.model_dump(mode="json")
