"""A LangChain agent that answers from your documents through a retriever tool.

The collection's HybridRetriever becomes a tool (``create_retriever_tool``); the agent calls it
and answers from what it returns. Small local models rarely choose well between calling a tool
and answering, so two short middlewares help it, as in ``agent.py``: the first model call must
call the tool (searching for the user's question if the model's query misses it), and once the
tool has answered, the model answers from its result. With a larger GGUF chat model you can drop
both and let the model choose.

The example documents (examples/docs) are indexed into the collection first; indexing is
incremental, so later runs embed nothing.

Run: python examples/agent_over_docs.py "How can I remove duplicate times in a zoo object?"
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import (
    ModelRequest,
    ModelResponse,
    ToolCallRequest,
    wrap_model_call,
    wrap_tool_call,
)
from langchain_core.messages import AnyMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.tools import create_retriever_tool
from langgraph.types import Command

from gpt4all_rag import ChatGPT4All, LocalDocs

DOCS = Path(__file__).resolve().parent / "docs"


def _question(messages: list[AnyMessage]) -> str:
    return next(str(m.text) for m in reversed(messages) if isinstance(m, HumanMessage))


@wrap_model_call
def search_first(
    request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
) -> ModelResponse:
    """Force a tool call first; once the tool has answered, answer from its result.

    The bundled base model answers best from a "Context: ... Question: ... Answer:" prompt, so
    the second call gets exactly that, built from the tool's result.
    """
    results = [m for m in request.messages if isinstance(m, ToolMessage)]
    if not results:
        return handler(request.override(tool_choice="any"))
    context = "\n\n".join(str(m.text) for m in results)
    prompt = f"Context:\n{context}\n\nQuestion: {_question(request.messages)}\nAnswer:"
    return handler(request.override(messages=[HumanMessage(prompt)], tool_choice="none"))


@wrap_tool_call
def query_from_question(
    request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
) -> ToolMessage | Command[Any]:
    """Search for the user's question when the model's query shares no word with it.

    Small models often fill the query badly (with the tool's name, say); a larger GGUF chat
    model does not need this.
    """
    question = _question(request.state["messages"])
    query = str(request.tool_call["args"].get("query", ""))
    if not set(query.lower().split()) & set(question.lower().split()):
        call = ToolCall(
            name=request.tool_call["name"], args={"query": question}, id=request.tool_call["id"]
        )
        request = request.override(tool_call=call)
    return handler(request)


def build_agent(collection: str = "demo") -> Any:
    """The agent: the bundled local model and one tool that searches the collection."""
    docs = LocalDocs(collection)
    docs.index([DOCS])
    tool = create_retriever_tool(
        docs.as_retriever(k=2),
        "search_documents",
        "Search the user's documents (R zoo package FAQ, Debian reference). "
        "Input: the question or keywords to look for.",
    )
    model = ChatGPT4All(temperature=0, max_tokens=128)
    return create_agent(model, tools=[tool], middleware=[search_first, query_from_question])


def main(question: str) -> None:
    result = build_agent().invoke({"messages": [{"role": "user", "content": question}]})
    for message in result["messages"]:
        content = message.content or getattr(message, "tool_calls", "")
        print(f"{message.type}: {content}")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "How can I remove duplicate times in a zoo object?")
