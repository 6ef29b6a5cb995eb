"""The OpenAI API of `gpt4all-rag serve`, driven by the official `openai` client."""

from __future__ import annotations

import json

import numpy as np
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
from srv_helpers import N_CTX, RunningServer

from gpt4all_rag.config import get_settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings

pytestmark = pytest.mark.models

QUESTION: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What is the capital of France?"}
]


def test_models_lists_the_default_chat_model_and_the_embedding_model(
    client: openai.OpenAI,
) -> None:
    models = {model.id: model for model in client.models.list()}
    assert "gemma-3-270m" in models and "all-MiniLM-L6-v2" in models
    assert models["gemma-3-270m"].owned_by == "gpt4all-rag"
    assert models["gemma-3-270m"].model_extra == {
        "type": "chat",
        "context_length": 32768,
        "chat_template": False,
    }
    assert client.models.retrieve("gemma-3-270m").id == "gemma-3-270m"


def test_chat_answers_with_usage(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="gemma-3-270m", messages=QUESTION, temperature=0, max_tokens=24
    )
    assert reply.object == "chat.completion" and reply.model == "gemma-3-270m"
    (choice,) = reply.choices
    assert "paris" in (choice.message.content or "").lower()
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 5 and reply.usage.completion_tokens >= 1
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_default_is_an_alias_of_the_configured_model(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="default", messages=QUESTION, max_tokens=4)
    assert reply.model == "gemma-3-270m"


def test_stream_sends_deltas_then_finish_then_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gemma-3-270m",
        messages=[{"role": "user", "content": "Tell me about llamas."}],
        max_tokens=12,
        stop=[],
        seed=3,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 2, "the reply must arrive in several pieces"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length") and all(f is None for f in finishes[:-1])
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None
    if finishes[-1] == "length":
        assert usage.completion_tokens == 12
    else:  # the model ended its reply: fewer tokens, each giving at most one piece
        assert len(pieces) <= usage.completion_tokens < 12
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert len({c.id for c in chunks}) == 1


def test_stream_and_whole_reply_agree_with_a_seed(client: openai.OpenAI) -> None:
    options = {"model": "gemma-3-270m", "messages": QUESTION, "max_tokens": 16, "seed": 11}
    whole = client.chat.completions.create(**options)  # type: ignore[call-overload]
    streamed = client.chat.completions.create(stream=True, **options)  # type: ignore[call-overload]
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert text == whole.choices[0].message.content


def test_completions_continue_the_prompt(client: openai.OpenAI) -> None:
    prompt = ", ".join(str(n) for n in range(1, 11)) + ","
    reply = client.completions.create(
        model="gemma-3-270m", prompt=prompt, max_tokens=6, temperature=0
    )
    (choice,) = reply.choices
    assert choice.text.strip().startswith("11")
    assert choice.finish_reason == "length" and reply.usage is not None
    assert reply.usage.completion_tokens == 6
    streamed = client.completions.create(
        model="gemma-3-270m", prompt=prompt, max_tokens=6, temperature=0, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed if c.choices) == choice.text


def test_embeddings_match_the_library(client: openai.OpenAI) -> None:
    texts = ["The cat sat on the mat.", "Paris is the capital of France."]
    reply = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts)  # base64 on the wire
    floats = client.embeddings.create(
        model="all-MiniLM-L6-v2", input=texts, encoding_format="float"
    )
    # The server embeds with the backend new collections use (8-bit by default).
    backend = get_settings().embedding_backend
    expected = GPT4AllEmbeddings(backend=backend).embed_documents(texts)
    for got in (reply, floats):
        assert [item.index for item in got.data] == [0, 1]
        vectors = np.array([item.embedding for item in got.data])
        assert vectors.shape == (2, 384)
        np.testing.assert_allclose(vectors, np.array(expected), atol=1e-5)
    assert reply.usage.prompt_tokens > 10
    one = client.embeddings.create(model="all-MiniLM-L6-v2", input="hello")
    assert len(one.data) == 1


def test_tool_calls_come_back_in_openai_shape(client: openai.OpenAI) -> None:
    tool: ChatCompletionToolParam = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    reply = client.chat.completions.create(
        model="gemma-3-270m",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[tool],
        tool_choice="required",
        max_tokens=48,
        temperature=0,
    )
    (choice,) = reply.choices
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls or []
    assert call.type == "function" and call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)


def test_json_cut_by_max_tokens_says_length_not_a_document(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="gemma-3-270m",
        messages=[{"role": "user", "content": "List ten fruits as JSON."}],
        response_format={"type": "json_object"},
        max_tokens=4,
        temperature=0,
    )
    (choice,) = reply.choices
    assert choice.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content or "")


# --- errors: OpenAI's shape and status codes -----------------------------------------------------


def test_unknown_model_is_404_and_lists_the_available_ones(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["code"] == "model_not_found" and body["param"] == "model"
    assert "gemma-3-270m" in body["message"]
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-3-small", input="x")
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_a_path_is_not_a_model_name(client: openai.OpenAI, warm_server: RunningServer) -> None:
    bundled = next((warm_server.home / "bundled").glob("*.gguf"))
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=str(bundled), messages=QUESTION, max_tokens=1)


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        ({"messages": QUESTION, "temperature": 5}, "temperature"),
        ({"messages": QUESTION, "n": 2}, "n"),
        ({"messages": QUESTION, "max_tokens": 0}, "max_tokens"),
        ({"messages": QUESTION, "max_tokens": 100_000}, "max_tokens"),
        ({"messages": QUESTION, "response_format": {"type": "xml"}}, None),
    ],
)
def test_bad_requests_are_400(
    client: openai.OpenAI, options: dict[str, object], param: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gemma-3-270m", **options)  # type: ignore[call-overload]
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "invalid_request_error"
    assert body["message"]
    if param is not None:
        assert body["param"] == param


def test_a_prompt_over_the_context_is_400_with_the_token_counts(client: openai.OpenAI) -> None:
    long = "The quick brown fox jumps over the lazy dog. " * 300  # ~3,000 tokens > n_ctx 2048
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model="gemma-3-270m",
                messages=[{"role": "user", "content": long}],
                max_tokens=100,
                stream=stream,
            )
        body = caught.value.body
        assert isinstance(body, dict) and body["code"] == "context_length_exceeded"
        assert body["n_ctx"] == N_CTX and body["max_tokens"] == 100
        assert body["prompt_tokens"] > N_CTX
        assert str(body["prompt_tokens"]) in body["message"] and str(N_CTX) in body["message"]


def test_missing_or_wrong_key_is_401(warm_server: RunningServer) -> None:
    for key in ("wrong-key-123456", ""):
        anonymous = openai.OpenAI(base_url=warm_server.api, api_key=key or "x", max_retries=0)
        if not key:
            anonymous = anonymous.with_options(default_headers={"Authorization": ""})
        with pytest.raises(openai.AuthenticationError) as caught:
            anonymous.chat.completions.create(model="gemma-3-270m", messages=QUESTION)
        body = caught.value.body
        assert isinstance(body, dict) and body["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            anonymous.models.list()
