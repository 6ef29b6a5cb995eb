"""A LangChain agent that calls a Python tool with the local model.

Small local models rarely choose well between calling a tool and answering, so ``ToolFirst``
(from ``gpt4all_rag.agents``) makes the choice for them: the first model call must call the tool,
and once it has answered, the model must reply in words. With a larger GGUF chat model you can
drop the middleware and let the model choose.

Run: python examples/agent.py "How many letters are in the word strawberry?"
"""

from __future__ import annotations

import sys
from typing import Any

from langchain.agents import create_agent
from langchain_core.tools import tool

from gpt4all_rag import ChatGPT4All
from gpt4all_rag.agents import ToolFirst


@tool
def count_letters(word: str) -> int:
    """Count the letters in a word."""
    return sum(character.isalpha() for character in word)


def build_agent() -> Any:
    """The agent: the bundled local model, one tool, the forcing middleware."""
    model = ChatGPT4All(temperature=0, max_tokens=64)
    return create_agent(model, tools=[count_letters], middleware=[ToolFirst(count_letters.name)])


def main(question: str) -> None:
    result = build_agent().invoke({"messages": [{"role": "user", "content": question}]})
    for message in result["messages"]:
        print(f"{message.type}: {message.content or getattr(message, 'tool_calls', '')}")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "How many letters are in the word strawberry?")
