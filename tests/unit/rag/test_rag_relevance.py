"""The relevance floor: its lexical measures and its question-level rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs import LocalDocs
from gpt4all_rag.localdocs.retriever import (
    FLOOR_RULE,
    FLOOR_RULE_CJK,
    FloorEvidence,
    HybridRetriever,
    _weighted_fusion,
)
from gpt4all_rag.text.relevance import (
    ABBREVIATIONS,
    aliases,
    common_words,
    content_terms,
    coverage,
    coverages,
    is_mostly_cjk,
    is_name,
    stem,
    term_words,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [("times", "time"), ("duplicates", "duplicated"), ("fitted", "fit"), ("values", "value")],
)
def test_stem_joins_inflections(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_content_terms_drop_question_words() -> None:
    assert content_terms("What does na.locf do?") == ["na", "locf"]
    assert content_terms("How do I fit a linear model in R?") == ["fit", "linear", "model", "r"]
    assert content_terms("What is the?") == []


def test_content_terms_chinese() -> None:
    assert content_terms("什么是本地化？") == ["本地", "地化"]
    assert content_terms("如何重新配置语言环境？")[:3] == ["重新", "新配", "配置"]
    assert content_terms("猫") == ["猫"]


def test_coverage_plain_share() -> None:
    terms = content_terms("How can I remove duplicate times?")
    assert coverage(terms, "Duplicated time stamps are removed by aggregate.") == 1.0
    assert coverage(terms, "Time zones.") == pytest.approx(1 / 3)
    assert coverage([], "anything") == 0.0


def test_weighted_coverage_discounts_words_every_text_has() -> None:
    terms = content_terms("install python package with pip")
    texts = [
        "install the package with R CMD INSTALL",
        "install a package from CRAN",
        "install package python bindings",
    ]
    shares = coverages(terms, texts)
    plain = coverages(terms, texts, weighted=False)
    assert plain[2] == 0.75
    assert shares[2] < 0.7  # "pip", missing everywhere, weighs most
    assert shares[0] < shares[2]


def test_is_mostly_cjk() -> None:
    assert is_mostly_cjk("什么是 UTF-8 语言环境？")
    assert not is_mostly_cjk("What is UTF-8?")
    assert not is_mostly_cjk("???")


def test_term_words_keep_the_word_each_term_stems_from() -> None:
    assert term_words("How do I remove duplicated times with na.locf?") == {
        "remov": "remove",
        "duplicat": "duplicated",
        "tim": "times",
        "na": "na",
        "locf": "locf",
    }
    assert term_words("什么是 UTF-8 语言环境？") == {"utf": "utf"}  # no CJK, no lone digit


def test_names_are_words_the_embedding_vocabulary_lacks() -> None:
    assert {"remove", "bread", "python", "france"} <= common_words()
    assert [is_name(w) for w in ["matplotlib", "hostapd", "ggplot2", "facet_grid", "500mb"]] == [
        True
    ] * 5
    assert [is_name(w) for w in ["remove", "Python", "010", "r", "gc"]] == [False] * 5


@pytest.mark.parametrize(
    "word",
    ["logarithmic", "logarithm", "bake", "configurable", "exponentially", "zoomable", "config"],
)
def test_ordinary_words_the_vocabulary_splits_are_not_names(word: str) -> None:
    """Inflections and derivations of common words, and the abbreviation table's words."""
    assert word not in common_words() and not is_name(word)


@pytest.mark.parametrize(
    "word", ["seaborn", "hostapd", "plotly", "sapply", "rollapply", "docker", "sourdough"]
)
def test_names_stay_names(word: str) -> None:
    assert is_name(word)


def test_abbreviations_match_the_words_they_stand_for() -> None:
    assert "log" in aliases(stem("logarithmic")) and stem("directory") in aliases("dir")
    terms = content_terms("How do I make the y axis logarithmic?")
    text = 'plot(z, log = "y") on a log axis'
    assert coverage(terms, text, abbreviations=True) == 0.75  # not "make"
    assert coverage(terms, text) == 0.5  # off by default (sentence evidence, citations)
    config = content_terms("Where is the config directory?")
    assert coverage(config, "the configuration dir", abbreviations=True) == 1
    # Names are matched as they are: a prefix is no abbreviation unless the table says so.
    assert coverage(content_terms("matplotlib"), "mat <- matrix(1:4, 2)", abbreviations=True) == 0
    assert coverage(content_terms("logistic"), "log scale", abbreviations=True) == 0
    assert all(
        len(short) >= 2 and all(len(w) > len(short) for w in full)
        for short, full in ABBREVIATIONS.items()
    )


def _evidence(**values: float) -> FloorEvidence:
    base = dict(
        cjk=False,
        terms=4,
        similarity=0.0,
        coverage=0.0,
        plain_coverage=0.0,
        absent=0.0,
        agreement=1.0,
        overlap=0.5,
        bm25=10.0,
        unknown=0,
    )
    return FloorEvidence(**(base | values))  # type: ignore[arg-type]


def test_floor_rule_weighs_similarity_coverage_and_unknown_names() -> None:
    strong = _evidence(similarity=0.6, coverage=0.6)
    assert FLOOR_RULE.score(strong) == pytest.approx(9.6 * 0.6 + 8.9 * 0.6 - 9.3)
    assert FLOOR_RULE.score(strong) > 0
    # keyword evidence alone can carry a question the embeddings do not recognise
    assert FLOOR_RULE.score(_evidence(similarity=0.35, coverage=0.75)) > 0
    assert FLOOR_RULE.score(_evidence(similarity=0.45, coverage=0.3)) < 0
    assert FLOOR_RULE.score(_evidence(similarity=0.6, coverage=0.6, unknown=1)) < 0
    cjk = _evidence(cjk=True, similarity=0.9, coverage=0.05)
    assert FLOOR_RULE_CJK.score(cjk) < 0  # similarity does not count for Chinese
    assert FLOOR_RULE_CJK.score(_evidence(cjk=True, coverage=0.1)) > 0
    assert FLOOR_RULE_CJK.score(_evidence(cjk=True, coverage=0.5, unknown=1)) < 0


def test_floor_decision_and_margin(tmp_path: Path) -> None:
    docs = LocalDocs("notes", settings=Settings(home=tmp_path))
    on = HybridRetriever(collections=[docs])
    weak = _evidence(similarity=0.45, coverage=0.3)
    assert on.passes(_evidence(similarity=0.6, coverage=0.6)) and not on.passes(weak)
    assert on.floor_score(weak) == FLOOR_RULE.score(weak)
    assert HybridRetriever(collections=[docs], floor=False).passes(weak)
    assert HybridRetriever(collections=[docs], floor_margin=-3.0).passes(weak)
    assert not HybridRetriever(collections=[docs], floor_margin=4.0).passes(
        _evidence(similarity=0.6, coverage=0.6)
    )


def test_the_per_chunk_floor_fields_are_deprecated(tmp_path: Path) -> None:
    docs = LocalDocs("notes", settings=Settings(home=tmp_path))
    with pytest.warns(DeprecationWarning, match="min_relevance"):
        off = HybridRetriever(collections=[docs], min_relevance=None)
    assert off.floor is False
    with pytest.warns(DeprecationWarning, match="min_keyword_coverage"):
        still_on = HybridRetriever(collections=[docs], min_keyword_coverage=0.5)
    assert still_on.floor is True


def test_weighted_fusion_can_silence_a_ranking() -> None:
    a, b, c = ("c", "1"), ("c", "2"), ("c", "3")
    fused = _weighted_fusion([[a, b], [c, b]], [0.0, 1.0])
    assert [key for key, _ in fused] == [c, b] and fused[0][1] == pytest.approx(1.0)
    even = _weighted_fusion([[a, b], [c, b]], [1.0, 1.0])
    assert even[0][0] == b
