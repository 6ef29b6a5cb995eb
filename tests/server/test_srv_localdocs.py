"""LocalDocs through the OpenAI API: the `collections` field in, cited `sources` out."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest
from srv_helpers import API_KEY, COLLECTION, RunningServer

pytestmark = pytest.mark.models

QUESTION = "How often must the Zorblax 9000 be descaled?"


def _ask(client: openai.OpenAI, **options: Any) -> Any:
    return client.chat.completions.create(
        model="gemma-3-270m",
        messages=options.pop("messages", [{"role": "user", "content": QUESTION}]),
        extra_body={"collections": options.pop("collections", [COLLECTION])},
        **options,
    )


def _check_sources(sources: list[dict[str, Any]]) -> dict[str, Any]:
    assert sources, "a LocalDocs answer must carry its sources"
    for source in sources:
        assert set(source) == {"source", "page", "snippet", "score", "cited", "quote"}
        assert source["source"].startswith("/") and source["snippet"]
        assert isinstance(source["score"], float) and isinstance(source["cited"], bool)
        assert (source["quote"] is not None) == source["cited"]  # a cited source shows its quote
    best = sources[0]
    assert best["source"].endswith("zorblax-manual.pdf") and best["page"] == 2
    assert "42 days" in best["snippet"]
    return best


def test_collections_are_listed(client: openai.OpenAI) -> None:
    listed = client.get("/collections", cast_to=httpx.Response).json()
    (collection,) = listed["data"]
    assert collection["id"] == COLLECTION and collection["object"] == "collection"
    assert collection["files"] == 2 and collection["chunks"] >= 2
    assert collection["embedding_model"] == "all-MiniLM-L6-v2:384:int8v2"  # the default backend


def test_answer_with_sources(client: openai.OpenAI) -> None:
    reply = _ask(client)
    answer = reply.choices[0].message.content or ""
    assert "42" in answer
    assert reply.choices[0].finish_reason == "stop"
    best = _check_sources(reply.model_extra["sources"])
    assert best["cited"] is True


def test_streamed_answer_ends_with_the_sources(client: openai.OpenAI) -> None:
    chunks = list(_ask(client, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "42" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    _check_sources(last.model_extra["sources"])
    assert all("sources" not in (c.model_extra or {}) for c in chunks[:-1])


def test_a_multi_turn_conversation_is_answered_with_sources(client: openai.OpenAI) -> None:
    reply = _ask(
        client,
        messages=[
            {"role": "user", "content": "Tell me about the Zorblax 9000 espresso machine."},
            {"role": "assistant", "content": "It is an espresso machine with a water tank."},
            {"role": "user", "content": "How often must it be descaled?"},
        ],
    )
    assert reply.choices[0].message.content
    _check_sources(reply.model_extra["sources"])


def test_nothing_relevant_gives_no_sources(client: openai.OpenAI) -> None:
    reply = _ask(
        client,
        messages=[{"role": "user", "content": "Who won the 1998 football world cup final?"}],
    )
    assert reply.model_extra["sources"] == []
    assert reply.choices[0].message.content


def test_unknown_collection_is_404(client: openai.OpenAI) -> None:
    for stream in (False, True):
        with pytest.raises(openai.NotFoundError) as caught:
            _ask(client, collections=[COLLECTION, "recipes"], stream=stream)
        body = caught.value.body
        assert isinstance(body, dict) and body["code"] == "collection_not_found"
        assert "recipes" in body["message"] and COLLECTION in body["message"]


def test_bad_localdocs_requests_are_400(warm_server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    url = f"{warm_server.api}/chat/completions"
    cases: list[dict[str, object]] = [
        {"collections": ["no/slashes"], "messages": [{"role": "user", "content": "hi"}]},
        {"collections": [COLLECTION], "messages": [{"role": "assistant", "content": "hi"}]},
        {"collections": "manuals", "messages": [{"role": "user", "content": "hi"}]},
    ]
    for case in cases:
        response = httpx.post(url, headers=headers, json={"model": "default", **case}, timeout=30)
        assert response.status_code == 400, (case, response.text)
        assert response.json()["error"]["type"] == "invalid_request_error"
