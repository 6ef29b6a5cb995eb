"""The documents tool and SearchFirst, with fakes: what the model is asked, what it gets back."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import tool
from pydantic import Field

from gpt4all_rag.agents import (
    Passage,
    SearchFirst,
    ToolFirst,
    documents_tool,
    find_passages,
    format_passages,
    latest_question,
    search_query,
)

QUESTION = "How can I remove duplicate times in a zoo object?"
FAQ = Document(
    page_content=(
        "zoo objects should not normally contain duplicate times. The user then has the "
        "opportunity to fix them up, typically by using aggregate.zoo or duplicated. "
        "Merging is not well defined for duplicate series."
    ),
    metadata={"source": "/docs/zoo-faq.pdf", "page": 1},
)
DESIGN = Document(
    page_content="A zoo series is indexed by times; duplicate times make merge.zoo fail.",
    metadata={"source": "/docs/zoo-design.md"},
)


class ListRetriever(BaseRetriever):
    """Returns its documents for any query that shares a word with them; records the queries."""

    documents: list[Document]
    queries: list[str] = Field(default_factory=list)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        self.queries.append(query)
        words = set(query.lower().split())
        return [d for d in self.documents if words & set(d.page_content.lower().split())]


class ScriptedModel(GenericFakeChatModel):
    """Replies from a script; records the tool_choice and messages of every call."""

    calls: list[dict[str, Any]] = Field(default_factory=list)
    bound_choice: Any = None

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
        self.bound_choice = tool_choice
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.calls.append({"tool_choice": self.bound_choice, "messages": list(messages)})
        return super()._generate(messages, *args, **kwargs)


def call(query: str) -> AIMessage:
    return AIMessage(
        "", tool_calls=[{"name": "search_documents", "args": {"query": query}, "id": "c1"}]
    )


def scripted(*replies: AIMessage) -> ScriptedModel:
    return ScriptedModel(messages=iter(replies))


def run(model: ScriptedModel, retriever: ListRetriever, **middleware: Any) -> list[BaseMessage]:
    tool = documents_tool(retriever)
    agent = create_agent(model, tools=[tool], middleware=[SearchFirst(tool.name, **middleware)])
    result = agent.invoke({"messages": [HumanMessage(QUESTION)]}, {"recursion_limit": 6})
    return list(result["messages"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search_documents", QUESTION),
        ("Search-Documents", QUESTION),
        ("", QUESTION),
        ("month_of_the_year", QUESTION),  # no word of the question
        ("zoo duplicate times", "zoo duplicate times"),
    ],
)
def test_a_useless_query_becomes_the_question(query: str, expected: str) -> None:
    assert search_query(query, QUESTION, "search_documents") == expected


def test_without_a_question_the_query_stands() -> None:
    assert search_query("  aggregate   zoo ", None, "search_documents") == "aggregate zoo"
    assert latest_question([AIMessage("hi")]) is None
    assert latest_question([HumanMessage("first"), AIMessage("a"), HumanMessage("second")]) == (
        "second"
    )


def test_passages_are_numbered_quotes_with_file_and_page() -> None:
    retriever = ListRetriever(documents=[FAQ, DESIGN])
    passages = find_passages(retriever, "remove duplicate times zoo", 2)
    assert [p.number for p in passages] == [1, 2]
    assert {(p.source, p.page) for p in passages} == {
        ("/docs/zoo-faq.pdf", 1),
        ("/docs/zoo-design.md", None),
    }
    text = format_passages("q", passages)
    assert "zoo-faq.pdf, page 1: zoo objects should not normally contain duplicate times." in text
    assert "zoo-design.md: A zoo series is indexed by times" in text
    assert text.startswith("[1] ") and "\n[2] " in text


def test_nothing_found_is_said_not_an_empty_string() -> None:
    assert find_passages(ListRetriever(documents=[FAQ]), "capital of France") == []
    assert format_passages("capital of France", []) == (
        "Nothing relevant for 'capital of France' in the documents."
    )


def test_the_tool_works_outside_an_agent() -> None:
    tool = documents_tool(ListRetriever(documents=[FAQ]), passages=1)
    assert tool.name == "search_documents"
    assert list(tool.tool_call_schema.model_json_schema()["properties"]) == ["query"]
    assert tool.invoke({"query": "aggregate.zoo duplicate"}).startswith("[1] zoo-faq.pdf")


def test_first_call_must_search_and_the_answer_ends_the_run() -> None:
    retriever = ListRetriever(documents=[FAQ])
    model = scripted(call("search_documents"), AIMessage("Use aggregate.zoo."))
    messages = run(model, retriever, prompt_style="chat")
    assert [c["tool_choice"] for c in model.calls] == ["search_documents", "none"]
    assert retriever.queries == [QUESTION]  # the tool's own name was replaced
    assert isinstance(messages[2], ToolMessage) and "aggregate.zoo" in messages[2].text
    assert all(isinstance(p, Passage) for p in messages[2].artifact)
    assert messages[-1].text == "Use aggregate.zoo."


def test_a_base_model_answers_from_the_quotes_and_is_checked() -> None:
    model = scripted(call("zoo duplicate times"), AIMessage("Zoo is an animal park."))
    messages = run(model, ListRetriever(documents=[FAQ]), prompt_style="completion")
    (prompt,) = model.calls[1]["messages"]
    assert prompt.text.endswith(f"Question: {QUESTION}\nAnswer:")
    assert "[1] " in prompt.text and "aggregate.zoo" in prompt.text
    final = messages[-1].text
    assert final.startswith("Your files say: “") and "aggregate.zoo" in final  # unsupported


def test_the_question_is_searched_too_when_the_query_is_a_fragment() -> None:
    retriever = ListRetriever(documents=[FAQ])
    run(scripted(call("zoo"), AIMessage("Use aggregate.zoo.")), retriever, prompt_style="chat")
    assert retriever.queries == [QUESTION, "zoo"]


def test_a_supported_answer_is_kept_with_its_quote() -> None:
    model = scripted(call("zoo duplicate times"), AIMessage("Fix them up by using aggregate.zoo."))
    messages = run(model, ListRetriever(documents=[FAQ]), prompt_style="completion")
    assert messages[-1].text.startswith("Fix them up by using aggregate.zoo. [1]")


def test_nothing_found_ends_the_run_without_the_model() -> None:
    model = scripted(call("zoo duplicate times"))
    messages = run(model, ListRetriever(documents=[]))
    assert len(model.calls) == 1
    assert messages[-1].text == "Nothing relevant for 'zoo duplicate times' in the documents."


def test_tool_first_forces_any_tool_then_words() -> None:
    @tool
    def count_letters(word: str) -> int:
        """Count the letters in a word."""
        return len(word)

    count = AIMessage(
        "", tool_calls=[{"name": "count_letters", "args": {"word": "abc"}, "id": "1"}]
    )
    model = scripted(count, AIMessage("3 letters."))
    agent = create_agent(model, tools=[count_letters], middleware=[ToolFirst()])
    result = agent.invoke({"messages": [HumanMessage("Letters in abc?")]}, {"recursion_limit": 6})
    assert [c["tool_choice"] for c in model.calls] == ["any", "none"]
    assert [m.type for m in result["messages"]] == ["human", "ai", "tool", "ai"]


def test_the_agents_room_exports_what_users_import() -> None:
    import gpt4all_rag.agents as agents

    assert sorted(agents.__all__) == [
        "Passage",
        "SearchFirst",
        "ToolFirst",
        "documents_tool",
        "find_passages",
        "format_passages",
        "grounded_answer",
        "latest_question",
        "search_query",
    ]
