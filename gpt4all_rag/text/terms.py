"""How text is cut into terms, shared by the keyword index and the relevance floor.

Text is compared after NFKC normalization and case folding. Chinese and Japanese have no spaces
between words, so their runs of characters are handled apart from the words of other scripts.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"  # katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0002fa1f"  # extensions B and later
)
CJK_CHAR = re.compile(f"[{_CJK}]")
"""One Chinese or Japanese character."""
CJK_RUN = re.compile(f"[{_CJK}]+")
"""A run of Chinese or Japanese characters."""
WORD = re.compile(rf"[^\W{_CJK}]+")
"""A word of any other script (letters, digits, underscore)."""
CJK_RUN_OR_WORD = re.compile(f"{CJK_RUN.pattern}|{WORD.pattern}")

_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing done down during each either else
    etc ever every few for from further get gets got had has have having he her here hers him
    his how however i if in into is it its itself just let like may me might more most much must
    my no nor not now of off on once one only or other our ours out over own please same shall
    she should so some such tell than that the their theirs them then there these they this
    those through to too under until up upon us use used using very via want was we were what
    whatever when where whether which while who whom whose why will with within without would
    yes you your yours
    t s d ll m re ve don doesn didn isn aren wasn weren hasn haven hadn couldn shouldn wouldn
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""English function words and question words: not content."""


def normalize(text: str) -> str:
    """NFKC-normalized and case-folded text."""
    return unicodedata.normalize("NFKC", text).casefold()
