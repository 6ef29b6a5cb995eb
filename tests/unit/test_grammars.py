"""JSON grammars: bounded numbers, strings and arrays; forced tool calls; tool instructions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.utils.function_calling import convert_to_openai_tool
from llama_cpp import LlamaGrammar

from gpt4all_rag.llama.grammars import (
    UNBOUNDED,
    GrammarLimits,
    forced_call,
    gbnf_for_schema,
    number_rule,
    tool_call_schema,
    tool_instructions,
)


def magic_function(input: int) -> int:
    """Applies a magic function to an input."""
    return input + 2


MAGIC = convert_to_openai_tool(magic_function)


def rules(grammar: str) -> dict[str, str]:
    """The grammar's rules by name (each rule is one line in the converter's output)."""
    return dict(line.split(" ::= ", 1) for line in grammar.splitlines() if " ::= " in line)


def parses(grammar: str) -> bool:
    return LlamaGrammar.from_string(grammar, verbose=False) is not None


def test_an_unbounded_integer_gets_twelve_digits_at_most() -> None:
    grammar = gbnf_for_schema({"type": "object", "properties": {"n": {"type": "integer"}}})
    assert rules(grammar)["n"] == '"-"? ("0" | [1-9] [0-9]{0,11}) space'
    assert parses(grammar)


def test_llama_cpps_own_grammar_allows_sixteen_digits() -> None:
    grammar = gbnf_for_schema({"type": "integer"}, UNBOUNDED)
    assert "[0-9]" in grammar and "{0,11}" not in grammar
    assert grammar.count("([0-9]") == 15  # the nested repetition of llama.cpp's converter


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "minimum": 0, "maximum": 100}, '("0" | [1-9] [0-9]{0,2}) space'),
        ({"type": "integer", "minimum": -5, "maximum": 5}, '"-"? [0-9] space'),
        (
            {"type": "integer", "exclusiveMinimum": 0, "maximum": 9999},
            '("0" | [1-9] [0-9]{0,3}) space',
        ),
        (
            {"type": "number", "minimum": 0, "maximum": 10},
            '("0" | [1-9] [0-9]{0,1}) ("." [0-9]{1,6})? space',
        ),
    ],
)
def test_bounds_of_the_schema_set_the_digits(schema: dict[str, Any], expected: str) -> None:
    assert number_rule(schema, GrammarLimits()) == expected


def test_strings_end_and_arrays_stop() -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "code": {"type": "string", "maxLength": 8},
            "names": {"type": "array", "items": {"type": "string"}},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
    }
    grammar = gbnf_for_schema(schema, GrammarLimits(string_chars=40, array_items=5))
    found = rules(grammar)
    assert found["title"].count("char") == 40  # then the closing quote
    assert found["code"].count("char") == 8
    assert found["names"].count("names-item") == 5  # the first item and four more at most
    assert found["tags"].count("tags-item") == 3
    assert parses(grammar)


def test_a_forced_call_writes_the_name_and_generates_the_arguments() -> None:
    forced = forced_call(MAGIC)
    assert forced.prefix == '{"tool_calls": [{"name": "magic_function", "arguments": '
    whole = json.loads(forced.prefix + '{"input": 3}' + forced.suffix)
    assert whole == {"tool_calls": [{"name": "magic_function", "arguments": {"input": 3}}]}
    grammar = forced.grammar()
    assert rules(grammar)["root"] == 'document "}]}"'
    assert parses(grammar)


def test_the_tool_call_grammar_parses() -> None:
    schema = tool_call_schema([MAGIC], allow_response=True)
    assert parses(gbnf_for_schema(schema))


def test_tools_read_as_signatures_not_schemas() -> None:
    text = tool_instructions([MAGIC], allow_response=False)
    assert "- magic_function(input: integer): Applies a magic function to an input." in text
    assert '"properties"' not in text  # a small model copies the schema's keys after a value
    assert "response" not in text
    assert '{"response": ' in tool_instructions([MAGIC], allow_response=True)
