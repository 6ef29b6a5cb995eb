"""OpenAI chat messages to LangChain messages, and LangChain chunks back to OpenAI fields."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.schemas import ChatMessage


def to_langchain(messages: list[ChatMessage]) -> list[BaseMessage]:
    """The conversation as LangChain messages.

    Raises:
        APIError: 400 for a tool message without ``tool_call_id`` or unparsable tool arguments.
    """
    return [_convert(message, index) for index, message in enumerate(messages)]


def _convert(message: ChatMessage, index: int) -> BaseMessage:
    text = message.text()
    if message.role in ("system", "developer"):
        return SystemMessage(text)
    if message.role == "user":
        return HumanMessage(text)
    if message.role == "tool":
        if not message.tool_call_id:
            raise APIError(400, "A tool message needs tool_call_id", param=f"messages.{index}")
        return ToolMessage(text, tool_call_id=message.tool_call_id)
    calls = []
    for call in message.tool_calls or []:
        try:
            args = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError as error:
            raise APIError(
                400,
                f"Tool call arguments are not JSON: {error}",
                param=f"messages.{index}.tool_calls",
            ) from error
        calls.append({"name": call.function.name, "args": args, "id": call.id})
    return AIMessage(text, tool_calls=calls)


def split_question(messages: list[ChatMessage]) -> tuple[str, list[BaseMessage]]:
    """The last user message, and the user/assistant turns before it (LocalDocs requests).

    Raises:
        APIError: 400 when the conversation does not end with a user message.
    """
    if messages[-1].role != "user" or not messages[-1].text().strip():
        raise APIError(
            400,
            "A LocalDocs request must end with a non-empty user message (the question).",
            param="messages",
        )
    history: list[BaseMessage] = []
    for message in messages[:-1]:
        if message.role == "user":
            history.append(HumanMessage(message.text()))
        elif message.role == "assistant" and message.text():
            history.append(AIMessage(message.text()))
    return messages[-1].text(), history


def tool_call_deltas(chunk: AIMessageChunk) -> list[dict[str, Any]]:
    """A chunk's tool calls as OpenAI ``tool_calls`` entries (with their index)."""
    return [
        {
            "index": position if call.get("index") is None else call.get("index"),
            "id": call.get("id"),
            "type": "function",
            "function": {"name": call.get("name"), "arguments": call.get("args") or ""},
        }
        for position, call in enumerate(chunk.tool_call_chunks)
    ]
