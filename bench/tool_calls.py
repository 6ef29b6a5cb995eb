"""Tool calls and structured output on the bundled model: now, and as they were before issue 11.

For each documented example, the reply is generated the way ``ChatGPT4All`` does it today
(``bind_tools`` / ``with_structured_output``: bounded grammar, a forced call's name written into
the prompt, tools described as signatures) and the way it did before (llama.cpp's own JSON grammar
of the whole reply, tools described by their JSON schema), alternating run by run in one process.
Prints, per example and contender, the median seconds, the generated tokens and the result.

Cases:

- ``magic_function``: docs/python-api.md's tool example, ``tool_choice="magic_function"``;
- ``Person``: docs/python-api.md's structured output example (``name``, ``age``);
- ``Event``: the issue's ``Event(name, attendees: list[str])`` at ``max_tokens=128``.

Run: python bench/tool_calls.py [--runs 3] [--only magic_function Person Event]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from pydantic import BaseModel

from gpt4all_rag import ChatGPT4All
from gpt4all_rag.chat_models import to_turns
from gpt4all_rag.errors import OutputTruncatedError
from gpt4all_rag.llama.grammars import UNBOUNDED, gbnf_for_schema, tool_call_schema
from gpt4all_rag.llama.runtime import Finished


def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


class Person(BaseModel):
    name: str
    age: int


class Event(BaseModel):
    name: str
    attendees: list[str]


MAGIC_QUESTION = "What is magic_function(3)?"
PERSON_PROMPT = "John is 42 years old. Extract the person."
EVENT_PROMPT = "Alice, Bob and Carol met at the Spring Fair. Extract the event."

Outcome = tuple[str, int]
"""What came back (shortened), and the tokens generated."""


def previous_instructions(tools: list[dict[str, Any]]) -> str:
    """The tool text the model was given before: each tool's JSON schema."""
    described = "\n".join(
        f"- {tool['function']['name']}: {tool['function'].get('description', '').strip()} "
        f"Arguments (JSON schema): {json.dumps(tool['function'].get('parameters', {}))}"
        for tool in tools
    )
    return (
        f"You can call these tools:\n{described}\n"
        'To call a tool, reply {"tool_calls": [{"name": ..., "arguments": {...}}]} with the '
        "tool's name and its arguments filled in from the question."
    )


def previous_reply(llm: ChatGPT4All, system: str | None, prompt: str, grammar: str) -> Outcome:
    """Generate as ``ChatGPT4All`` did before: the whole reply under llama.cpp's grammar."""
    turns = to_turns([HumanMessage(prompt)])
    if system:
        turns = [{"role": "system", "content": system}, *turns]
    rendered = llm.format.render(turns)
    params = llm.sampling_params(None, (), grammar=grammar)
    tokens = llm.loaded.tokenize(rendered.text, add_bos=rendered.add_bos)
    text, count = "", 0
    for piece in llm.loaded.generate(tokens, params):
        if isinstance(piece, Finished):
            count = piece.completion_tokens
        else:
            text += piece
    return text, count


def cases(llm: ChatGPT4All) -> dict[str, dict[str, Callable[[], Outcome]]]:
    """Per example: the previous and the current way, each returning an :data:`Outcome`."""
    magic = [convert_to_openai_tool(magic_function)]
    magic_grammar = gbnf_for_schema(tool_call_schema(magic, allow_response=False), UNBOUNDED)

    def magic_now() -> Outcome:
        reply = llm.bind_tools([magic_function], tool_choice="magic_function").invoke(
            MAGIC_QUESTION
        )
        usage = reply.usage_metadata or {"output_tokens": 0}
        return json.dumps(reply.tool_calls[0]["args"]), usage["output_tokens"]

    def structured_now(schema: type[BaseModel], prompt: str) -> Callable[[], Outcome]:
        def run() -> Outcome:
            result: Any = llm.with_structured_output(schema, include_raw=True).invoke(prompt)
            usage = result["raw"].usage_metadata or {"output_tokens": 0}
            if isinstance(result["parsing_error"], OutputTruncatedError):
                return "OutputTruncatedError (raise max_tokens)", usage["output_tokens"]
            return repr(result["parsed"]), usage["output_tokens"]

        return run

    def structured_before(schema: type[BaseModel], prompt: str) -> Callable[[], Outcome]:
        grammar = gbnf_for_schema(convert_to_json_schema(schema), UNBOUNDED)

        def run() -> Outcome:
            text, count = previous_reply(llm, None, prompt, grammar)
            try:
                return repr(schema.model_validate_json(text)), count
            except ValueError:
                return f"invalid JSON: {text[-40:]!r}", count

        return run

    return {
        "magic_function": {
            "before": lambda: previous_reply(
                llm, previous_instructions(magic), MAGIC_QUESTION, magic_grammar
            ),
            "now": magic_now,
        },
        "Person": {
            "before": structured_before(Person, PERSON_PROMPT),
            "now": structured_now(Person, PERSON_PROMPT),
        },
        "Event": {
            "before": structured_before(Event, EVENT_PROMPT),
            "now": structured_now(Event, EVENT_PROMPT),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="examples to run (all by default)")
    args = parser.parse_args()
    llm = ChatGPT4All(temperature=0, max_tokens=128)
    llm.invoke("Hello")  # load the model before timing
    timings: dict[tuple[str, str], list[float]] = {}
    outcomes: dict[tuple[str, str], Outcome] = {}
    for _ in range(args.runs):
        for example, contenders in cases(llm).items():
            if args.only and example not in args.only:
                continue
            for contender, run in contenders.items():
                started = time.perf_counter()
                outcomes[example, contender] = run()
                timings.setdefault((example, contender), []).append(time.perf_counter() - started)
    print("| example | contender | median s | tokens | result |")
    print("| --- | --- | --- | --- | --- |")
    for (example, contender), seconds in timings.items():
        result, tokens = outcomes[example, contender]
        shown = result if len(result) < 90 else result[:87] + "..."
        print(
            f"| {example} | {contender} | {statistics.median(seconds):.2f} | {tokens} | `{shown}` |"
        )


if __name__ == "__main__":
    main()
