"""Is a model's answer supported by the quoted evidence?

A 270M model restates questions, drops negations and invents numbers. Its sentence is kept only
when what it asserts can be checked against the evidence: it holds at least one number,
identifier, quoted string or proper name, each of them appears in the evidence, half of its
words do too, and it says something the question does not already say. A Chinese answer has few
such tokens: most of its character pairs must be found in the evidence instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpt4all_rag.text.claims import checkable_claims
from gpt4all_rag.text.relevance import content_terms, is_mostly_cjk, stem
from gpt4all_rag.text.terms import CJK_RUN, STOPWORDS, WORD, normalize

CJK_SUPPORT = 0.7
"""Share of an answer's Chinese character pairs that the evidence must hold."""


def restates_question(answer: str, question: str) -> bool:
    """Whether the answer adds nothing to the question: no content term and no checkable
    claim that the question lacks (or it is empty)."""
    answer_terms = set(content_terms(answer))
    if not answer_terms:
        return True
    asked = normalize(question)
    new_claims = [claim for claim in checkable_claims(answer) if claim not in asked]
    return not new_claims and answer_terms <= set(content_terms(question))


def is_supported(answer: str, evidence: Sequence[str], question: str) -> bool:
    """Whether ``answer`` says something new that the evidence backs.

    Args:
        answer: The model's answer, citations removed.
        evidence: The quoted sentences the model was given.
        question: The question it answers.
    """
    if not answer.strip() or restates_question(answer, question):
        return False
    quoted = normalize(" ".join(evidence))
    if is_mostly_cjk(answer):
        return _cjk_share(answer, quoted) >= CJK_SUPPORT
    claims = checkable_claims(answer)
    if not claims or any(claim not in quoted for claim in claims):
        return False  # nothing to check is nothing to trust
    return _word_share(answer, quoted) >= 0.5


def _cjk_share(answer: str, quoted: str) -> float:
    pairs = _cjk_pairs(normalize(answer))
    return sum(pair in quoted for pair in pairs) / len(pairs) if pairs else 0.0


def _word_share(answer: str, quoted: str) -> float:
    """Share of the answer's content words (stemmed) found in the evidence."""
    words = _content_words(normalize(answer))
    return len(words & _content_words(quoted)) / len(words) if words else 0.0


def closest_sentence(answer: str, sentences: Sequence[str]) -> int:
    """Index of the sentence sharing the most words (or Chinese character pairs) with
    ``answer``; the first one on a tie."""
    wanted = _units(answer)
    overlaps = [len(wanted & _units(sentence)) for sentence in sentences]
    return overlaps.index(max(overlaps))


def quoted_answer(quote: str, number: int, question: str) -> str:
    """The answer that is a quote: a short lead-in, the sentence verbatim, its citation."""
    if is_mostly_cjk(question):
        return f"文件中写道：“{quote}” [{number}]"
    return f"Your files say: “{quote}” [{number}]"


def with_quote(said: str, cited: int, quote: str, quoted: int) -> str:
    """The model's sentence with its citation, then the quote with its own (when it is from
    another source), unless the sentence copies the quote.

    Args:
        said: The model's supported sentence.
        cited: The source it draws on.
        quote: The best evidence quote.
        quoted: The source of the quote.
    """
    if copies_quote(said, quote):
        return f"{said} [{cited}]"
    own = f" [{quoted}]" if quoted != cited else ""
    return f"{said} [{cited}] — “{quote}”{own}"


def and_quote(answer: str, quote: str, number: int) -> str:
    """The answer followed by one more quote with its citation."""
    return f"{answer} “{quote}” [{number}]"


def copies_quote(said: str, quote: str) -> bool:
    """Whether ``said`` is (nearly all) words of ``quote``."""
    wanted = _units(said)
    return bool(wanted) and len(wanted & _units(quote)) >= 0.8 * len(wanted)


def _units(text: str) -> set[str]:
    """Stemmed content words and Chinese character pairs: what two texts share."""
    normalized = normalize(text)
    return _content_words(normalized) | set(_cjk_pairs(normalized))


def _content_words(normalized: str) -> set[str]:
    return {stem(w) for w in WORD.findall(normalized) if w not in STOPWORDS}


def _cjk_pairs(normalized: str) -> list[str]:
    return [run[i : i + 2] for run in CJK_RUN.findall(normalized) for i in range(len(run) - 1)]
