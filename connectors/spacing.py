"""Text that lost its spaces: a measurable rule for pages whose words run together.

Some PDF text extractors join the words of a line into one ("toavoidconflictswiththe..."),
which defeats keyword search and answers over the page. The rule looks only at alphabetic
scripts that separate words with spaces (Latin, Greek, Cyrillic): a *word* is a
whitespace-separated token with at least one such letter, and it is *run together* when it
holds a run of more than :data:`RUN_TOGETHER_LETTERS` such letters with nothing in between.
Letters, not characters, so that URLs, paths and ``SNAKE_CASE_NAMES`` (long tokens, short
letter runs) do not count. CJK, Thai and other scripts written without spaces hold no such
letters and are never flagged.

A page *looks space-less* when it has at least :data:`MIN_LETTERS` such letters and at
least :data:`SPACELESS_SHARE` of them are in run-together words. On the R manuals and the
gnuplot manual (PDFium text, about 6,000 pages) no page comes near: the highest share is
6%, on pages of long URLs and ``suppressPackageStartupMessages``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MIN_LETTERS",
    "RUN_TOGETHER_LETTERS",
    "SPACELESS_SHARE",
    "SpacingStats",
    "looks_spaceless",
    "spacing_stats",
]

RUN_TOGETHER_LETTERS = 25
"""A word with a longer unbroken run of letters than this counts as run together."""
SPACELESS_SHARE = 0.3
"""Share of a page's letters in run-together words from which the page looks space-less."""
MIN_LETTERS = 50
"""Pages with fewer letters (of spaced scripts) than this are never flagged: too little to judge."""

_LETTER_CLASS = (
    "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff\u1e00-\u1eff]"
)
_LETTERS = re.compile(f"{_LETTER_CLASS}+")
_RUN_TOGETHER = re.compile(f"{_LETTER_CLASS}{{{RUN_TOGETHER_LETTERS + 1},}}")


@dataclass(frozen=True)
class SpacingStats:
    """Counts over the words of a text that have letters of a spaced script."""

    words: int
    """Words with at least one letter of a spaced script."""
    long_words: int
    """Of those, words longer than :data:`RUN_TOGETHER_LETTERS` characters (plain length)."""
    run_together: int
    """Of those, words with an unbroken letter run longer than :data:`RUN_TOGETHER_LETTERS`."""
    letters: int
    """Letters of spaced scripts in all those words."""
    run_together_letters: int
    """Letters of spaced scripts in the run-together words."""

    @property
    def run_together_share(self) -> float:
        """Share of the letters that are in run-together words (0.0 for no letters)."""
        return self.run_together_letters / self.letters if self.letters else 0.0

    @property
    def spaceless(self) -> bool:
        """True when the text looks space-less by the module's rule."""
        return self.letters >= MIN_LETTERS and self.run_together_share >= SPACELESS_SHARE


def spacing_stats(text: str) -> SpacingStats:
    """Count the words, long words and run-together words of a text.

    Args:
        text: Page text.

    Returns:
        The counts; see :class:`SpacingStats`.
    """
    words = long_words = run_together = letters = run_letters = 0
    for token in text.split():
        runs = _LETTERS.findall(token)
        if not runs:
            continue
        count = sum(len(run) for run in runs)
        words += 1
        letters += count
        if len(token) > RUN_TOGETHER_LETTERS:
            long_words += 1
        if max(len(run) for run in runs) > RUN_TOGETHER_LETTERS:
            run_together += 1
            run_letters += count
    return SpacingStats(words, long_words, run_together, letters, run_letters)


def looks_spaceless(text: str) -> bool:
    """Return True when the text's words look run together (see the module docstring)."""
    if not _RUN_TOGETHER.search(text):  # the common case, and a fast one
        return False
    return spacing_stats(text).spaceless
