"""Citations in an answer: checked against the numbered sources, while streaming and after.

The model is asked to cite sources as ``[n]``. Numbers that match no source are removed from the
text as it streams (a ``[`` is held back until it is known to be a citation or not). When the
model cites nothing valid (small base models seldom cite), a source counts as cited when it
supports the answer (:func:`supporting_sources`): it holds at least :data:`SUPPORT_THRESHOLD` of
the answer's content words, each weighted by how rare it is among the sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gpt4all_rag.text.relevance import content_terms, coverage, coverages

SUPPORT_THRESHOLD = 0.6
"""Weighted share of the answer's content words a source must hold to count as its support."""

_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_PARTIAL = re.compile(r"\[\s*(?:\d+(?:\s*[,;]\s*\d*)*\s*)?")
_MAX_HELD = 32


class CitationFilter:
    """Removes citation numbers outside ``1..sources`` from streamed text, and records the rest.

    Example:
        >>> f = CitationFilter(2)
        >>> f.feed("Use lm() [1") + f.feed("] or glm() [7].") + f.flush()
        'Use lm() [1] or glm().'
        >>> f.cited
        [1]
    """

    def __init__(self, sources: int) -> None:
        self.sources = sources
        self.cited: list[int] = []
        """Valid source numbers cited so far, in order of first citation."""
        self._held = ""
        self._space = ""  # trailing whitespace not yet released: dropped with a removed citation

    def feed(self, piece: str) -> str:
        """The part of the text so far that can be released."""
        text = self._held + piece
        self._held = ""
        out: list[str] = []
        position = 0
        while position < len(text):
            start = text.find("[", position)
            if start < 0:
                self._release(out, text[position:])
                break
            self._release(out, text[position:start])
            match = _CITATION.match(text, start)
            if match:
                kept = self._keep_valid(match.group())
                if kept:
                    self._release(out, kept)
                else:
                    self._space = ""  # "see [9]." -> "see."
                position = match.end()
                continue
            rest = text[start:]
            if len(rest) <= _MAX_HELD and _PARTIAL.fullmatch(rest):
                self._held = rest  # may still become a citation
                break
            self._release(out, "[")
            position = start + 1
        return "".join(out)

    def flush(self) -> str:
        """Whatever is still held back (at the end of the stream)."""
        rest = self._space + self._held
        self._space = self._held = ""
        return rest

    def _release(self, out: list[str], text: str) -> None:
        if not text:
            return
        body = text.rstrip()
        if body:
            out.append(self._space + body)
            self._space = ""
        self._space += text[len(body) :]

    def _keep_valid(self, citation: str) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", citation)]
        valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= self.sources]
        for number in valid:
            if number not in self.cited:
                self.cited.append(number)
        return "[" + ", ".join(str(n) for n in valid) + "]" if valid else ""


def clean_citations(text: str, sources: int) -> tuple[str, list[int]]:
    """Remove citation numbers that match no source; return the text and the valid numbers."""
    citations = CitationFilter(sources)
    cleaned = citations.feed(text) + citations.flush()
    return cleaned, citations.cited


def without_citations(text: str) -> str:
    """``text`` with its ``[n]`` / ``[n, m]`` markers (and the space before them) removed."""
    return re.sub(rf"\s*{_CITATION.pattern}", "", text).strip()


def supporting_sources(answer: str, texts: Sequence[str], question: str = "") -> list[int]:
    """Numbers (1-based) of the sources that support an answer that cites none.

    The evidence is the answer's content words that the question does not already contain
    (restating the question proves nothing). If fewer than half of them occur in any source, the
    answer is not grounded in the sources and none is marked. Otherwise each source's share of
    the words found, weighted by rarity among the sources, must reach :data:`SUPPORT_THRESHOLD`.

    Args:
        answer: The answer text.
        texts: The sources' texts, in prompt order.
        question: The question that was answered.

    Returns:
        The supporting source numbers, in order; empty when none qualifies.
    """
    terms = content_terms(answer)
    asked = set(content_terms(question))
    terms = [t for t in terms if t not in asked] or terms
    if not terms or not texts:
        return []
    found = [t for t in terms if any(coverage([t], text) for text in texts)]
    if len(found) < len(terms) / 2:
        return []
    shares = coverages(found, list(texts))
    return [i for i, share in enumerate(shares, start=1) if share >= SUPPORT_THRESHOLD]
