"""ChatGPT4All on the real bundled model: what the standard suite cannot ask of a 270M base model."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from gpt4all_rag import ChatGPT4All
from gpt4all_rag.chat_models import to_turns
from gpt4all_rag.errors import ContextOverflowError, OutputTruncatedError

pytestmark = pytest.mark.models


def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


def get_weather(location: str, unit: str = "celsius") -> str:
    """Get the weather at a location."""
    return f"sunny in {location}"


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="The person's name")
    age: int = Field(description="Age in years")


class Event(BaseModel):
    """An event mentioned in the text."""

    name: str
    attendees: list[str]


@pytest.fixture(scope="module")
def llm() -> ChatGPT4All:
    return ChatGPT4All(temperature=0, max_tokens=64, seed=7)


def test_answers_a_question_with_the_completion_format(llm: ChatGPT4All) -> None:
    reply = llm.invoke("What is the capital of France?")
    assert "paris" in reply.text.lower()
    assert reply.response_metadata["finish_reason"] == "stop"
    assert reply.response_metadata["model_name"] == "gemma-3-270m"


def test_usage_counts_the_real_prompt_tokens(llm: ChatGPT4All) -> None:
    messages = [HumanMessage("What is the capital of France?")]
    reply = llm.invoke(messages)
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == llm.get_num_tokens_from_messages(messages)
    assert reply.usage_metadata["output_tokens"] >= 1
    total = reply.usage_metadata["input_tokens"] + reply.usage_metadata["output_tokens"]
    assert reply.usage_metadata["total_tokens"] == total


def test_max_tokens_stops_with_length(llm: ChatGPT4All) -> None:
    reply = llm.invoke("Write a long story about a dragon.", max_tokens=5, stop=[])
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] == 5
    assert reply.response_metadata["finish_reason"] == "length"


def test_stop_sequence_is_never_returned() -> None:
    model = ChatGPT4All(temperature=0, max_tokens=40)
    prompt = "Count from one to ten in words: one, two, three,"
    free = model.invoke(prompt, stop=[]).text
    assert "5" in free
    cut = model.invoke(prompt, stop=["5"]).text
    assert "5" not in cut
    assert cut.strip()
    assert free.startswith(cut)


def test_seed_makes_sampling_reproducible() -> None:
    model = ChatGPT4All(temperature=1.0, max_tokens=24, seed=1234)
    prompt = "Write a sentence about the sea."
    assert model.invoke(prompt).text == model.invoke(prompt).text


def test_forced_tool_call_always_parses_against_the_schema(llm: ChatGPT4All) -> None:
    bound = llm.bind_tools([magic_function, get_weather], tool_choice="any")
    for question in ["What is magic_function(3)?", "What's the weather in Paris?", "Hello there"]:
        reply = bound.invoke(question)
        assert isinstance(reply, AIMessage)
        assert len(reply.tool_calls) == 1, reply
        call = reply.tool_calls[0]
        assert call["name"] in {"magic_function", "get_weather"}
        if call["name"] == "magic_function":
            assert isinstance(call["args"]["input"], int)
        else:
            assert isinstance(call["args"]["location"], str)
        assert reply.response_metadata["finish_reason"] == "tool_calls"


def test_the_documented_tool_example_gets_its_number(llm: ChatGPT4All) -> None:
    reply = llm.bind_tools([magic_function], tool_choice="magic_function").invoke(
        "What is magic_function(3)?"
    )
    assert [(call["name"], call["args"]) for call in reply.tool_calls] == [
        ("magic_function", {"input": 3})
    ]
    usage = reply.usage_metadata
    assert usage is not None and usage["output_tokens"] < 12  # the arguments, not 16 digits


def test_a_tool_call_cut_by_max_tokens_raises(llm: ChatGPT4All) -> None:
    bound = llm.bind_tools([get_weather], tool_choice="get_weather", max_tokens=2)
    with pytest.raises(OutputTruncatedError, match="raise max_tokens"):
        bound.invoke("What's the weather in Paris?")
    cut = bound.invoke("What's the weather in Paris?", on_truncation="return")
    assert cut.tool_calls == [] and cut.response_metadata["finish_reason"] == "length"


def test_structured_output_cut_by_max_tokens_is_an_error(llm: ChatGPT4All) -> None:
    short = llm.model_copy(update={"max_tokens": 12})
    prompt = "Alice, Bob and Carol met at the Spring Fair. Extract the event."
    with pytest.raises(OutputTruncatedError, match="max_tokens=12"):
        short.with_structured_output(Event).invoke(prompt)
    result = short.with_structured_output(Event, include_raw=True).invoke(prompt)
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], OutputTruncatedError)
    assert result["raw"].response_metadata["finish_reason"] == "length"


def test_named_tool_choice_calls_that_tool(llm: ChatGPT4All) -> None:
    reply = llm.bind_tools([magic_function, get_weather], tool_choice="get_weather").invoke(
        "What's the weather in Paris?"
    )
    assert [call["name"] for call in reply.tool_calls] == ["get_weather"]
    assert "paris" in reply.tool_calls[0]["args"]["location"].lower()


def test_auto_tool_choice_gives_a_call_or_words(llm: ChatGPT4All) -> None:
    reply = llm.bind_tools([magic_function], tool_choice="auto").invoke("Say hello.")
    assert reply.tool_calls or reply.text.strip()
    assert not reply.text.lstrip().startswith("{"), "the JSON envelope must not leak into content"


def test_tool_call_streams_as_chunks(llm: ChatGPT4All) -> None:
    bound = llm.bind_tools([magic_function], tool_choice="magic_function")
    full = None
    for chunk in bound.stream("What is magic_function(3)?"):
        full = chunk if full is None else full + chunk
    assert full is not None
    assert full.tool_calls and full.tool_calls[0]["name"] == "magic_function"


def test_tool_call_history_round_trip(llm: ChatGPT4All) -> None:
    bound = llm.bind_tools([magic_function], tool_choice="magic_function")
    first = bound.invoke("What is magic_function(3)?")
    call = first.tool_calls[0]
    from langchain_core.messages import ToolMessage

    history = [
        HumanMessage("What is magic_function(3)?"),
        first,
        ToolMessage(str(magic_function(**call["args"])), tool_call_id=call["id"]),
    ]
    turns = to_turns(history)  # what the model is shown: the call as JSON, then its result
    assert json.loads(turns[1]["content"]) == {
        "tool_calls": [{"name": "magic_function", "arguments": call["args"]}]
    }
    result = magic_function(**call["args"])
    assert turns[2] == {"role": "user", "content": f"Tool result ({call['id']}): {result}"}
    answer = llm.invoke(history)
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["input_tokens"] == llm.get_num_tokens_from_messages(history)
    assert answer.response_metadata["finish_reason"] in ("stop", "length")


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output_returns_the_schema(llm: ChatGPT4All, method: str) -> None:
    structured = llm.with_structured_output(Person, method=method)  # type: ignore[arg-type]
    person = structured.invoke("John is 42 years old. Extract the person.")
    assert isinstance(person, Person)
    assert person.name == "John"
    assert person.age == 42


def test_structured_output_include_raw(llm: ChatGPT4All) -> None:
    structured = llm.with_structured_output(Person, include_raw=True)
    result = structured.invoke("Mary is 31 years old. Extract the person.")
    assert isinstance(result, dict)
    assert isinstance(result["raw"], AIMessage)
    assert isinstance(result["parsed"], Person)
    assert result["parsing_error"] is None


def test_json_mode_returns_a_json_object(llm: ChatGPT4All) -> None:
    reply = llm.bind(response_format={"type": "json_object"}).invoke(
        "Give a JSON object with a key 'colour' for the colour of the sky."
    )
    assert isinstance(json.loads(reply.text), dict)


def test_prompt_longer_than_the_context_is_a_clear_error() -> None:
    small = ChatGPT4All(n_ctx=512, max_tokens=64)
    with pytest.raises(ContextOverflowError) as caught:
        small.invoke("word " * 2000)
    error = caught.value
    assert error.n_ctx == 512
    assert error.prompt_tokens > 2000
    assert f"{error.excess_tokens} over" in str(error)


def test_eight_threads_share_one_model(llm: ChatGPT4All) -> None:
    questions = [f"What is {n} plus {n}?" for n in range(8)]
    models = [ChatGPT4All(temperature=0, max_tokens=16) for _ in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(
            pool.map(lambda pair: pair[0].invoke(pair[1]), zip(models, questions, strict=True))
        )
    assert len({id(model.loaded) for model in models}) == 1  # one llama.cpp model, shared
    assert models[0].loaded is llm.loaded
    assert not llm.loaded.lock.locked()
    for model, question, reply in zip(models, questions, replies, strict=True):
        assert isinstance(reply, AIMessage) and reply.usage_metadata
        messages = [HumanMessage(question)]
        assert reply.usage_metadata["input_tokens"] == model.get_num_tokens_from_messages(messages)
    alone = models[0].invoke(questions[0])  # serialized calls answer as a call made alone
    assert replies[0].text == alone.text


async def test_async_stream_lets_other_coroutines_run(llm: ChatGPT4All) -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    pieces = [chunk.text async for chunk in llm.astream("Write a sentence about the sea.", stop=[])]
    elapsed = time.monotonic() - started
    done.set()
    await task
    assert "".join(pieces).strip()
    assert ticks >= elapsed / 0.005 * 0.3, f"event loop starved: {ticks} ticks in {elapsed:.2f}s"


async def test_abandoned_async_stream_frees_the_model(llm: ChatGPT4All) -> None:
    started = time.monotonic()
    await llm.ainvoke("Write a long story about a dragon.", max_tokens=20, stop=[])
    per_token = (time.monotonic() - started) / 20  # this machine's pace, prompt included
    stream = llm.astream("Write a long story about a dragon.", max_tokens=200, stop=[])
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    waited = time.monotonic()
    while llm.loaded.lock.locked():  # freed within a few tokens, not after 200
        await asyncio.sleep(per_token / 4)
    assert time.monotonic() - waited < 20 * per_token


def test_system_message_and_history() -> None:
    model = ChatGPT4All(temperature=0, max_tokens=16)
    reply = model.invoke(
        [
            SystemMessage("Answer in one word."),
            HumanMessage("What is the capital of Italy?"),
            AIMessage("Rome"),
            HumanMessage("What is the capital of France?"),
        ]
    )
    assert "paris" in reply.text.lower()
