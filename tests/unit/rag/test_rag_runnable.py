"""AnswerChain as a LangChain Runnable: callbacks, tags and run names reach every call form;
unknown keywords are refused; the model is asked for its traits, never checked by class."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.outputs import ChatGenerationChunk
from pydantic import Field
from rag_fakes import ListRetriever, RecordingChatModel

from gpt4all_rag.rag import Answer, AnswerChain
from gpt4all_rag.rag.model_traits import DEFAULT_CONTEXT_SIZE, traits_of


class Runs(BaseCallbackHandler):
    """Records chain starts (name, tags, parent) and chat-model starts with their parent."""

    def __init__(self) -> None:
        self.chains: list[tuple[str, list[str], UUID, UUID | None]] = []
        self.models: list[UUID | None] = []
        self.ended: list[Any] = []

    def on_chain_start(
        self,
        serialized: Any,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.chains.append((kwargs.get("name", ""), tags or [], run_id, parent_run_id))

    def on_chain_end(self, outputs: Any, **kwargs: Any) -> None:
        self.ended.append(outputs)

    def on_chat_model_start(
        self,
        serialized: Any,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.models.append(parent_run_id)


def make_chain(documents: list[Document], *replies: str) -> AnswerChain:
    retriever = ListRetriever(documents=documents, keyword="zoo", queries=[])
    llm = RecordingChatModel(replies=list(replies), prompts=[])
    return AnswerChain(retriever, llm, prompt_style="completion", grounding="free")


def _check_one_run(runs: Runs) -> None:
    ours = [run for run in runs.chains if run[0] == "ask-zoo"]
    assert len(ours) == 1, runs.chains
    _, tags, run_id, parent = ours[0]
    assert "cli" in tags and parent is None
    assert runs.models == [run_id]  # the model call is a child of the chain's run


@pytest.mark.parametrize("form", ["invoke", "stream", "batch", "ainvoke", "astream", "abatch"])
def test_every_call_form_runs_through_the_config_machinery(
    zoo_docs: list[Document], form: str
) -> None:
    chain = make_chain(zoo_docs, "Average them with aggregate.zoo [1].")
    runs = Runs()
    config: Any = {"callbacks": [runs], "tags": ["cli"], "run_name": "ask-zoo"}
    question = "How do I remove duplicate times in zoo?"

    async def run_async() -> Any:
        if form == "ainvoke":
            return await chain.ainvoke(question, config)
        if form == "abatch":
            return (await chain.abatch([question], config))[0]
        return [item async for item in chain.astream(question, config)][-1]

    answer: Any
    if form == "invoke":
        answer = chain.invoke(question, config)
    elif form == "stream":
        answer = list(chain.stream(question, config))[-1]
    elif form == "batch":
        answer = chain.batch([question], config)[0]
    else:
        answer = asyncio.run(run_async())
    assert isinstance(answer, Answer)
    assert answer.answer == "Average them with aggregate.zoo [1]."
    _check_one_run(runs)
    assert answer in runs.ended  # the chain's run ends with the Answer, whatever the form


def test_the_run_ends_with_the_answer(zoo_docs: list[Document]) -> None:
    chain = make_chain(zoo_docs, "Average them with aggregate.zoo [1].")
    runs = Runs()
    answer = chain.invoke("zoo duplicates?", {"callbacks": [runs]})
    assert answer in runs.ended


def test_stream_shape_is_text_then_one_answer(zoo_docs: list[Document]) -> None:
    items = list(make_chain(zoo_docs, "Use merge.zoo [2] here.").stream("zoo: merge two?"))
    assert all(isinstance(item, str) for item in items[:-1])
    assert isinstance(items[-1], Answer)
    assert "".join(items[:-1]).strip() == items[-1].answer  # type: ignore[arg-type]


def test_unknown_constructor_keyword_names_the_nearest(zoo_docs: list[Document]) -> None:
    retriever = ListRetriever(documents=zoo_docs, keyword="zoo", queries=[])
    with pytest.raises(TypeError, match=r"'answer_tokns'.*Did you mean 'answer_tokens'\?"):
        AnswerChain(retriever, answer_tokns=3)


def test_unknown_call_keyword_names_the_nearest(zoo_docs: list[Document]) -> None:
    chain = make_chain(zoo_docs)
    with pytest.raises(TypeError, match=r"'chat_histroy'.*Did you mean 'chat_history'\?"):
        chain.invoke("zoo?", chat_histroy=[])
    with pytest.raises(TypeError, match="chat_histroy"):
        list(chain.stream("zoo?", chat_histroy=[]))


def test_traits_come_from_the_model_not_its_class() -> None:
    plain = RecordingChatModel(replies=[], prompts=[], context_size=1000)
    assert traits_of(plain).context_size == 1000
    assert not traits_of(plain).is_completion_model
    assert not traits_of(plain).takes_call_limits
    assert traits_of(object()).context_size == DEFAULT_CONTEXT_SIZE

    class Telling:
        context_size = 2048
        is_completion_model = True
        takes_call_limits = True

    traits = traits_of(Telling())
    assert (traits.context_size, traits.is_completion_model, traits.takes_call_limits) == (
        2048,
        True,
        True,
    )


def test_a_model_that_takes_limits_gets_them(zoo_docs: list[Document]) -> None:
    class Limited(RecordingChatModel):
        is_completion_model: bool = True
        takes_call_limits: bool = True
        calls: list[dict[str, Any]] = Field(default_factory=list)

        def _stream(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Iterator[ChatGenerationChunk]:
            self.calls.append({"stop": stop, **kw})
            yield from super()._stream(messages, stop, run_manager)

    retriever = ListRetriever(documents=zoo_docs, keyword="zoo", queries=[])
    llm = Limited(replies=["Average them [1]."], prompts=[])
    chain = AnswerChain(retriever, llm, grounding="free", answer_tokens=99)
    assert chain.style == "completion"
    chain.invoke("zoo duplicates?")
    assert llm.calls[0]["max_tokens"] == 99
    assert llm.calls[0]["stop"]
