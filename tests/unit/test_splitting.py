"""Token-aware splitting: limits, coverage, offsets, determinism, locality, CJK."""

from __future__ import annotations

import hashlib
import re
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from pydantic import ValidationError

from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.errors import ChunkSizeError
from gpt4all_rag.localdocs.splitting import (
    SplitSettings,
    TokenCounter,
    split_documents,
    split_text,
)

_TOKEN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]|\w+|[^\w\s]")


class WordCounter:
    """A fake tokenizer: one token per word, punctuation mark or CJK character, plus 2 specials.

    Has no ``token_offsets``, so the splitter counts with repeated calls (its generic path).
    """

    def __init__(self, max_tokens: int = 128) -> None:
        self.max_tokens = max_tokens
        self.calls = 0

    def count_tokens(self, text: str) -> int:
        self.calls += 1
        return len(_TOKEN.findall(text)) + 2


class OffsetWordCounter(WordCounter):
    """The same fake tokenizer with the fast path: token offsets from one call."""

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _TOKEN.finditer(text)]


@pytest.fixture(scope="module")
def minilm() -> GPT4AllEmbeddings:
    """The bundled model's real tokenizer (the model itself is not loaded by counting)."""
    return GPT4AllEmbeddings()


def check_chunks(
    text: str, chunks: list[tuple[int, str]], counter: TokenCounter, limit: int
) -> None:
    covered = [False] * len(text)
    previous = -1
    for start, chunk in chunks:
        assert chunk and chunk == chunk.strip()
        assert text[start : start + len(chunk)] == chunk
        assert counter.count_tokens(chunk) <= limit
        assert start > previous  # chunks advance
        previous = start
        covered[start : start + len(chunk)] = [True] * len(chunk)
    missed = [i for i, char in enumerate(text) if not char.isspace() and not covered[i]]
    assert not missed, f"characters in no chunk at {missed[:10]}"


PIECES = st.sampled_from(
    [
        "word", "Token", "splitting", "x", "42", ",", ", ", ".", ". ", "! ", "? ", "; ", " ", "  ",
        "\n", "\n\n", "\r\n", "\t", "。", "，", "、", "！", "？", "；", "中", "文", "字", "日本語",
        "です", "supercalifragilisticexpialidocious", "https://example.com/a/very/long/path?q=1",
        "ÉTÉ", "naïve", "🙂", "«quoted»", "“quote”", "e.g. ", "3.14",
    ]
)  # fmt: skip
TEXTS = st.one_of(st.lists(PIECES, max_size=400).map("".join), st.text(max_size=600))


@st.composite
def split_settings(draw: st.DrawFn, most: int) -> SplitSettings:
    chunk = draw(st.integers(16, most))
    return SplitSettings(chunk_tokens=chunk, overlap_tokens=draw(st.integers(0, chunk // 2)))


@settings(max_examples=200, deadline=None)
@given(text=TEXTS, chosen=split_settings(60), fast=st.booleans())
def test_chunks_fit_cover_and_point_into_the_text(
    text: str, chosen: SplitSettings, fast: bool
) -> None:
    counter = OffsetWordCounter() if fast else WordCounter()
    chunks = split_text(text, counter, chosen)
    check_chunks(text, chunks, counter, chosen.chunk_tokens + 2)
    assert split_text(text, counter, chosen) == chunks  # deterministic


@settings(max_examples=80, deadline=None)
@given(text=TEXTS, chosen=split_settings(120))
def test_real_tokenizer_chunks_fit_the_model(
    minilm: GPT4AllEmbeddings, text: str, chosen: SplitSettings
) -> None:
    chunks = split_text(text, minilm, chosen)
    check_chunks(text, chunks, minilm, chosen.chunk_tokens + 2)
    assert split_text(text, minilm, chosen) == chunks


def test_fast_and_generic_counting_agree_when_the_tokenizer_is_additive() -> None:
    text = "\n\n".join(
        f"Paragraph {i}. " + "Some words here, and more. " * (i % 9) for i in range(60)
    )
    chosen = SplitSettings(chunk_tokens=40, overlap_tokens=8)
    assert split_text(text, OffsetWordCounter(), chosen) == split_text(text, WordCounter(), chosen)


def english(paragraphs: int) -> list[str]:
    return [
        f"Section {i} explains topic {i}. "
        + " ".join(
            f"Sentence {j} about item {i * 7 + j} has several words." for j in range(i % 6 + 1)
        )
        for i in range(paragraphs)
    ]


def test_default_settings_on_prose_with_the_real_tokenizer(minilm: GPT4AllEmbeddings) -> None:
    text = "\n\n".join(english(120))
    chunks = split_text(text, minilm)
    check_chunks(text, chunks, minilm, 202)
    sizes = [minilm.count_tokens(chunk) - 2 for _, chunk in chunks]
    assert max(sizes) <= 200
    assert sorted(sizes)[len(sizes) // 2] >= 100  # chunks are not tiny


def test_an_edit_changes_only_nearby_chunks(minilm: GPT4AllEmbeddings) -> None:
    paragraphs = english(80)
    before = {chunk for _, chunk in split_text("\n\n".join(paragraphs), minilm)}
    for edited in (5, 40, 70):
        changed = list(paragraphs)
        changed[edited] += " One sentence was added to this paragraph, which is longer now."
        after = {chunk for _, chunk in split_text("\n\n".join(changed), minilm)}
        assert len(after - before) <= 3, (edited, len(after - before), len(after))


def test_an_edit_in_line_broken_text_changes_only_nearby_chunks(minilm: GPT4AllEmbeddings) -> None:
    words = " ".join(english(60)).split()
    lines = [" ".join(words[i : i + 11]) for i in range(0, len(words), 11)]
    before = {chunk for _, chunk in split_text("\n".join(lines), minilm)}
    changed = list(lines)
    changed[30] = "inserted words " + changed[30]
    after = {chunk for _, chunk in split_text("\n".join(changed), minilm)}
    assert len(before) > 10
    assert len(after - before) <= 3


def test_chinese_without_spaces_splits_at_full_stops(minilm: GPT4AllEmbeddings) -> None:
    text = "".join(
        f"这是第{i}句话，我们在测试中文的分句功能、以及标点符号的处理。" for i in range(200)
    )
    chunks = split_text(text, minilm, SplitSettings(chunk_tokens=100, overlap_tokens=40))
    check_chunks(text, chunks, minilm, 102)
    assert len(chunks) > 10
    assert all(chunk.endswith("。") for _, chunk in chunks)
    # the overlap holds a whole sentence (about 30 tokens): chunks start at a sentence start
    assert all(chunk.startswith("这是第") for _, chunk in chunks)
    # with a smaller overlap, the overlap starts at a clause
    chunks = split_text(text, minilm, SplitSettings(chunk_tokens=100, overlap_tokens=16))
    assert all(chunk.endswith("。") for _, chunk in chunks)
    assert all(chunk.startswith(("这是第", "我们在", "以及")) for _, chunk in chunks)


def test_japanese_and_spaceless_text_fall_back_to_smaller_units(minilm: GPT4AllEmbeddings) -> None:
    japanese = "吾輩は猫である。名前はまだ無い。" * 80 + "どこで生れたかとんと見当がつかぬ" * 30
    chunks = split_text(japanese, minilm, SplitSettings(chunk_tokens=50, overlap_tokens=0))
    check_chunks(japanese, chunks, minilm, 52)
    no_separators = "字" * 1000
    chunks = split_text(no_separators, minilm, SplitSettings(chunk_tokens=64, overlap_tokens=8))
    check_chunks(no_separators, chunks, minilm, 66)


def test_a_word_longer_than_a_chunk_is_cut(minilm: GPT4AllEmbeddings) -> None:
    text = "start " + "x" * 3000 + " end"
    chunks = split_text(text, minilm, SplitSettings(chunk_tokens=32, overlap_tokens=4))
    check_chunks(text, chunks, minilm, 34)


def test_long_texts_are_split_in_sections_with_correct_offsets(minilm: GPT4AllEmbeddings) -> None:
    text = "\n\n".join(english(40)) * 40  # about 250,000 characters: three sections
    assert len(text) > 200_000
    chunks = split_text(text, minilm)
    check_chunks(text, chunks, minilm, 202)


def test_split_documents_keeps_metadata_and_adds_offset_and_hash(
    minilm: GPT4AllEmbeddings,
) -> None:
    pages = [
        Document(page_content="\n\n".join(english(30)), metadata={"source": "/a.pdf", "page": 1}),
        Document(page_content="", metadata={"source": "/a.pdf", "page": 2}),
        Document(page_content="Short page.", metadata={"source": "/a.pdf", "page": 3}),
    ]
    chunks = list(split_documents(pages, minilm))
    assert {chunk.metadata["page"] for chunk in chunks} == {1, 3}
    for chunk in chunks:
        page = pages[chunk.metadata["page"] - 1].page_content
        start = chunk.metadata["start_index"]
        assert page[start : start + len(chunk.page_content)] == chunk.page_content
        digest = hashlib.sha256(chunk.page_content.encode("utf-8")).hexdigest()
        assert chunk.metadata["chunk_hash"] == digest
        assert chunk.metadata["source"] == "/a.pdf"
    assert chunks[-1].page_content == "Short page."
    assert chunks[-1].metadata["start_index"] == 0


def test_overlap_repeats_the_end_of_the_previous_chunk(minilm: GPT4AllEmbeddings) -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(300))
    chunks = split_text(text, minilm, SplitSettings(chunk_tokens=60, overlap_tokens=20))
    for (start, chunk), (next_start, _) in pairwise(chunks):
        assert next_start < start + len(chunk)  # the next chunk starts inside this one
        assert minilm.count_tokens(text[next_start : start + len(chunk)]) - 2 <= 20
    without = split_text(text, minilm, SplitSettings(chunk_tokens=60, overlap_tokens=0))
    assert all(a + len(c) <= b for (a, c), (b, _) in pairwise(without))


def test_chunks_that_cannot_fit_the_model_are_refused(minilm: GPT4AllEmbeddings) -> None:
    with pytest.raises(ChunkSizeError, match="at most 254"):
        split_documents([Document(page_content="text")], minilm, SplitSettings(chunk_tokens=255))
    assert split_text("text", minilm, SplitSettings(chunk_tokens=254)) == [(0, "text")]


def test_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="at most half"):
        SplitSettings(chunk_tokens=100, overlap_tokens=51)
    with pytest.raises(ValidationError):
        SplitSettings(chunk_tokens=8)
    with pytest.raises(ValidationError):
        SplitSettings(chunk_size=100)  # type: ignore[call-arg]


def test_fast_path_tokenizes_each_text_about_once() -> None:
    text = "\n\n".join(english(200))
    counter = OffsetWordCounter(max_tokens=256)
    chunks = split_text(text, counter)
    # one exact count per chunk (the check that nothing is truncated) plus the special tokens
    assert counter.calls <= len(chunks) + 2
