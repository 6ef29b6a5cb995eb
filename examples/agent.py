"""A LangChain agent that calls a Python tool with the local model.

Small local models rarely choose well between calling a tool and answering, so a short middleware
makes the choice for them: the first model call must call a tool (``tool_choice="any"``), and once
a tool has answered, the model must reply in words (``tool_choice="none"``). With a larger GGUF
chat model you can drop the middleware and let the model choose.

Run: python examples/agent.py "How many letters are in the word strawberry?"
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest, ModelResponse, wrap_model_call
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool

from gpt4all_rag import ChatGPT4All


@tool
def count_letters(word: str) -> int:
    """Count the letters in a word."""
    return sum(character.isalpha() for character in word)


@wrap_model_call
def call_a_tool_first(
    request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
) -> ModelResponse:
    """Force a tool call until some tool has answered, then force an answer in words."""
    answered = any(isinstance(message, ToolMessage) for message in request.messages)
    return handler(request.override(tool_choice="none" if answered else "any"))


def build_agent():  # type: ignore[no-untyped-def]
    """The agent: the bundled local model, one tool, the forcing middleware."""
    model = ChatGPT4All(temperature=0, max_tokens=64)
    return create_agent(model, tools=[count_letters], middleware=[call_a_tool_first])


def main(question: str) -> None:
    result = build_agent().invoke({"messages": [{"role": "user", "content": question}]})
    for message in result["messages"]:
        print(f"{message.type}: {message.content or getattr(message, 'tool_calls', '')}")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "How many letters are in the word strawberry?")
