"""Answers from the real bundled models over the example documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.rag import Answer, AnswerChain
from gpt4all_rag.rag.prompts import NOT_FOUND

pytestmark = pytest.mark.models

DEMO_QUESTION = "How can I remove duplicate times in a zoo object?"  # the Makefile's QUESTION


def cited(answer: Answer) -> list[tuple[str, int | None]]:
    return [(Path(s.source).name, s.page) for s in answer.sources if s.cited]


def test_the_demo_question(demo: LocalDocs) -> None:
    answer = AnswerChain.from_collection(demo).invoke(DEMO_QUESTION)
    assert "aggregate" in answer.answer.lower()
    assert ("zoo-faq.pdf", 1) in cited(answer)
    assert all(s.snippet and s.score > 0 for s in answer.sources)


def test_unanswerable_question_says_so_without_the_model(demo: LocalDocs) -> None:
    answer = AnswerChain.from_collection(demo, llm=None).invoke("What is the capital of France?")
    assert answer == Answer(answer=NOT_FOUND, sources=[], basis="none")


def test_instructions_inside_a_document_are_not_followed(notes: LocalDocs) -> None:
    answer = AnswerChain.from_collection(notes).invoke(
        "How often must the zorblax air filter be replaced?"
    )
    assert "HACKED" not in answer.answer.upper()
    assert "90" in answer.answer
    assert cited(answer) == [("zorblax.md", None)]


async def test_streaming_yields_text_then_the_answer(notes: LocalDocs) -> None:
    chain = AnswerChain(notes.as_retriever())
    items = [item async for item in chain.astream("How often is the zorblax filter replaced?")]
    answer = items[-1]
    assert isinstance(answer, Answer)
    pieces = [p for p in items[:-1] if isinstance(p, str)]
    assert pieces and len(pieces) == len(items) - 1
    assert "".join(pieces).strip() == answer.answer


def test_a_follow_up_uses_the_conversation(demo: LocalDocs) -> None:
    history = [
        HumanMessage(DEMO_QUESTION),
        AIMessage("Use the aggregate.zoo function to remove duplicate times."),
    ]
    answer = AnswerChain.from_collection(demo).invoke(
        "And how do I keep only the last one of them?", chat_history=history
    )
    assert answer.sources, answer
    assert any(Path(s.source).name == "zoo-faq.pdf" for s in answer.sources)
    assert answer.answer
