"""The documents tool: a collection searched by an agent, answered with numbered quotes.

A retriever tool (``create_retriever_tool``) hands the model whole chunks, or an empty string
when the relevance floor finds nothing; a small model then calls it again and again. This tool
returns the answer chain's quotes instead (:mod:`gpt4all_rag.rag.evidence`: the sentences that
best answer the query, with the file and page they come from), and says plainly when nothing
relevant was found. A query the model filled badly is replaced by the user's question
(:func:`~gpt4all_rag.agents.question.search_query`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from langchain.tools import ToolRuntime
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import StructuredTool
from pydantic import Field

from gpt4all_rag.agents.question import latest_question, search_query
from gpt4all_rag.rag.evidence import rank_evidence, select_evidence

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from gpt4all_rag.localdocs.collection import LocalDocs

DEFAULT_NAME = "search_documents"
"""The tool's name unless given."""

QUERY_CHARS = 200
"""The longest query the model may write (the tool-call grammar ends the string there)."""


@dataclass(frozen=True)
class Passage:
    """One quote the tool returns."""

    number: int
    """1-based; passage 1 is the best evidence."""
    source: str
    """The file's path."""
    page: int | None
    """The page (1-based) in a paged file such as a PDF; None otherwise."""
    quote: str
    """The sentence that best answers the query and the ones that complete it."""

    def render(self) -> str:
        """``[n] file, page p: quote``."""
        where = Path(self.source).name + (f", page {self.page}" if self.page is not None else "")
        return f"[{self.number}] {where}: {self.quote}"


def find_passages(
    retriever: BaseRetriever,
    query: str,
    limit: int = 3,
    embeddings: Embeddings | None = None,
    *,
    question: str | None = None,
) -> list[Passage]:
    """The best ``limit`` quotes for ``query`` from what ``retriever`` returns, best first (none
    when it returns nothing, as a relevance floor does for an unrelated query).

    Args:
        retriever: Any LangChain retriever whose documents carry ``metadata["source"]``.
        query: What to search for.
        limit: Quotes at most.
        embeddings: Scores the sentences by meaning too; the retriever's ``embeddings`` when None.
        question: What the quotes must answer, when it is not the query itself (an agent's
            user question). It is searched for too, first: a small model's query is often a
            fragment of the question ("plot.zoo") that finds the wrong chunks.
    """
    searches = [question, query] if question and question != query else [query]
    documents = _unique([doc for text in searches for doc in retriever.invoke(text)])
    if not documents:
        return []
    embeddings = embeddings or getattr(retriever, "embeddings", None)
    ranked = rank_evidence(question or query, [doc.page_content for doc in documents], embeddings)
    best_first = sorted(select_evidence(ranked, limit), key=ranked.index)
    passages = []
    for number, evidence in enumerate(best_first, start=1):
        metadata = documents[evidence.source - 1].metadata
        page = metadata.get("page")
        passages.append(
            Passage(
                number=number,
                source=str(metadata.get("source", "unknown")),
                page=int(page) if page is not None else None,
                quote=evidence.quote,
            )
        )
    return passages


def _unique(documents: list[Document]) -> list[Document]:
    """The documents in order, each chunk once."""
    seen: set[tuple[str | None, str]] = set()
    kept = []
    for doc in documents:
        key = (doc.id, doc.page_content)
        if key not in seen:
            seen.add(key)
            kept.append(doc)
    return kept


def format_passages(query: str, passages: list[Passage]) -> str:
    """What the tool returns: the numbered passages, or that nothing relevant was found."""
    if not passages:
        return f"Nothing relevant for {query!r} in the documents."
    return "\n".join(passage.render() for passage in passages)


def documents_tool(
    documents: LocalDocs | BaseRetriever,
    *,
    name: str = DEFAULT_NAME,
    description: str | None = None,
    k: int = 4,
    passages: int = 3,
) -> StructuredTool:
    """A LangChain tool that searches your documents and returns numbered quotes.

    Args:
        documents: A collection (searched by its hybrid retriever, relevance floor included),
            or any LangChain retriever.
        name: The tool's name.
        description: What the model reads about the tool; a short default that names the
            collection.
        k: Chunks retrieved per search (for a collection).
        passages: Quotes returned at most.

    Returns:
        A tool with one argument, ``query``. Its result is ``[n] file, page p: quote`` lines, or
        ``Nothing relevant for '<query>' in the documents.``; the tool message's ``artifact`` holds
        the :class:`Passage` list. Inside an agent, a query that is empty, the tool's name, or
        unrelated to the user's question is replaced by the question; the question is searched
        for too, and the quotes are the sentences that best answer it.
    """
    retriever = documents if isinstance(documents, BaseRetriever) else documents.as_retriever(k=k)
    label = getattr(documents, "name", None)

    def search(
        query: Annotated[
            str,
            Field(
                description="The user's question, or the words to look for in the documents.",
                max_length=QUERY_CHARS,
            ),
        ],
        runtime: ToolRuntime = None,  # type: ignore[assignment]
    ) -> tuple[str, list[Passage]]:
        question = latest_question(_messages(runtime))
        used = search_query(query, question, name)
        found = find_passages(retriever, used, passages, question=question)
        return format_passages(used, found), found

    return StructuredTool.from_function(
        search,
        name=name,
        description=description or _default_description(label),
        response_format="content_and_artifact",
    )


def _messages(runtime: ToolRuntime | None) -> list[Any]:
    if runtime is None or not isinstance(runtime.state, dict):
        return []
    return list(runtime.state.get("messages", []))


def _default_description(collection: str | None) -> str:
    what = f"the {collection!r} collection" if collection else "the user's documents"
    return (
        f"Search {what} for passages that answer a question. "
        "Returns numbered quotes with their file and page."
    )
