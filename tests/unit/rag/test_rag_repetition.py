"""The repetition guard: a small model's loop ends the answer; normal text streams through."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st
from langchain_core.documents import Document
from rag_fakes import ListRetriever, RecordingChatModel

from gpt4all_rag.rag import AnswerChain
from gpt4all_rag.rag.repetition import RepetitionGuard


def guarded(pieces: list[str]) -> tuple[str, bool]:
    guard = RepetitionGuard()
    shown = []
    for piece in pieces:
        shown.append(guard.feed(piece))
        if guard.stopped:
            return "".join(shown), True
    return "".join(shown) + guard.flush(), False


def test_numbered_loop_is_cut_after_its_first_line() -> None:
    text = "1. 检查一次，最好是清洁一次。\n2. 检查一次，最好是清洁一次。\n3. 检查一次"
    assert guarded(list(text)) == ("1. 检查一次，最好是清洁一次。\n", True)


def test_a_line_that_only_starts_like_an_earlier_one_is_shown() -> None:
    pieces = ["The answer is 42.\n", "Use lm() to fit.\n", "The answer is 4", "3, not 42.\n", "End"]
    assert guarded(pieces) == ("".join(pieces), False)


def test_short_lines_may_repeat() -> None:
    assert guarded(["Yes.\n", "Yes.\n", "```\n", "```"]) == ("Yes.\nYes.\n```\n```", False)


def test_a_repeated_last_line_without_newline_is_dropped() -> None:
    assert guarded(["- Clean the chain.\n", "- Clean the chain."]) == (
        "- Clean the chain.\n",
        False,
    )


@given(st.lists(st.text(alphabet="ab \n", max_size=12), max_size=8))
def test_text_without_repeated_lines_is_unchanged(pieces: list[str]) -> None:
    text = "".join(pieces)
    lines = [line.strip() for line in text.split("\n") if len(line.strip()) >= 6]
    if len(lines) == len(set(lines)):
        assert guarded(pieces) == (text, False)
    else:
        shown, _ = guarded(pieces)
        assert text.startswith(shown)


LOOP = "Clean the chain every 300 km.\n" * 40


def test_answer_chain_stops_a_loop_sync_and_async() -> None:
    document = Document(page_content="Clean the chain every 300 km.", metadata={"source": "/b.md"})
    llm = RecordingChatModel(replies=[LOOP], prompts=[])
    chain = AnswerChain(ListRetriever(documents=[document], keyword="chain", queries=[]), llm)
    assert chain.invoke("How often should I clean the chain?").answer == (
        "Clean the chain every 300 km."
    )
    llm.replies.append(LOOP)
    answer = asyncio.run(chain.ainvoke("How often should I clean the chain?"))
    assert answer.answer == "Clean the chain every 300 km."
