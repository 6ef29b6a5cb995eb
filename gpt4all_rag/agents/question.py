"""The user's question in an agent's messages, and the query a documents search falls back to."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage, HumanMessage

from gpt4all_rag.text.relevance import content_terms


def latest_question(messages: Sequence[BaseMessage]) -> str | None:
    """The text of the last human message, or None when there is none."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage) or message.type == "human":
            return str(message.text).strip() or None
    return None


def search_query(query: str, question: str | None, tool_name: str) -> str:
    """The query to search for: the model's own, or the user's question when the model's is of
    no use.

    Small models fill a query badly: with the tool's name, with nothing, or with words that are
    not in the question at all. Any of those is replaced by the question (when there is one).

    Args:
        query: The query the model wrote.
        question: The user's question (:func:`latest_question`), if known.
        tool_name: The search tool's name.
    """
    cleaned = " ".join(query.split())
    if not question:
        return cleaned
    if not cleaned or _same_words(cleaned, tool_name):
        return question
    asked = set(content_terms(question))
    if asked and not asked & set(content_terms(cleaned)):
        return question
    return cleaned


def _same_words(text: str, name: str) -> bool:
    def words(value: str) -> list[str]:
        return value.lower().replace("_", " ").replace("-", " ").split()

    return words(text) == words(name)
