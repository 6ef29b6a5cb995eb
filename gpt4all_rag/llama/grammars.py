"""JSON grammars that make a model's tool calls and structured answers always parse.

A reply under tools is one JSON object: ``{"tool_calls": [{"name": ..., "arguments": {...}}]}``,
or, when the model may answer in words (tool_choice "auto"), ``{"response": "..."}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

_GENERIC_JSON_OBJECT: dict[str, Any] = {"type": "object"}


def gbnf_for_schema(schema: dict[str, Any]) -> str:
    """The GBNF grammar that accepts exactly the JSON documents matching ``schema``."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return str(json_schema_to_gbnf(json.dumps(schema)))


def json_object_gbnf() -> str:
    """A grammar for any JSON object (``response_format={"type": "json_object"}``)."""
    return gbnf_for_schema(_GENERIC_JSON_OBJECT)


def tool_call_schema(
    tools: Sequence[dict[str, Any]], *, allow_response: bool, parallel: bool = False
) -> dict[str, Any]:
    """The JSON schema of a reply that calls one or more of ``tools`` (OpenAI tool dicts).

    Args:
        tools: The tools the model may call, in OpenAI's ``{"type": "function", ...}`` shape.
        allow_response: Whether a plain ``{"response": "..."}`` answer is allowed too.
        parallel: Allow up to 8 calls in one reply; otherwise exactly one (small models given
            room for more tend to repeat the call with other arguments).
    """
    calls = [_one_call_schema(tool["function"]) for tool in tools]
    call_list = {
        "type": "object",
        "properties": {
            "tool_calls": {
                "type": "array",
                "items": calls[0] if len(calls) == 1 else {"anyOf": calls},
                "minItems": 1,
                "maxItems": 8 if parallel else 1,
            }
        },
        "required": ["tool_calls"],
    }
    if not allow_response:
        return call_list
    response = {
        "type": "object",
        "properties": {"response": {"type": "string"}},
        "required": ["response"],
    }
    return {"anyOf": [call_list, response]}


def _one_call_schema(function: dict[str, Any]) -> dict[str, Any]:
    parameters = dict(function.get("parameters") or {"type": "object", "properties": {}})
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    return {
        "type": "object",
        "properties": {"name": {"const": function["name"]}, "arguments": parameters},
        "required": ["name", "arguments"],
    }


def tool_instructions(tools: Sequence[dict[str, Any]], *, allow_response: bool) -> str:
    """The system text that tells the model which tools exist and how to call them."""
    described = "\n".join(
        f"- {tool['function']['name']}: {tool['function'].get('description', '').strip()} "
        f"Arguments (JSON schema): {json.dumps(tool['function'].get('parameters', {}))}"
        for tool in tools
    )
    text = (
        f"You can call these tools:\n{described}\n"
        'To call a tool, reply {"tool_calls": [{"name": ..., "arguments": {...}}]} with the '
        "tool's name and its arguments filled in from the question."
    )
    if allow_response:
        text += ' To answer without a tool, reply {"response": ...} with your answer.'
    return text
