"""The answer chain: question (+ history) -> retrieved sources -> a cited, checked answer.

Steps, for any LangChain chat model (the bundled ``ChatGPT4All`` by default):

1. A follow-up question is rewritten into a standalone one when there is chat history.
2. The retriever finds chunks; when none pass its relevance floor, the answer says the files do
   not contain it and no model is called.
3. The chunks are fitted to the model's context window by counting tokens (lowest-ranked dropped
   first) and numbered ``[1]..[n]``; their sentences are ranked as evidence
   (:mod:`gpt4all_rag.rag.evidence`).
4. With ``grounding="quote"`` (the default for template-less base models such as the bundled
   270M model) the model sees only the best evidence sentences, and its one-sentence answer is
   kept only when the quotes support it (:mod:`gpt4all_rag.rag.support`); otherwise the answer
   is the best quote itself. With ``grounding="free"`` (chat models) the model sees the whole
   chunks and its answer streams as it comes. Either way every cited source carries its quote,
   and an answer is never empty nor a restatement of the question.
5. Citation numbers that match no source are removed, and each source is marked cited or not
   (:mod:`gpt4all_rag.rag.citations`). Retrieved text is quoted as untrusted data
   (:mod:`gpt4all_rag.rag.prompts`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.documents import Document
from langchain_core.messages import (
    BaseMessage,
    BaseMessageChunk,
    HumanMessage,
    convert_to_messages,
)
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from gpt4all_rag.async_bridge import iterate_in_thread
from gpt4all_rag.errors import EmptyQuestionError, GPT4AllRagError
from gpt4all_rag.rag.citations import CitationFilter, supporting_sources, without_citations
from gpt4all_rag.rag.context_budget import Budget, fit_texts
from gpt4all_rag.rag.evidence import Evidence, next_quote, rank_evidence, select_evidence
from gpt4all_rag.rag.model_traits import DEFAULT_CONTEXT_SIZE, Traits, traits_of
from gpt4all_rag.rag.prompts import (
    COMPLETION_STOP,
    NOT_FOUND,
    PromptSource,
    PromptStyle,
    answer_messages,
    condense_messages,
    evidence_messages,
)
from gpt4all_rag.rag.repetition import RepetitionGuard
from gpt4all_rag.rag.support import (
    and_quote,
    closest_sentence,
    copies_quote,
    is_supported,
    quoted_answer,
    restates_question,
    with_quote,
)
from gpt4all_rag.strict_keywords import reject_unknown
from gpt4all_rag.text.relevance import is_mostly_cjk

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel

    from gpt4all_rag.localdocs.searchable import SearchableCollection

AnswerInput = str | Mapping[str, Any]
"""A question, or ``{"question": str, "chat_history": [messages]}``."""

__all__ = [
    "DEFAULT_CONTEXT_SIZE",
    "Answer",
    "AnswerChain",
    "AnswerEvent",
    "AnswerInput",
    "Basis",
    "Grounding",
    "Source",
]

Grounding = Literal["auto", "quote", "free"]
"""How an answer rests on the sources: ``quote`` (the model answers from evidence sentences and
its answer is kept only when they support it, else the best quote is the answer), ``free`` (the
model answers from whole chunks; quotes are attached), ``auto`` (``quote`` for template-less base
models, ``free`` for chat models)."""

Basis = Literal["model", "quote", "none"]
"""What an answer's text is: the model's (checked) words, a quote from the files, or the notice
that nothing relevant was found."""

QUOTE_ANSWER_TOKENS = 48
"""Tokens a base model may spend on its one-sentence answer in ``quote`` grounding."""


class Source(BaseModel):
    """One source given to the model, and whether the answer cites it."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """Absolute path of the file."""
    page: int | None = None
    """Page number (1-based) for paged formats such as PDF; None otherwise."""
    snippet: str
    """The start of the chunk's text, whitespace collapsed."""
    score: float
    """Retrieval score, higher is better (see HybridRetriever)."""
    cited: bool = False
    """Whether the answer cites this source (``[n]``, or support when the model cites nothing)."""
    quote: str | None = None
    """The sentence of this source that supports the answer, verbatim up to whitespace; None
    when the answer does not rest on this source."""

    @property
    def location(self) -> str:
        """``path:page`` (or just the path when there is no page)."""
        return f"{self.source}:{self.page}" if self.page is not None else self.source


class Answer(BaseModel):
    """An answer and the numbered sources it was built from (``sources[0]`` is ``[1]``)."""

    model_config = ConfigDict(extra="forbid")

    answer: str
    """The answer text, with only valid ``[n]`` citations left."""
    sources: list[Source] = Field(default_factory=list)
    """Sources in prompt order; empty when nothing relevant was found."""
    basis: Basis = "model"
    """What the answer text is: the model's checked words, a quote, or "nothing found"."""


AnswerEvent = str | Answer
"""What :meth:`AnswerChain.stream` yields: text pieces, then one :class:`Answer`."""


@dataclass(frozen=True)
class _Prepared:
    """Everything known before generation."""

    question: str
    documents: list[Document]
    texts: list[str]
    messages: list[BaseMessage] | None
    evidence: list[Evidence] | None
    """The chunks' sentences, best evidence first; None until the answer is done (free
    grounding ranks them only for the quotes, off the time to first token)."""
    shown: list[Evidence] = field(default_factory=list)
    """The quotes the model was given (quote grounding), in reading order."""
    ask_model: bool = True
    """False when the answer is the best quote without a model call."""

    @property
    def quoting(self) -> bool:
        """The model answers from quotes and its answer is checked before it is shown."""
        return bool(self.shown)


class AnswerChain(Runnable[AnswerInput, AnswerEvent]):
    """Answers questions from a retriever's documents, with numbered and checked citations.

    A LangChain ``Runnable``: ``invoke``, ``stream``, ``batch`` and their async forms run through
    LangChain's config machinery, so callbacks, tags, run names and tracing see the chain as one
    run with the retriever and the model as its children.

    Setup:
        A retriever, such as ``LocalDocs("manuals").as_retriever()``; any chat model (the bundled
        default when none is given).

    Instantiate:
        .. code-block:: python

            from gpt4all_rag.localdocs import LocalDocs
            from gpt4all_rag.rag import AnswerChain

            chain = AnswerChain(LocalDocs("manuals").as_retriever(k=4))
            chain = AnswerChain.from_collection(LocalDocs("manuals"), k=4)  # the same

    Invoke (returns an :class:`Answer`):
        .. code-block:: python

            answer = chain.invoke("How do I fit a linear model?")
            answer = chain.invoke("And with weights?", chat_history=[...])  # a follow-up
            answer = chain.invoke({"question": "And with weights?", "chat_history": [...]})
            answer = chain.invoke("...", {"run_name": "ask", "tags": ["cli"], "callbacks": [h]})
            print(answer.answer)
            for i, source in enumerate(answer.sources, 1):
                print(i, source.location, source.cited)

    Stream (text pieces, then one ``Answer``: :data:`AnswerEvent`):
        .. code-block:: python

            for item in chain.stream("How do I fit a linear model?"):
                if isinstance(item, str):
                    print(item, end="", flush=True)
                else:
                    answer = item

    Async: ``await chain.ainvoke(...)``, ``await chain.abatch([...])`` and
    ``async for item in chain.astream(...)`` run the same steps on a worker thread, never
    blocking the event loop.

    Args:
        retriever: Any LangChain retriever; documents need ``metadata["source"]`` (and
            optionally ``page`` and ``score``).
        llm: A chat model; ``ChatGPT4All(temperature=0)`` when None. A model that tells its
            :class:`~gpt4all_rag.rag.model_traits.ModelTraits` (``ChatGPT4All`` does) gets its
            own prompt style, context budget and per-call limits.
        prompt_style: ``completion`` for template-less base models, ``chat`` for chat models;
            ``auto`` asks the model (``is_completion_model``), else ``chat``.
        answer_tokens: Tokens reserved for (and at most generated as) the answer.
        context_size: The model's context window; asked from the model when None.
        snippet_chars: Characters of each chunk kept in ``Source.snippet``.
        embeddings: The embedding model that scores evidence sentences; the retriever's
            ``embeddings`` when None (keyword scoring alone when it has none).
        grounding: ``quote``, ``free`` or ``auto`` (see :data:`Grounding`).
        evidence_sentences: Evidence sentences given to the model in ``quote`` grounding.
        cjk_model_answers: Let the model phrase answers to Chinese and Japanese questions in
            ``quote`` grounding. Off by default: on the development set the bundled 270M
            model's supported Chinese sentences held the fact in 4 of 30 answers, the quotes in
            18 of 36, so such questions are answered with the best quote, without a model call.

    Raises:
        TypeError: An unknown keyword, naming the nearest valid one.
    """

    def __init__(
        self,
        retriever: BaseRetriever,
        llm: BaseChatModel | None = None,
        *,
        prompt_style: Literal["auto"] | PromptStyle = "auto",
        answer_tokens: int = 256,
        context_size: int | None = None,
        snippet_chars: int = 400,
        embeddings: Embeddings | None = None,
        grounding: Grounding = "auto",
        evidence_sentences: int = 4,
        cjk_model_answers: bool = False,
        **unknown: Any,
    ) -> None:
        reject_unknown("AnswerChain", unknown, _OPTIONS)
        self.retriever = retriever
        self._llm = llm
        self.prompt_style = prompt_style
        self.answer_tokens = answer_tokens
        self.context_size = context_size
        self.snippet_chars = snippet_chars
        self.embeddings = embeddings or getattr(retriever, "embeddings", None)
        self.grounding = grounding
        self.evidence_sentences = evidence_sentences
        self.cjk_model_answers = cjk_model_answers
        self._traits: Traits | None = None

    @classmethod
    def from_collection(
        cls,
        collection: SearchableCollection,
        llm: BaseChatModel | None = None,
        *,
        k: int = 4,
        **options: Any,
    ) -> AnswerChain:
        """A chain over one collection's hybrid retriever: what ``gpt4all-rag ask`` runs.

        Args:
            collection: A ``LocalDocs`` collection (checked to exist and to match its
                embedding model before the chain is built).
            llm: Any LangChain chat model; when None, the default chat model of the
                collection's ``settings`` (``ChatGPT4All``).
            k: How many chunks to retrieve at most.
            options: Other :class:`AnswerChain` options (``grounding``, ``answer_tokens``, ...).

        Raises:
            CollectionNotFoundError: The collection was never indexed.
            CollectionMismatchError: It was built with another embedding model.
        """
        from gpt4all_rag.localdocs.retriever import HybridRetriever

        collection.check_embeddings()
        retriever = HybridRetriever(collections=[collection], k=k)
        answer_tokens = options.get("answer_tokens", 256)
        return cls(retriever, llm or default_chat_model(collection, answer_tokens), **options)

    @property
    def llm(self) -> BaseChatModel:
        """The chat model (the bundled default is built on first use)."""
        if self._llm is None:
            from gpt4all_rag.chat_models import ChatGPT4All

            self._llm = ChatGPT4All(temperature=0, max_tokens=self.answer_tokens)
        return self._llm

    @property
    def traits(self) -> Traits:
        """What the model tells of itself (read once): context size, prompt style, limits."""
        if self._traits is None:
            self._traits = traits_of(self.llm)
        return self._traits

    @property
    def style(self) -> PromptStyle:
        """The prompt style in use."""
        if self.prompt_style != "auto":
            return self.prompt_style
        return "completion" if self.traits.is_completion_model else "chat"

    @property
    def quoting(self) -> bool:
        """Whether answers rest on evidence sentences (``quote`` grounding)."""
        if self.grounding == "auto":
            return self.style == "completion"
        return self.grounding == "quote"

    # --- Runnable -------------------------------------------------------------------------------

    def invoke(
        self, input: AnswerInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        """Answer a question; ``chat_history=[...]`` (or a dict input) makes it a follow-up."""
        options = _call_options(config, kwargs)
        return cast(Answer, self._call_with_config(self._respond, input, config, **options))

    async def ainvoke(
        self, input: AnswerInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Answer:
        """Async :meth:`invoke`: the same body on a worker thread (LangChain's executor)."""
        options = _call_options(config, kwargs)
        return cast(Answer, await super().ainvoke(input, config, **options))

    def stream(
        self, input: AnswerInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[AnswerEvent]:
        """Yield the answer text piece by piece, then one :class:`Answer` with the sources."""
        yield from self._transform_stream_with_config(
            iter([input]), self._transform, config, **_call_options(config, kwargs)
        )

    async def astream(
        self, input: AnswerInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[AnswerEvent]:
        """Async :meth:`stream`: the same steps on a worker thread."""
        options = _call_options(config, kwargs)
        async for item in self._atransform_stream_with_config(
            _one(input), self._atransform, config, **options
        ):
            yield item

    def _respond(
        self,
        input: AnswerInput,
        run_manager: CallbackManagerForChainRun,
        config: RunnableConfig,
        chat_history: Any = (),
    ) -> Answer:
        """The body of :meth:`invoke`: the last event of :meth:`_events`."""
        *_, answer = self._events(input, chat_history, config)
        assert isinstance(answer, Answer)
        return answer

    def _transform(
        self,
        inputs: Iterator[AnswerInput],
        run_manager: CallbackManagerForChainRun,
        config: RunnableConfig,
        chat_history: Any = (),
    ) -> Iterator[AnswerEvent]:
        """The body of :meth:`stream`."""
        yield from self._events(next(inputs), chat_history, config)

    async def _atransform(
        self,
        inputs: AsyncIterator[AnswerInput],
        run_manager: AsyncCallbackManagerForChainRun,
        config: RunnableConfig,
        chat_history: Any = (),
    ) -> AsyncIterator[AnswerEvent]:
        """The body of :meth:`astream`: :meth:`_events` on a worker thread."""
        input = await anext(inputs)
        async for item in iterate_in_thread(
            lambda _cancel: self._events(input, chat_history, config)
        ):
            yield item

    def _events(
        self, input: AnswerInput, chat_history: Any, config: RunnableConfig
    ) -> Iterator[AnswerEvent]:
        """The one body of every call: condense, retrieve, fit, generate, check."""
        question, history = _parse(input, chat_history)
        self._check_fits(question)
        standalone = self._condense(question, history, config) if history else question
        documents = self.retriever.invoke(standalone, config)
        if not documents and standalone != question:
            documents = self.retriever.invoke(_joined(question, history), config)
        prepared = self._prepare(standalone, documents)
        if prepared.messages is None:
            yield NOT_FOUND
            yield Answer(answer=NOT_FOUND, sources=[], basis="none")
            return
        composer = _Composer(len(prepared.texts))
        chunks = cast(
            Generator[BaseMessageChunk],
            self.llm.stream(prepared.messages, config, **self._llm_kwargs(prepared.quoting))
            if prepared.ask_model
            else _no_chunks(),
        )
        with closing(chunks):  # a stopped answer frees the model at once
            for chunk in chunks:
                piece = composer.feed(str(chunk.text))
                if piece and not prepared.quoting:
                    yield piece
                if composer.stopped:
                    break
        tail = composer.flush()
        answer = self._answer(composer, prepared)
        yield from _closing_pieces(tail, answer, prepared.quoting)

    # --- steps ----------------------------------------------------------------------------------

    def _budget(self) -> Budget:
        return Budget(self.context_size or self.traits.context_size, self.answer_tokens)

    def _count(self, messages: list[BaseMessage]) -> int:
        """Prompt tokens, from the model's tokenizer (or about 3 characters a token)."""
        try:
            return self.llm.get_num_tokens_from_messages(messages)
        except GPT4AllRagError:
            raise
        except Exception:  # e.g. LangChain's default tokenizer, unavailable offline
            return sum(len(str(m.text)) for m in messages) // 3 + 8 * len(messages)

    def _check_fits(self, question: str) -> None:
        """Raise ContextOverflowError when the question alone does not fit the context."""
        fit_texts([], self._measure(question, []), self._budget())

    def _measure(self, question: str, documents: Sequence[Document]) -> Any:
        style = self.style

        def measure(texts: list[str]) -> int:
            sources = [
                PromptSource(_label(doc), text) for doc, text in zip(documents, texts, strict=False)
            ]
            return self._count(answer_messages(question, sources, style))

        return measure

    def _prepare(self, question: str, documents: list[Document]) -> _Prepared:
        """Fit the documents to the budget, rank their sentences as evidence and build the
        prompt (None when nothing was found)."""
        if not documents:
            return _Prepared(question, [], [], None, [])
        texts = fit_texts(
            [doc.page_content for doc in documents],
            self._measure(question, documents),
            self._budget(),
        )
        kept = documents[: len(texts)]
        if not kept:
            return _Prepared(question, [], [], None, [])
        evidence = rank_evidence(question, texts, self.embeddings) if self.quoting else None
        prompt = self._evidence_prompt(question, evidence) if evidence else None
        if evidence and prompt is not None:
            messages, shown = prompt
            ask = self.cjk_model_answers or not is_mostly_cjk(question)
            return _Prepared(question, kept, texts, messages, evidence, shown, ask_model=ask)
        sources = [PromptSource(_label(doc), text) for doc, text in zip(kept, texts, strict=True)]
        messages = answer_messages(question, sources, self.style)
        return _Prepared(question, kept, texts, messages, evidence)

    def _evidence_prompt(
        self, question: str, evidence: list[Evidence]
    ) -> tuple[list[BaseMessage], list[Evidence]] | None:
        """The prompt from as many of the best quotes as fit the context window, and the quotes
        shown; None when not even one fits (then the fitted chunks are used)."""
        budget = self._budget()
        for count in range(self.evidence_sentences, 0, -1):
            shown = select_evidence(evidence, count)
            messages = evidence_messages(question, [(e.source, e.quote) for e in shown], self.style)
            if self._count(messages) + budget.answer_tokens <= budget.context_size:
                return messages, shown
        return None

    def _condense(
        self, question: str, history: list[BaseMessage], config: RunnableConfig | None
    ) -> str:
        messages = condense_messages(question, history[-6:], self.style)
        reply = self.llm.invoke(messages, config, **self._llm_kwargs(max_tokens=64))
        return _standalone(str(reply.text), question, history)

    def _llm_kwargs(self, quoting: bool = False, max_tokens: int | None = None) -> dict[str, Any]:
        """Per-call limits, for models that take them (``takes_call_limits``)."""
        if not self.traits.takes_call_limits:
            return {}
        if quoting:
            max_tokens = min(max_tokens or self.answer_tokens, QUOTE_ANSWER_TOKENS)
        kwargs: dict[str, Any] = {"max_tokens": max_tokens or self.answer_tokens}
        if self.style == "completion":
            kwargs["stop"] = ["\n"] if quoting else list(COMPLETION_STOP)
        return kwargs

    def _answer(self, composer: _Composer, prepared: _Prepared) -> Answer:
        """The answer, its basis and its sources with their quotes."""
        evidence = prepared.evidence
        if evidence is None:
            evidence = rank_evidence(prepared.question, prepared.texts, self.embeddings)
        cited: Sequence[int]
        if prepared.quoting:
            text, quotes, basis = self._grounded(
                composer.text, prepared.question, prepared.shown, evidence
            )
            cited = list(quotes)
        elif evidence and restates_question(composer.text, prepared.question):
            text, quotes, basis = _quote(
                prepared.question, evidence
            )  # empty, or the question again
            cited = list(quotes)
        else:
            text, basis = composer.text, "model"
            cited = composer.citations.cited or supporting_sources(
                text, prepared.texts, prepared.question
            )
            quotes = _quotes_for(cited, evidence)
        sources = [
            Source(
                source=str(doc.metadata.get("source", "")),
                page=_page(doc),
                snippet=_snippet(chunk, self.snippet_chars),
                score=float(doc.metadata.get("score", 0.0)),
                cited=i in cited,
                quote=quotes.get(i),
            )
            for i, (doc, chunk) in enumerate(
                zip(prepared.documents, prepared.texts, strict=True), start=1
            )
        ]
        return Answer(answer=text, sources=sources, basis=basis)

    @staticmethod
    def _grounded(
        generated: str, question: str, shown: list[Evidence], evidence: list[Evidence]
    ) -> tuple[str, dict[int, str], Basis]:
        """The model's sentence with its citation when the quotes it was shown support it,
        else the best quote."""
        said = without_citations(generated.strip().split("\n", 1)[0]).strip()
        sentences = [e.quote for e in shown]
        if is_supported(said, sentences, question):
            best = shown[closest_sentence(said, sentences)]
            top = evidence[0]  # a vague but supported sentence still carries the fact
            quotes = {best.source: best.quote}
            quotes.setdefault(top.source, top.quote)
            text = with_quote(said, best.source, top.quote, top.source)
            uncopied = [e for e in evidence if not copies_quote(said, e.quote)]
            return _with_next_quote(text, quotes, uncopied, question), quotes, "model"
        return _quote(question, evidence)


class _Composer:
    """Assembles the streamed answer: leading space dropped, invalid citations removed, a loop
    stopped (:mod:`gpt4all_rag.rag.repetition`)."""

    def __init__(self, sources: int) -> None:
        self.citations = CitationFilter(sources)
        self.guard = RepetitionGuard()
        self._parts: list[str] = []

    @property
    def stopped(self) -> bool:
        """The model started repeating itself: generation should end."""
        return self.guard.stopped

    def feed(self, piece: str) -> str:
        out = self.citations.feed(self.guard.feed(piece))
        if not self._parts:
            out = out.lstrip()
        if out:
            self._parts.append(out)
        return out

    def flush(self) -> str:
        out = self.citations.feed(self.guard.flush()) + self.citations.flush()
        if not self._parts:
            out = out.lstrip()
        if out:
            self._parts.append(out)
        return out

    @property
    def text(self) -> str:
        return "".join(self._parts).strip()


_OPTIONS = (
    "prompt_style",
    "answer_tokens",
    "context_size",
    "snippet_chars",
    "embeddings",
    "grounding",
    "evidence_sentences",
    "cjk_model_answers",
)
"""The keyword options of :class:`AnswerChain`."""

_CALL_OPTIONS = ("chat_history",)
"""The keywords a call takes besides the input and the config."""


def _call_options(config: object, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A call's keywords, checked: only ``chat_history``; the config must be a mapping."""
    if config is not None and not isinstance(config, Mapping):
        raise TypeError(
            "AnswerChain's second argument is a RunnableConfig (a dict); pass the chat history "
            "as chat_history=[...] or in the input: {'question': ..., 'chat_history': [...]}"
        )
    reject_unknown("AnswerChain call", kwargs, _CALL_OPTIONS)
    return kwargs


async def _one(item: AnswerInput) -> AsyncIterator[AnswerInput]:
    yield item


def _parse(input: AnswerInput, chat_history: Any) -> tuple[str, list[BaseMessage]]:
    """The question and the history, from a string or a ``{"question", "chat_history"}`` dict."""
    history = chat_history
    if isinstance(input, Mapping):
        question = input.get("question", input.get("input", ""))
        history = input.get("chat_history", history)
    else:
        question = input
    if not isinstance(question, str) or not question.strip():
        raise EmptyQuestionError()
    return question.strip(), convert_to_messages(list(history or ()))


def _standalone(reply: str, question: str, history: list[BaseMessage]) -> str:
    """The model's rewrite when it looks like a question; else the follow-up with context."""
    line = reply.strip().splitlines()[0].strip() if reply.strip() else ""
    for prefix in ("Answer:", "Question:", "Standalone question:"):
        if line.lower().startswith(prefix.lower()):
            line = line[len(prefix) :].strip()
    line = line.strip("\"'` ")
    if 3 <= len(line) <= 3 * len(question) + 200:
        return line
    return _joined(question, history)


def _joined(question: str, history: Sequence[BaseMessage]) -> str:
    """The last user question followed by the follow-up: a plain fallback for retrieval."""
    previous = [str(m.text) for m in history if isinstance(m, HumanMessage)]
    return f"{previous[-1]} {question}" if previous else question


def default_chat_model(collection: object, answer_tokens: int = 256) -> BaseChatModel:
    """The settings' default chat model (``ChatGPT4All(temperature=0)``), with the
    ``settings`` of ``collection`` (a ``LocalDocs``) when it has them."""
    from gpt4all_rag.chat_models import ChatGPT4All

    settings = getattr(collection, "settings", None)
    return ChatGPT4All(temperature=0, max_tokens=answer_tokens, settings=settings)


def _no_chunks() -> Generator[BaseMessageChunk]:
    """An empty model stream: the answer is a quote."""
    yield from ()


def _closing_pieces(tail: str, answer: Answer, quoting: bool) -> Iterator[str | Answer]:
    """What a stream yields after the model: the rest of its text, or the checked answer when
    it was held back (quote grounding) or replaced by a quote; then the :class:`Answer`."""
    if quoting:
        tail = answer.answer
    elif answer.basis == "quote":
        tail = f"{tail}\n{answer.answer}" if tail else answer.answer
    yield from re.findall(r"\s*\S+", tail)  # word by word, as a model streams
    yield answer


def _quote(question: str, evidence: list[Evidence]) -> tuple[str, dict[int, str], Basis]:
    """The best evidence sentence, quoted with a short lead-in (and the next best when it
    fits)."""
    best = evidence[0]
    quotes = {best.source: best.quote}
    first = quoted_answer(best.quote, best.source, question)
    text = _with_next_quote(first, quotes, evidence, question)
    return text, quotes, "quote"


def _with_next_quote(
    text: str, quotes: dict[int, str], evidence: Sequence[Evidence], question: str
) -> str:
    """The answer with the next best quote when it fits; its source keeps its first quote."""
    extra = next_quote(evidence, text, question)
    if extra is None:
        return text
    quotes.setdefault(extra.source, extra.quote)
    return and_quote(text, extra.quote, extra.source)


def _quotes_for(cited: Sequence[int], evidence: Sequence[Evidence]) -> dict[int, str]:
    """The best evidence sentence of each cited source."""
    quotes: dict[int, str] = {}
    for item in evidence:  # best first
        if item.source in cited and item.source not in quotes:
            quotes[item.source] = item.quote
    return quotes


def _label(doc: Document) -> str:
    name = Path(str(doc.metadata.get("source", "unknown"))).name
    page = _page(doc)
    return f"{name}, page {page}" if page is not None else name


def _page(doc: Document) -> int | None:
    page = doc.metadata.get("page")
    return int(page) if isinstance(page, int | float) and not isinstance(page, bool) else None


def _snippet(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"
