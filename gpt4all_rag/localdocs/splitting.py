"""Token-aware splitting: chunks measured in the embedding model's tokens, so none is truncated.

How a page becomes chunks:

1. **Pieces.** The text is cut, top-down, at the coarsest separator that makes each piece fit:
   paragraphs (blank lines), lines, sentences (``. ? ! …`` followed by a space, or ``。！？．``
   with no space, as in Chinese and Japanese), clauses (``; : ,`` followed by a space, or
   ``；：，、``), words (whitespace), and last single characters (CJK text has no spaces). A
   separator stays at the end of the piece before it, so the pieces tile the text exactly. A
   paragraph that fits stays one piece; only pieces that are too long are cut further, and how
   a paragraph is cut depends on that paragraph alone.
2. **Packing.** Pieces are added to the current chunk while they fit in ``chunk_tokens``. When
   the next piece does not fit, the chunk is closed, unless it is less than half full: then the
   piece is cut at its next finer separator and the chunk is filled with what fits.
3. **Anchors (content-defined boundaries).** Packing alone would make every boundary depend on
   everything before it, so that one edit would move every chunk after it. A chunk that is at
   least half full is also closed after a piece that ends a paragraph, line or sentence when a
   hash of that piece's text selects it (one paragraph end in 2, one line or sentence end in
   4). The decision depends on the piece's text only, so after an edit both the old and the new
   packing soon close at the same anchor, and from there the chunks are the same again: an edit
   changes its own chunk and usually one or two neighbours, not the rest of the page. This is
   why boundaries are anchored on separators rather than on a sliding window of fixed token
   length, which would shift every later chunk.
4. **Overlap.** Each chunk after the first starts with up to ``overlap_tokens`` tokens of the
   previous chunk's end, starting at a sentence start when one keeps at least half of that
   budget, else at a clause start likewise, else at a word (or CJK character) start.

Tokens are counted without the model's special tokens; ``chunk_tokens`` plus the special tokens
(``[CLS]`` and ``[SEP]`` for all-MiniLM-L6-v2) must fit ``counter.max_tokens``. Counting is fast
when the counter offers ``token_offsets(text)`` (one tokenizer call per page, then any span is
counted by bisection, see :class:`gpt4all_rag.embeddings.GPT4AllEmbeddings`); any object with
``count_tokens`` and ``max_tokens`` works, with one tokenizer call per candidate span. Either
way each finished chunk is counted once exactly and shrunk if the model's tokenizer disagrees
with the estimate, so no chunk is ever truncated. Very long texts are processed in sections of
about 100,000 characters cut at paragraph or line breaks, so memory stays bounded.

Splitting is deterministic: the same text and settings always give the same chunks.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from itertools import pairwise
from typing import NamedTuple, Protocol, runtime_checkable

from langchain_core.documents import Document
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gpt4all_rag.errors import ChunkSizeError

_SEPARATORS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n[^\S\n]*\n\s*"),  # 0 paragraph: a blank line
    re.compile(r"\n\s*"),  # 1 line
    re.compile(r"[.?!…][\"'”’)\]]*\s+|[。！？｡．][\"'”’」』）)\]]*\s*"),  # 2 sentence
    re.compile(r"[;:,][\"'”’)\]]*\s+|[；：，、､][\"'”’」』）)\]]*\s*"),  # 3 clause
    re.compile(r"\s+"),  # 4 word
)
_CHARACTER_LEVEL = len(_SEPARATORS)
_SENTENCE_LEVEL = 2
_CLAUSE_LEVEL = 3
_ANCHOR_ODDS = {0: 2, 1: 4, 2: 4}
"""One piece end in N at that level (paragraph, line, sentence) is an anchor."""
_ANCHOR_MIN_FILL = 0.5
"""A chunk closes at an anchor once it holds this share of ``chunk_tokens``."""
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\uff66-\uff9f"
_WORD_START = re.compile(rf"(?<=\s)(?=\S)|(?<=[{_CJK}。！？；：，、])(?=\S)|(?=[{_CJK}])")
_SECTION_CHARS = 100_000


class SplitSettings(BaseModel):
    """How documents are cut into chunks, in the embedding model's tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_tokens: int = Field(default=200, ge=16, le=8192)
    """Most tokens in a chunk, overlap included, special tokens excluded."""
    overlap_tokens: int = Field(default=32, ge=0, le=4096)
    """Most tokens a chunk repeats from the end of the previous one."""

    @model_validator(mode="after")
    def _overlap_below_half(self) -> SplitSettings:
        if self.overlap_tokens * 2 > self.chunk_tokens:
            raise ValueError(
                f"overlap_tokens ({self.overlap_tokens}) must be at most half of chunk_tokens "
                f"({self.chunk_tokens})"
            )
        return self


DEFAULT_SPLIT_SETTINGS = SplitSettings()


@runtime_checkable
class TokenCounter(Protocol):
    """Counts a model's tokens; an embeddings object such as GPT4AllEmbeddings is one."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text``, special tokens included."""
        ...

    @property
    def max_tokens(self) -> int:
        """Longest input, in tokens, before the model truncates."""
        ...


def check_settings(counter: TokenCounter, settings: SplitSettings) -> int:
    """Check that chunks of ``settings`` fit the model; return its number of special tokens.

    Raises:
        ChunkSizeError: ``chunk_tokens`` plus the special tokens exceed ``counter.max_tokens``.
    """
    special = counter.count_tokens("")
    largest = counter.max_tokens - special
    if settings.chunk_tokens > largest:
        raise ChunkSizeError(
            f"chunk_tokens={settings.chunk_tokens} does not fit the embedding model: it reads at "
            f"most {counter.max_tokens} tokens, {special} of them special, so chunk_tokens can be "
            f"at most {largest}. Lower chunk_tokens (the default is "
            f"{DEFAULT_SPLIT_SETTINGS.chunk_tokens})."
        )
    return special


def split_documents(
    documents: Iterable[Document],
    counter: TokenCounter,
    settings: SplitSettings = DEFAULT_SPLIT_SETTINGS,
) -> Iterator[Document]:
    """Split documents into chunks that the embedding model reads whole.

    Args:
        documents: Pages or files; their metadata is copied to every chunk.
        counter: The embedding model's token counter (``count_tokens`` and ``max_tokens``).
        settings: Chunk and overlap sizes in tokens.

    Returns:
        Chunks in document order, each with the document's metadata plus ``start_index`` (offset
        of the chunk in the document text) and ``chunk_hash`` (sha256 hex of the chunk text).

    Raises:
        ChunkSizeError: The chunks would not fit the model (checked before anything is split).
    """
    special = check_settings(counter, settings)
    return _split_all(documents, counter, settings, special)


def split_text(
    text: str, counter: TokenCounter, settings: SplitSettings = DEFAULT_SPLIT_SETTINGS
) -> list[tuple[int, str]]:
    """Split one text; return ``(start_index, chunk_text)`` pairs."""
    special = check_settings(counter, settings)
    return list(_split_text(text, counter, settings, special))


def _split_all(
    documents: Iterable[Document], counter: TokenCounter, settings: SplitSettings, special: int
) -> Iterator[Document]:
    for document in documents:
        for start, chunk in _split_text(document.page_content, counter, settings, special):
            metadata = {
                **document.metadata,
                "start_index": start,
                "chunk_hash": hashlib.sha256(chunk.encode("utf-8")).hexdigest(),
            }
            yield Document(page_content=chunk, metadata=metadata)


def _split_text(
    text: str, counter: TokenCounter, settings: SplitSettings, special: int
) -> Iterator[tuple[int, str]]:
    for offset, end in _sections(text):
        section = text[offset:end]
        for start, chunk in _SectionSplitter(section, counter, settings, special).chunks():
            yield offset + start, chunk


def _sections(text: str) -> Iterator[tuple[int, int]]:
    """Cut a long text at paragraph, line or word breaks into spans of at most ~100k chars."""
    start = 0
    while len(text) - start > _SECTION_CHARS:
        low, high = start + _SECTION_CHARS // 2, start + _SECTION_CHARS
        end = high
        for separator in ("\n\n", "\n", " "):
            found = text.rfind(separator, low, high)
            if found != -1:
                end = found + len(separator)
                break
        yield start, end
        start = end
    if start < len(text):
        yield start, len(text)


class _Piece(NamedTuple):
    start: int
    end: int
    tokens: int
    end_level: int
    """Level of the separator that ends the piece (``_CHARACTER_LEVEL`` for none)."""
    inner_level: int
    """First separator level at which the piece could be cut further."""


class _SpanCounter:
    """Tokens of any span of one text, special tokens excluded."""

    def __init__(self, text: str, counter: TokenCounter, special: int) -> None:
        self._text = text
        self._counter = counter
        self._special = special
        self._cache: dict[tuple[int, int], int] = {}
        offsets_of: Callable[[str], Sequence[tuple[int, int]] | None] | None = getattr(
            counter, "token_offsets", None
        )
        offsets = offsets_of(text) if callable(offsets_of) else None
        self._starts = [start for start, _ in offsets] if offsets is not None else None
        self._ends = [end for _, end in offsets] if offsets is not None else []

    def count(self, start: int, end: int) -> int:
        """Tokens overlapping ``[start, end)``: exact at word boundaries, never less elsewhere."""
        if start >= end:
            return 0
        if self._starts is not None:
            return max(0, bisect_left(self._starts, end) - bisect_right(self._ends, start))
        key = (start, end)
        tokens = self._cache.get(key)
        if tokens is None:
            tokens = self._counter.count_tokens(self._text[start:end]) - self._special
            self._cache[key] = tokens
        return tokens

    def exact(self, text: str) -> int:
        """What the model's tokenizer says, special tokens excluded."""
        return self._counter.count_tokens(text) - self._special


class _SectionSplitter:
    """Splits one section of text (see the module docstring for the method)."""

    def __init__(
        self, text: str, counter: TokenCounter, settings: SplitSettings, special: int
    ) -> None:
        self.text = text
        self.counts = _SpanCounter(text, counter, special)
        self.chunk_tokens = settings.chunk_tokens
        self.overlap_tokens = settings.overlap_tokens
        self.piece_budget = settings.chunk_tokens - settings.overlap_tokens
        self.half = settings.chunk_tokens // 2
        self.anchor_min = int(settings.chunk_tokens * _ANCHOR_MIN_FILL)

    # -- pieces

    def pieces(self, start: int, end: int, level: int, end_level: int) -> Iterator[_Piece]:
        tokens = self.counts.count(start, end)
        if tokens <= self.piece_budget:
            yield _Piece(start, end, tokens, end_level, level)
            return
        divided = self._divide(start, end, level, end_level)
        if divided is None:
            yield from self._cut_characters(start, end, end_level)
        else:
            yield from divided

    def _divide(self, start: int, end: int, level: int, end_level: int) -> Iterator[_Piece] | None:
        """Cut ``[start, end)`` at the first separator level that occurs in it."""
        for current in range(level, _CHARACTER_LEVEL):
            cuts = [
                match.end()
                for match in _SEPARATORS[current].finditer(self.text, start, end)
                if start < match.end() < end
            ]
            if cuts:
                return self._sub_pieces([start, *cuts, end], current, end_level)
        return None

    def _sub_pieces(self, bounds: list[int], level: int, end_level: int) -> Iterator[_Piece]:
        last = bounds[-1]
        for start, end in pairwise(bounds):
            yield from self.pieces(start, end, level + 1, end_level if end == last else level)

    def _cut_characters(self, start: int, end: int, end_level: int) -> Iterator[_Piece]:
        """Longest runs of characters that fit (a word longer than a chunk, or spaceless text)."""
        while start < end:
            low, high = start + 1, end
            while low < high:
                middle = (low + high + 1) // 2
                if self.counts.count(start, middle) <= self.piece_budget:
                    low = middle
                else:
                    high = middle - 1
            level = end_level if low == end else _CHARACTER_LEVEL
            yield _Piece(start, low, self.counts.count(start, low), level, _CHARACTER_LEVEL)
            start = low

    def _subdivide(self, piece: _Piece) -> list[_Piece] | None:
        if piece.inner_level >= _CHARACTER_LEVEL:
            return None
        divided = self._divide(piece.start, piece.end, piece.inner_level, piece.end_level)
        return None if divided is None else list(divided)

    # -- packing

    def chunks(self) -> Iterator[tuple[int, str]]:
        queue = deque(self.pieces(0, len(self.text), 0, 0))
        chunk_start = core_start = core_end = 0
        used = core_tokens = 0
        while queue or core_end > core_start:
            piece = queue.popleft() if queue else None
            if piece is None or (core_end > core_start and used + piece.tokens > self.chunk_tokens):
                if piece is not None:
                    if core_tokens < self.half and (parts := self._subdivide(piece)):
                        queue.extendleft(reversed(parts))
                        continue
                    queue.appendleft(piece)
                chunk_start, core_start, used = yield from self._close(
                    queue, chunk_start, core_start, core_end
                )
                core_end, core_tokens = core_start, 0
                continue
            core_end = piece.end
            used += piece.tokens
            core_tokens += piece.tokens
            if used >= self.anchor_min and self._is_anchor(piece):
                chunk_start, core_start, used = yield from self._close(
                    queue, chunk_start, core_start, core_end
                )
                core_end, core_tokens = core_start, 0

    def _is_anchor(self, piece: _Piece) -> bool:
        odds = _ANCHOR_ODDS.get(piece.end_level)
        if odds is None:
            return False
        digest = hashlib.blake2b(self.text[piece.start : piece.end].encode("utf-8"), digest_size=4)
        return int.from_bytes(digest.digest(), "big") % odds == 0

    def _close(
        self, queue: deque[_Piece], chunk_start: int, core_start: int, core_end: int
    ) -> Generator[tuple[int, str], None, tuple[int, int, int]]:
        """Emit ``[chunk_start, core_end)`` (shrunk if it does not fit); start the next chunk.

        Returns ``(chunk_start, core_start, tokens used)`` of the next chunk.
        """
        end = self._fitting_end(chunk_start, core_start, core_end)
        if end == core_start:  # not even one word fits after the overlap: drop the overlap
            chunk_start = core_start
            end = self._fitting_end(chunk_start, core_start, core_end)
        if end < core_end:
            tokens = self.counts.count(end, core_end)
            queue.appendleft(_Piece(end, core_end, tokens, _CHARACTER_LEVEL, 0))
        raw = self.text[chunk_start:end]
        chunk = raw.strip()
        if chunk:
            yield chunk_start + len(raw) - len(raw.lstrip()), chunk
        overlap_start = self._overlap_start(core_start, end)
        return overlap_start, end, self.counts.count(overlap_start, end)

    def _fitting_end(self, chunk_start: int, core_start: int, core_end: int) -> int:
        """``core_end``, or the last word start before it such that the chunk fits exactly.

        Returns ``core_start`` when no word fits after an overlap; without overlap, at least one
        character is always taken, so splitting always moves on.
        """
        if self._fits(chunk_start, core_end):
            return core_end
        words = self._word_starts(core_start, core_end)
        end = self._last_fitting(chunk_start, words)
        if end is None and chunk_start == core_start:
            first_word_end = words[0] if words else core_end
            end = self._last_fitting(chunk_start, list(range(core_start + 1, first_word_end)))
            return end or core_start + 1
        return end or core_start

    def _fits(self, start: int, end: int) -> bool:
        return self.counts.exact(self.text[start:end].strip()) <= self.chunk_tokens

    def _last_fitting(self, start: int, ends: list[int]) -> int | None:
        """The last of the increasing ``ends`` at which ``[start, end)`` fits (bisection)."""
        low, high = 0, len(ends)  # how many of ``ends`` fit
        while low < high:
            middle = (low + high + 1) // 2
            if self._fits(start, ends[middle - 1]):
                low = middle
            else:
                high = middle - 1
        return ends[low - 1] if low else None

    def _word_starts(self, start: int, end: int) -> list[int]:
        return [
            match.start()
            for match in _WORD_START.finditer(self.text, start, end)
            if start < match.start() < end
        ]

    def _overlap_start(self, core_start: int, end: int) -> int:
        """Where the next chunk starts: up to ``overlap_tokens`` before ``end``, at a good start."""
        if self.overlap_tokens == 0:
            return end
        window = max(core_start, end - self.overlap_tokens * 16)
        starts = self._word_starts(window, end)
        if window == core_start:  # the whole previous core may be repeated, if it is short
            starts.insert(0, core_start)
        low, high = 0, len(starts)  # first start whose tail fits the overlap
        while low < high:
            middle = (low + high) // 2
            if self.counts.count(starts[middle], end) <= self.overlap_tokens:
                high = middle
            else:
                low = middle + 1
        if low == len(starts):
            return end
        for deepest in (_SENTENCE_LEVEL, _CLAUSE_LEVEL):
            unit_starts = [
                match.end()
                for level in range(deepest + 1)
                for match in _SEPARATORS[level].finditer(self.text, max(0, window - 64), end)
                if starts[low] <= match.end() < end
            ]
            if unit_starts and self.counts.count(min(unit_starts), end) * 2 >= self.overlap_tokens:
                return min(unit_starts)
        return starts[low]
