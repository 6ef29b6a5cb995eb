"""A LangChain agent that answers from your documents, on the bundled local model.

The collection becomes a tool (``documents_tool``): it returns numbered quotes with file and
page, or says that nothing relevant was found. ``SearchFirst`` makes the small model usable in
``create_agent``: the first model call must search the documents, the next answers from the
quotes, and the run ends. With a larger GGUF chat model you can drop the middleware and let the
model choose.

The example documents (examples/docs) are indexed into the collection first; indexing is
incremental, so later runs embed nothing.

Run: python examples/agent_over_docs.py "How can I remove duplicate times in a zoo object?"
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from langchain.agents import create_agent

from gpt4all_rag import ChatGPT4All, LocalDocs
from gpt4all_rag.agents import SearchFirst, documents_tool

DOCS = Path(__file__).resolve().parent / "docs"


def build_agent(collection: str = "demo") -> Any:
    """The agent: the bundled local model and one tool that searches the collection."""
    docs = LocalDocs(collection)
    docs.index([DOCS])
    tool = documents_tool(
        docs,
        description="Search the user's documents (R zoo package FAQ, Debian reference) for "
        "passages that answer a question.",
    )
    model = ChatGPT4All(temperature=0, max_tokens=128)
    return create_agent(model, tools=[tool], middleware=[SearchFirst(tool.name)])


def main(question: str) -> None:
    result = build_agent().invoke({"messages": [{"role": "user", "content": question}]})
    for message in result["messages"]:
        content = message.content or getattr(message, "tool_calls", "")
        print(f"{message.type}: {content}")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "How can I remove duplicate times in a zoo object?")
