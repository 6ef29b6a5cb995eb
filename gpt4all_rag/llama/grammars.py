"""JSON grammars that make a model's tool calls and structured answers always parse, and end.

A reply under tools is one JSON object: ``{"tool_calls": [{"name": ..., "arguments": {...}}]}``,
or, when the model may answer in words (tool_choice "auto"), ``{"response": "..."}``.

A grammar also bounds what a small model can ramble: JSON allows a 16-digit integer, an endless
string and an endless list, and a model whose preferred next token the grammar forbids (a ``,``
after the only argument, say) takes the best allowed one instead: another digit. So integers and
numbers get at most a few digits (or as many as the schema's ``minimum``/``maximum`` need),
strings a maximum length (the schema's ``maxLength`` when given) and arrays a maximum number of
items (the schema's ``maxItems`` when given): see :class:`GrammarLimits`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_GENERIC_JSON_OBJECT: dict[str, Any] = {"type": "object"}
_COMPOSITE_KEYS = ("$ref", "anyOf", "oneOf", "allOf", "enum", "const")


@dataclass(frozen=True)
class GrammarLimits:
    """How long a value the grammar allows when the schema sets no bound of its own."""

    integer_digits: int = 12
    """Digits of an integer (and of a number's integral part) without ``minimum``/``maximum``."""
    fraction_digits: int = 6
    """Digits after a number's decimal point."""
    string_chars: int = 512
    """Characters of a string without ``maxLength`` (an escape counts as one)."""
    array_items: int = 32
    """Items of an array without ``maxItems``."""


UNBOUNDED = GrammarLimits(integer_digits=16, fraction_digits=16, string_chars=0, array_items=0)
"""llama.cpp's own JSON grammar: 16 digits, endless strings and arrays (for comparison)."""


def gbnf_for_schema(
    schema: dict[str, Any], limits: GrammarLimits | None = None, *, suffix: str = ""
) -> str:
    """The GBNF grammar that accepts the JSON documents matching ``schema``, within ``limits``.

    Args:
        schema: A JSON schema.
        limits: Bounds for values the schema leaves unbounded; :class:`GrammarLimits` by default.
        suffix: Literal text the document must be followed by (the rest of an enclosing object
            whose start is already in the prompt).
    """
    converter = _bounded_converter(limits or GrammarLimits())
    resolved = converter.resolve_refs(schema, "stdin")
    if not suffix:
        converter.visit(resolved, "")
        return str(converter.format_grammar())
    document = converter.visit(resolved, "document")
    converter._add_rule("root", f"{document} {converter._format_literal(suffix)}")
    return str(converter.format_grammar())


def json_object_gbnf(limits: GrammarLimits | None = None) -> str:
    """A grammar for any JSON object (``response_format={"type": "json_object"}``)."""
    return gbnf_for_schema(_GENERIC_JSON_OBJECT, limits)


def bounded_schema(schema: dict[str, Any], limits: GrammarLimits) -> dict[str, Any]:
    """``schema`` with a ``maxLength`` on its strings and a ``maxItems`` on its arrays where it has
    none (nested schemas are bounded as they are visited; numbers by :func:`number_rule`)."""
    kind = schema.get("type")
    if any(key in schema for key in _COMPOSITE_KEYS):
        return schema
    if (
        kind == "string"
        and limits.string_chars
        and not {"maxLength", "pattern", "format"} & schema.keys()
    ):
        return {**schema, "maxLength": max(limits.string_chars, schema.get("minLength", 0))}
    if kind == "array" and limits.array_items and "maxItems" not in schema and "items" in schema:
        return {**schema, "maxItems": max(limits.array_items, schema.get("minItems", 0))}
    return schema


def number_rule(schema: dict[str, Any], limits: GrammarLimits) -> str:
    """The GBNF body of an integer or number, with as many digits as its bounds need.

    ``minimum``/``maximum`` (and their exclusive forms) set the digit count and whether a minus
    sign is allowed; they are not otherwise enforced (a grammar counts digits, not values).
    """
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    digits = limits.integer_digits
    if low is not None and high is not None:
        digits = max(len(str(abs(int(bound)))) for bound in (low, high))
    sign = '"-"? ' if low is None or low < 0 else ""
    integral = f'("0" | [1-9] [0-9]{{0,{digits - 1}}})' if digits > 1 else "[0-9]"
    if schema.get("type") == "integer":
        return f"{sign}{integral} space"
    fraction = f'("." [0-9]{{1,{limits.fraction_digits}}})?'
    return f"{sign}{integral} {fraction} space"


def _bounded_converter(limits: GrammarLimits) -> Any:
    from llama_cpp.llama_grammar import SchemaConverter

    class BoundedConverter(SchemaConverter):
        """llama-cpp-python's schema converter, with :class:`GrammarLimits` applied."""

        def visit(self, schema: dict[str, Any], name: str) -> str:
            if schema.get("type") in ("integer", "number") and not any(
                key in schema for key in _COMPOSITE_KEYS
            ):
                rule_name = name or "root"
                return str(self._add_rule(rule_name, number_rule(schema, limits)))
            return str(super().visit(bounded_schema(schema, limits), name))

    if limits == UNBOUNDED:
        return SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    return BoundedConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)


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


@dataclass(frozen=True)
class ForcedCall:
    """One call of one tool, forced: its start is written into the prompt, and the model
    generates only the arguments (fewer tokens under the grammar, and no choice to get wrong)."""

    prefix: str
    """The reply up to the arguments: ``{"tool_calls": [{"name": "...", "arguments": ``."""
    suffix: str
    """What closes the reply after the arguments."""
    arguments_schema: dict[str, Any]
    """The JSON schema of the arguments."""

    def grammar(self, limits: GrammarLimits | None = None) -> str:
        """The grammar of the generated part: the arguments, then the closing brackets."""
        return gbnf_for_schema(self.arguments_schema, limits, suffix=self.suffix)


def forced_call(tool: dict[str, Any]) -> ForcedCall:
    """The :class:`ForcedCall` of ``tool`` (an OpenAI tool dict)."""
    function = tool["function"]
    prefix = json.dumps({"tool_calls": [{"name": function["name"], "arguments": {}}]})
    return ForcedCall(
        prefix=prefix.removesuffix("{}}]}"),
        suffix="}]}",
        arguments_schema=_one_call_schema(function)["properties"]["arguments"],
    )


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
    """The system text that tells the model which tools exist and how to call them.

    Each tool reads as a signature (``name(argument: type, ...)``) rather than a JSON schema: a
    small model copies whatever JSON it is shown, and after an argument's value it would go on
    writing the schema's keys.
    """
    described = "\n".join(f"- {_signature(tool['function'])}" for tool in tools)
    text = (
        f"You can call these tools:\n{described}\n"
        'To call a tool, reply with one line of JSON: {"tool_calls": [{"name": "<tool name>", '
        '"arguments": {"<argument>": <value>}}]}, with the values taken from the question.'
    )
    if allow_response:
        text += ' To answer without a tool, reply {"response": "<your answer>"}.'
    return text


def _signature(function: dict[str, Any]) -> str:
    properties = (function.get("parameters") or {}).get("properties", {})
    arguments = ", ".join(f"{name}: {_type_name(schema)}" for name, schema in properties.items())
    described = [" ".join(str(function.get("description", "")).split())]
    described += [
        f"{name}: {' '.join(str(schema['description']).split())}"
        for name, schema in properties.items()
        if schema.get("description")
    ]
    text = " ".join(part.rstrip(".") + "." for part in described if part)
    return (
        f"{function['name']}({arguments}): {text}" if text else f"{function['name']}({arguments})"
    )


def _type_name(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type_name(schema.get('items') or {})}"
    if isinstance(kind, str):
        return kind
    return "value"
