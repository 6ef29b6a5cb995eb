"""Cutting text into sentences, in English and in Chinese, for quoting evidence.

A sentence ends at ``.``, ``!`` or ``?`` followed by a space and what can start a sentence, at a
Chinese or Japanese full stop, exclamation or question mark (``。！？``), or at a blank line, a
heading or a list item (a wrapped line does not end one). Abbreviations such as "e.g." and numbers such as
"3.14" do not end sentences. A sentence longer than ``max_chars`` is cut at its clauses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gpt4all_rag.text.terms import CJK_CHAR

MAX_SENTENCE_CHARS = 320
"""Longer sentences are cut at clause boundaries (quotes stay short)."""

MIN_SENTENCE_CHARS = 12
"""Shorter pieces are joined to the next one (a lone "Note." is not evidence); Chinese and
Japanese characters count twice."""

_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "cf",
        "vs",
        "fig",
        "figs",
        "no",
        "nos",
        "vol",
        "p",
        "pp",
        "eq",
        "eqs",
        "sec",
        "ch",
        "approx",
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "resp",
    ]
)

_LATIN_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9\u00c0-\u024f`$-])")
_CJK_END = re.compile(r"(?<=[。！？!?])[”」』）)]*")
_BLOCK_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•·]\s|\d+[.)]\s))")
"""A blank line, or a line break before a list item."""
_NO_END_PUNCTUATION = re.compile(r"[^.!?:;,。！？；：，]$")
_STARTS_LIKE_A_SENTENCE = re.compile(rf"\s*[A-Z{CJK_CHAR.pattern[1:-1]}]")
HEADING_CHARS = 60
"""A line this short without end punctuation, followed by a capital, is a heading."""
_CLAUSE_BREAK = re.compile(r"(?<=[;:,，、：；])\s*")


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
    """The sentences of ``text``, whitespace collapsed, in order.

    Args:
        text: Any text: prose, a PDF page, a list, Chinese or English.
        max_chars: Sentences longer than this are cut at clause boundaries.

    Returns:
        Non-empty sentences; joining them with spaces gives the text's words in order.
    """
    pieces: list[str] = []
    for block in _blocks(text):
        flat = " ".join(block.split())
        if flat:
            pieces.extend(_split_block(flat))
    return [cut for piece in _join_short(pieces) for cut in _cut_long(piece, max_chars)]


def _blocks(text: str) -> list[str]:
    """Paragraphs, list items and headings (a wrapped line does not end a block)."""
    blocks: list[str] = []
    for paragraph in _BLOCK_BREAK.split(text):
        current: list[str] = []
        lines = paragraph.splitlines()
        for line, following in zip(lines, [*lines[1:], ""], strict=False):
            current.append(line)
            stripped = line.strip()
            if (
                stripped
                and len(stripped) <= HEADING_CHARS
                and _NO_END_PUNCTUATION.search(stripped)
                and _STARTS_LIKE_A_SENTENCE.match(following)
            ):
                blocks.append("\n".join(current))
                current = []
        blocks.append("\n".join(current))
    return blocks


def _split_block(flat: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _boundaries(flat):
        end = match
        if end <= start:
            continue
        candidate = flat[start:end].strip()
        if candidate and not _ends_with_abbreviation(candidate):
            parts.append(candidate)
            start = end
    tail = flat[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _boundaries(flat: str) -> list[int]:
    ends = {m.end() for m in _LATIN_END.finditer(flat)}
    ends.update(m.end() for m in _CJK_END.finditer(flat) if m.end() < len(flat))
    return sorted(ends)


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rstrip("\"')] ").rsplit(" ", 1)[-1].lower().rstrip(".")
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def _join_short(pieces: list[str]) -> list[str]:
    """Join each too-short piece to the one before it (to the next one at the start)."""
    joined: list[str] = []
    carry = ""
    for piece in pieces:
        if carry:
            piece, carry = _concat(carry, piece), ""
        if _width(piece) >= MIN_SENTENCE_CHARS:
            joined.append(piece)
        elif joined:
            joined[-1] = _concat(joined[-1], piece)
        else:
            carry = piece
    if carry:
        joined.append(carry)
    return joined


def _width(text: str) -> int:
    """Length with Chinese and Japanese characters counted twice (they carry more)."""
    return len(text) + len(CJK_CHAR.findall(text))


def join_sentences(sentences: Sequence[str]) -> str:
    """Sentences joined back into text: spaces between words, none between CJK characters."""
    text = ""
    for sentence in sentences:
        text = _concat(text, sentence) if text else sentence
    return text


def _concat(left: str, right: str) -> str:
    """Join two pieces: no space between Chinese or Japanese characters."""
    if CJK_CHAR.match(left[-1:]) or CJK_CHAR.match(right[:1]) or left[-1:] in "。！？；":
        return left + right
    return f"{left} {right}"


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    cuts: list[str] = []
    current = ""
    for clause in _CLAUSE_BREAK.split(sentence):
        if current and len(current) + len(clause) + 1 > max_chars:
            cuts.append(current)
            current = ""
        current = _concat(current, clause) if current else clause
    if current:
        cuts.append(current)
    return [part for cut in cuts for part in _hard_cut(cut, max_chars)]


def _hard_cut(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    parts = []
    while len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        cut = cut if cut > max_chars // 2 else max_chars
        parts.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        parts.append(text)
    return parts
