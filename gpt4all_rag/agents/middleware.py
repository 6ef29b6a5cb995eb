"""ToolFirst and SearchFirst: agent middleware that makes a small local model use its tools.

A 270M base model does not choose well between calling a tool and answering: left to choose, it
answers without searching, or searches again and again until the agent's recursion limit. So the
choice is made for it. The first model call must call the documents tool; once the tool has
answered, the model must answer in words (``tool_choice="none"``), so the run ends. When the
search found nothing, the run ends with that notice and no model call.

A base model (``ChatGPT4All`` without a chat template) answers as in the answer chain's quote
grounding: from the quotes, in its completion-style prompt, and its sentence is kept only when
the quotes support it (:func:`gpt4all_rag.rag.support.is_supported`); otherwise the answer is
the best quote. A larger chat model can drop the middleware and choose for itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from gpt4all_rag.agents.question import latest_question
from gpt4all_rag.agents.tool import DEFAULT_NAME, Passage
from gpt4all_rag.rag.citations import without_citations
from gpt4all_rag.rag.prompts import PromptStyle, evidence_messages
from gpt4all_rag.rag.support import closest_sentence, is_supported, quoted_answer, with_quote

Handler = Callable[[ModelRequest], ModelResponse]
AsyncHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]


class ToolFirst(AgentMiddleware):
    """Call a tool first, then answer in words: the choice a small model cannot make itself.

    The first model call must call ``tool_name`` (any tool when None or not bound); once a tool
    has answered, the model must answer in words (``tool_choice="none"``), and an answer without
    tool calls ends the agent's loop.

    Use:
        .. code-block:: python

            agent = create_agent(ChatGPT4All(temperature=0), tools=[count_letters],
                                 middleware=[ToolFirst("count_letters")])

    Args:
        tool_name: The tool the first model call must call.
    """

    def __init__(self, tool_name: str | None = None) -> None:
        super().__init__()
        self.tool_name = tool_name

    def wrap_model_call(self, request: ModelRequest, handler: Handler) -> ModelResponse:
        """Send the request as :meth:`steer` makes it."""
        return handler(self.steer(request))

    async def awrap_model_call(self, request: ModelRequest, handler: AsyncHandler) -> ModelResponse:
        """The async form of :meth:`wrap_model_call`."""
        return await handler(self.steer(request))

    def steer(self, request: ModelRequest) -> ModelRequest:
        """The request as the model should get it at this point of the run."""
        if not _tool_results(request.messages):
            return request.override(tool_choice=self._first_choice(request))
        return request.override(tool_choice="none")

    def _first_choice(self, request: ModelRequest) -> str:
        names = [getattr(tool, "name", None) or _dict_name(tool) for tool in request.tools or []]
        if self.tool_name is not None and self.tool_name in names:
            return self.tool_name
        return "any"


class SearchFirst(ToolFirst):
    """Search the documents first, then answer from what the search returned, then stop.

    Use:
        .. code-block:: python

            from langchain.agents import create_agent
            from gpt4all_rag import ChatGPT4All, LocalDocs
            from gpt4all_rag.agents import SearchFirst, documents_tool

            tool = documents_tool(LocalDocs("manuals"))
            agent = create_agent(ChatGPT4All(temperature=0), tools=[tool],
                                 middleware=[SearchFirst(tool.name)])

    Args:
        tool_name: The documents tool (:func:`~gpt4all_rag.agents.documents_tool`) the first
            model call must call.
        prompt_style: How the answering call is asked: ``completion`` (the quotes in the answer
            chain's completion-style prompt, for base models), ``chat`` (the agent's own
            messages), or None (``completion`` for a ``ChatGPT4All`` without a chat template).
    """

    def __init__(
        self, tool_name: str = DEFAULT_NAME, *, prompt_style: PromptStyle | None = None
    ) -> None:
        super().__init__(tool_name)
        self.prompt_style = prompt_style

    def wrap_model_call(self, request: ModelRequest, handler: Handler) -> ModelResponse:
        """Force the search, or answer from its result (without the model when it found none)."""
        if (done := _nothing_found(request.messages)) is not None:
            return done
        return self._checked(request, handler(self.steer(request)))

    async def awrap_model_call(self, request: ModelRequest, handler: AsyncHandler) -> ModelResponse:
        """The async form of :meth:`wrap_model_call`."""
        if (done := _nothing_found(request.messages)) is not None:
            return done
        return self._checked(request, await handler(self.steer(request)))

    def steer(self, request: ModelRequest) -> ModelRequest:
        """The request as the model should get it: forced to search, then asked to answer (from
        the quotes, for a completion-style model)."""
        results = _tool_results(request.messages)
        if not results or self._style(request) == "chat":
            return super().steer(request)
        question = latest_question(request.messages) or ""
        messages: list[Any] = evidence_messages(question, _numbered_quotes(results), "completion")
        return request.override(messages=messages, system_message=None, tool_choice="none")

    def _checked(self, request: ModelRequest, response: ModelResponse) -> ModelResponse:
        """The answer of a completion-style model, kept when the quotes support it, else the
        best quote (the first call's tool call passes through)."""
        results = _tool_results(request.messages)
        if not results or self._style(request) == "chat" or not response.result:
            return response
        quotes = [quote for _, quote in _numbered_quotes(results)]
        answer = response.result[-1]
        text = grounded_answer(str(answer.text), quotes, latest_question(request.messages) or "")
        checked = AIMessage(content=text, response_metadata=answer.response_metadata)
        if isinstance(answer, AIMessage):
            checked.usage_metadata = answer.usage_metadata
        return ModelResponse(result=[*response.result[:-1], checked])

    def _style(self, request: ModelRequest) -> PromptStyle:
        if self.prompt_style is not None:
            return self.prompt_style
        return "completion" if getattr(request.model, "is_completion_model", False) else "chat"


def grounded_answer(generated: str, quotes: Sequence[str], question: str) -> str:
    """The model's first sentence with the quote it rests on when ``quotes`` (best first)
    support it, else the best quote: the answer chain's rule for base models."""
    if not quotes:
        return generated.strip()
    said = without_citations(generated.strip().split("\n", 1)[0]).strip()
    if is_supported(said, quotes, question):
        best = closest_sentence(said, quotes)
        return with_quote(said, best + 1, quotes[0], 1)
    return quoted_answer(quotes[0], 1, question)


def _tool_results(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    return [message for message in messages if isinstance(message, ToolMessage)]


def _numbered_quotes(results: Sequence[ToolMessage]) -> list[tuple[int, str]]:
    """``(number, quote)`` of every passage the tool returned (its text when it had none)."""
    quotes: list[tuple[int, str]] = []
    for result in results:
        passages = result.artifact if isinstance(result.artifact, list) else []
        found = [p for p in passages if isinstance(p, Passage)]
        if found:
            quotes += [(len(quotes) + 1, passage.quote) for passage in found]
        elif not str(result.text).startswith("Nothing relevant"):
            quotes.append((len(quotes) + 1, str(result.text)))
    return quotes


def _nothing_found(messages: Sequence[BaseMessage]) -> ModelResponse | None:
    """The final answer when every search found nothing; None when there is something."""
    results = _tool_results(messages)
    if not results or _numbered_quotes(results):
        return None
    return ModelResponse(result=[AIMessage(content=str(results[-1].text))])


def _dict_name(tool: Any) -> str | None:
    if isinstance(tool, dict):
        return tool.get("name") or tool.get("function", {}).get("name")
    return None
