"""Sentence splitting for evidence quotes, English and Chinese."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gpt4all_rag.text.sentences import MAX_SENTENCE_CHARS, split_sentences


def test_english_sentences_keep_abbreviations_and_numbers() -> None:
    text = (
        "R is a system, e.g. for regression. It was written by R. Gentleman and R. Ihaka. "
        "The value 3.14 is close to pi! Does it work? Yes."
    )
    assert split_sentences(text) == [
        "R is a system, e.g. for regression.",
        "It was written by R. Gentleman and R. Ihaka.",
        "The value 3.14 is close to pi!",
        "Does it work? Yes.",
    ]


def test_chinese_sentences_end_at_full_stops_without_spaces() -> None:
    text = "绿茶用八十摄氏度的水冲泡。红茶需要沸水！要泡多久？大约三分钟；然后倒出。"
    assert split_sentences(text) == [
        "绿茶用八十摄氏度的水冲泡。",
        "红茶需要沸水！要泡多久？",
        "大约三分钟；然后倒出。",
    ]


def test_headings_and_list_items_end_sentences_but_wrapped_lines_do_not() -> None:
    text = (
        "Introduction\nThis wrapped line goes on\nonto the next line. Short line here\n"
        "then more.\n\n- first item in a list\n- second item in a list"
    )
    assert split_sentences(text) == [
        "Introduction",
        "This wrapped line goes on onto the next line.",
        "Short line here then more.",
        "- first item in a list",
        "- second item in a list",
    ]


def test_long_sentences_are_cut_at_clauses() -> None:
    text = "A long sentence " + ", ".join(["with a clause that goes on"] * 30) + "."
    pieces = split_sentences(text)
    assert len(pieces) > 1
    assert all(len(piece) <= MAX_SENTENCE_CHARS for piece in pieces)


@given(st.text(alphabet=st.sampled_from("ab .?!。，\n茶水"), max_size=400))
def test_no_word_is_lost_or_invented(text: str) -> None:
    sentences = split_sentences(text)
    assert all(sentence.strip() == sentence and sentence for sentence in sentences)
    assert "".join("".join(sentences).split()) == "".join(text.split())
