"""Agents over your documents: a LangChain tool for a collection, and the middleware that makes a
small local model usable in LangChain's ``create_agent``.

* :mod:`~gpt4all_rag.agents.tool`: :func:`documents_tool`, a collection searched by an agent and
  answered with numbered quotes (file and page), or "nothing relevant";
* :mod:`~gpt4all_rag.agents.middleware`: :class:`SearchFirst`, the first model call searches the
  documents, the next answers from what the search returned, and the run ends; :class:`ToolFirst`,
  the same forcing for any tool;
* :mod:`~gpt4all_rag.agents.question`: the user's question in an agent's messages, and the query a
  search falls back to.

This room sits above :mod:`gpt4all_rag.rag` (it quotes with the answer chain's evidence ranking).
Needs the ``agents`` extra (LangChain itself): ``pip install 'gpt4all-rag[agents]'``.
"""

from __future__ import annotations

from importlib.util import find_spec

from gpt4all_rag.errors import MissingDependencyError

if find_spec("langchain") is None:
    raise MissingDependencyError("langchain", "agents")

from gpt4all_rag.agents.middleware import SearchFirst, ToolFirst, grounded_answer
from gpt4all_rag.agents.question import latest_question, search_query
from gpt4all_rag.agents.tool import (
    Passage,
    documents_tool,
    find_passages,
    format_passages,
)

__all__ = [
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
