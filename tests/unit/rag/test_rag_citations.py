"""Citation checking: invalid numbers removed while streaming; support when nothing is cited."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gpt4all_rag.rag.citations import CitationFilter, clean_citations, supporting_sources


def test_invalid_numbers_are_removed() -> None:
    assert clean_citations("A [1], B [5], C [2, 9].", 3) == ("A [1], B, C [2].", [1, 2])
    assert clean_citations("no citations ", 3) == ("no citations ", [])
    assert clean_citations("[0] and [3][3]", 3) == (" and [3][3]", [3])


def test_brackets_that_are_not_citations_pass() -> None:
    text = "x[i] <- y[[1]]; see [a] and [ 2 ]"
    assert clean_citations(text, 1)[0] == "x[i] <- y[[1]]; see [a] and"
    assert clean_citations("ends with [", 2)[0] == "ends with ["


def test_streaming_holds_a_citation_split_across_pieces() -> None:
    citations = CitationFilter(2)
    out = [citations.feed(p) for p in ["Use lm() [", "1", "] and [", "12", "]", "."]]
    assert "".join(out) + citations.flush() == "Use lm() [1] and."
    assert out[0] == "Use lm()"  # the space and "[" are held back until known
    assert citations.cited == [1]


@given(st.text(alphabet="ab [],0123456789", max_size=40), st.integers(0, 50))
def test_streamed_equals_whole(text: str, cut: int) -> None:
    cut = min(cut, len(text))
    citations = CitationFilter(3)
    streamed = citations.feed(text[:cut]) + citations.feed(text[cut:]) + citations.flush()
    assert streamed == clean_citations(text, 3)[0]


def test_support_picks_the_source_with_the_answers_rare_words() -> None:
    sources = [
        "zoo objects: duplicates are removed by averaging them with aggregate.zoo",
        "zoo objects can be merged with merge.zoo",
        "zoo objects can be plotted",
    ]
    assert supporting_sources("Average the duplicates with aggregate.zoo.", sources) == [1]
    assert supporting_sources("Bake bread at 220 degrees.", sources) == []
    assert supporting_sources("", sources) == []
