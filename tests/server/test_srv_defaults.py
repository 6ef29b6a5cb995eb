"""Plain chat with a template-less base model: a sensible default temperature, and never an
empty reply sent as a success; LocalDocs sources keep ``page: null`` for files without pages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import AIMessageChunk
from pydantic import ValidationError
from srv_helpers import API_KEY, COLLECTION, RunningServer

from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.routes.chat import ChunkWriter, _chat_events, _whole_reply
from gpt4all_rag.server.schemas import ChatCompletionRequest

AUTH = {"Authorization": f"Bearer {API_KEY}"}


async def _chunks(*texts: str) -> AsyncIterator[AIMessageChunk]:
    for text in texts:
        yield AIMessageChunk(content=text)


def _greedy(*texts: str):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def start() -> AsyncIterator[AIMessageChunk]:
        calls.append(1)
        return _chunks(*texts)

    return start, calls


def test_an_empty_whole_reply_is_asked_again_greedily() -> None:
    greedy, calls = _greedy(" Paris")
    reply = asyncio.run(_whole_reply("m", AIMessageChunk(content=" "), _chunks("\n"), greedy))
    assert reply["choices"][0]["message"]["content"] == " Paris" and calls == [1]


def test_an_empty_reply_twice_is_an_error_not_a_success() -> None:
    greedy, _ = _greedy("")
    with pytest.raises(APIError) as raised:
        asyncio.run(_whole_reply("m", AIMessageChunk(content=""), _chunks(), greedy))
    assert raised.value.status == 422 and raised.value.code == "empty_reply"


def _events(first: str, rest: tuple[str, ...], retry: tuple[str, ...] | None) -> list[object]:
    body = ChatCompletionRequest.model_validate(
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    )
    greedy = _greedy(*retry)[0] if retry is not None else None

    async def collect() -> list[bytes]:
        stream = _chat_events(
            ChunkWriter("m"), AIMessageChunk(content=first), _chunks(*rest), body, greedy
        )
        return [event async for event in stream]

    events = asyncio.run(collect())
    return [json.loads(e.removeprefix(b"data: ").strip()) for e in events if b"[DONE]" not in e]


def test_an_empty_stream_is_asked_again_on_the_same_stream() -> None:
    events = _events("", (" ",), (" Par", "is"))
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in events if c.get("choices"))
    assert text.strip() == "Paris"
    assert events[-1]["choices"][0]["finish_reason"] == "stop"  # type: ignore[index]


def test_an_empty_stream_twice_ends_in_an_error_event() -> None:
    events = _events("", (), ("",))
    assert events[-1] == {"error": events[-1]["error"]}  # type: ignore[index]
    assert events[-1]["error"]["code"] == "empty_reply"  # type: ignore[index]


@pytest.mark.models
def test_plain_chat_with_the_base_model_answers_sensibly_by_default(
    server: RunningServer,
) -> None:
    body = {
        "model": "gemma-3-270m",
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 16,
    }
    for _ in range(3):  # the default is greedy, so the same every time
        response = httpx.post(
            f"{server.api}/chat/completions", json=body, headers=AUTH, timeout=120
        )
        assert response.status_code == 200, response.text
        assert "Paris" in response.json()["choices"][0]["message"]["content"]


@pytest.mark.models
def test_sources_of_files_without_pages_keep_page_null(server: RunningServer) -> None:
    body = {
        "model": "gemma-3-270m",
        "messages": [{"role": "user", "content": "How long does the Zorblax warranty last?"}],
        "collections": [COLLECTION],
    }
    response = httpx.post(f"{server.api}/chat/completions", json=body, headers=AUTH, timeout=300)
    assert response.status_code == 200, response.text
    sources = response.json()["sources"]
    markdown = [source for source in sources if source["source"].endswith("warranty.md")]
    assert markdown and all("page" in source and source["page"] is None for source in markdown)


def test_a_validators_own_error_reaches_the_client_unwrapped(tmp_path: Path) -> None:
    from gpt4all_rag.chat_models import ChatGPT4All
    from gpt4all_rag.server.http_errors import to_api_error

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValidationError) as raised:
        ChatGPT4All(model=str(broken))

    error = to_api_error(raised.value)

    assert error.status == 400 and error.code == "InvalidModelFileError"
    assert error.message.startswith(f"{broken}: is not a GGUF model file")
