"""A conversation over a collection: the answer chain plus history and the last sources."""

from __future__ import annotations

from collections.abc import Iterator

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from gpt4all_rag.rag.chain import Answer, AnswerChain


class ChatSession:
    """Keeps the history of a conversation so that follow-up questions are understood.

    Example:
        >>> session = ChatSession(AnswerChain(LocalDocs("manuals").as_retriever()))  # doctest: +SKIP
        >>> for item in session.ask("What is zoo?"):  # doctest: +SKIP
        ...     print(item if isinstance(item, str) else "", end="")
        >>> session.last_answer.sources  # doctest: +SKIP

    Args:
        chain: The answer chain.
        max_turns: Question/answer pairs kept in the history (older ones are forgotten).
    """

    def __init__(self, chain: AnswerChain, max_turns: int = 6) -> None:
        self.chain = chain
        self.max_turns = max_turns
        self.history: list[BaseMessage] = []
        self.last_answer: Answer | None = None

    def ask(self, question: str) -> Iterator[str | Answer]:
        """Stream the answer to ``question`` (text pieces, then the Answer) and remember it."""
        for item in self.chain.stream(question, chat_history=list(self.history)):
            if isinstance(item, Answer):
                self.last_answer = item
                self.history += [HumanMessage(question), AIMessage(item.answer)]
                self.history = self.history[-2 * self.max_turns :]
            yield item

    def reset(self) -> None:
        """Forget the conversation."""
        self.history = []
        self.last_answer = None
