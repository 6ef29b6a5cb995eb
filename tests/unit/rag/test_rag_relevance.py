"""The lexical side of the relevance floor."""

from __future__ import annotations

import pytest

from gpt4all_rag.text.relevance import content_terms, coverage, coverages, is_mostly_cjk, stem


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
