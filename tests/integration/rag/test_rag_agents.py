"""Agents over the example documents on the real bundled models: ``create_agent`` with the
collection's tool and ``SearchFirst`` answers, within the recursion limit, with the fact."""

from __future__ import annotations

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from gpt4all_rag import ChatGPT4All, LocalDocs
from gpt4all_rag.agents import SearchFirst, documents_tool

pytestmark = [pytest.mark.models, pytest.mark.slow]

RECURSION_LIMIT = 6
"""Model, tool, model: three steps; a run that loops hits this limit and fails the test."""

QUESTIONS = [
    ("How can I remove duplicate times in a zoo object?", "aggregate.zoo"),
    ("Why does plot.zoo warn when I specify a log axis?", "does not accept log"),
    ("How do I subtract the mean of each month from a zoo series?", "ave(z"),
]


@pytest.fixture(scope="module")
def agent(demo: LocalDocs):  # type: ignore[no-untyped-def]
    tool = documents_tool(demo)
    model = ChatGPT4All(temperature=0, max_tokens=128)
    return create_agent(model, tools=[tool], middleware=[SearchFirst(tool.name)])


@pytest.mark.parametrize(("question", "fact"), QUESTIONS)
def test_the_agent_answers_from_the_documents(agent, question: str, fact: str) -> None:  # type: ignore[no-untyped-def]
    result = agent.invoke(
        {"messages": [{"role": "user", "content": question}]},
        {"recursion_limit": RECURSION_LIMIT},
    )
    messages = result["messages"]
    searched, found, answer = messages[1:]
    assert isinstance(searched, AIMessage) and searched.tool_calls[0]["name"] == "search_documents"
    assert isinstance(found, ToolMessage) and found.text.startswith("[1] zoo-faq.pdf, page ")
    assert isinstance(answer, AIMessage) and not answer.tool_calls
    assert fact in answer.text


def test_the_tool_says_when_nothing_is_relevant(demo: LocalDocs) -> None:
    tool = documents_tool(demo)
    assert tool.invoke({"query": "What is the capital of France?"}) == (
        "Nothing relevant for 'What is the capital of France?' in the documents."
    )
