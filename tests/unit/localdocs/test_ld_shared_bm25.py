"""The shared keyword index scores as SQLite FTS5 does: same tokens, same BM25 (no server)."""

from __future__ import annotations

import random
import sqlite3

import pytest

from gpt4all_rag.localdocs.keyword_index import fts_query, keyword_terms
from gpt4all_rag.localdocs.shared_record import NEVER, SharedRecord, strip, visible
from gpt4all_rag.localdocs.shared_terms import _bm25, _Phrase, idf
from gpt4all_rag.localdocs.shared_tokens import (
    TOKENIZER,
    chunk_tokens,
    document_frequencies,
    phrase_count,
    query_phrases,
)

WORDS = [
    "model",
    "models",
    "modeling",
    "linear",
    "regression",
    "fit",
    "fitted",
    "plot",
    "axis",
    "log",
    "scale",
    "the",
    "a",
    "of",
]
CHINESE = ["机器学习", "模型", "线性回归", "数据", "图表"]


def _corpus(seed: int, size: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(size):
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 40))]
        if rng.random() < 0.4:
            words.append(rng.choice(CHINESE))
        texts.append(" ".join(words).capitalize())
    return texts


def _fts5_ranking(texts: list[str], query: str) -> list[tuple[int, float]]:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{TOKENIZER}')")
    db.executemany(
        "INSERT INTO t (rowid, x) VALUES (?, ?)",
        [(i, keyword_terms(text)) for i, text in enumerate(texts)],
    )
    rows = db.execute(
        "SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t), rowid", [fts_query(query)]
    ).fetchall()
    return [(rowid, -score) for rowid, score in rows]


@pytest.mark.parametrize(
    "query", ["fitted models", "log scale plot", "机器学习模型", "the linear regression", "axis"]
)
def test_scores_equal_fts5_bm25(query: str) -> None:
    texts = _corpus(seed=len(query), size=300)
    tokens = chunk_tokens(texts)
    df = document_frequencies(tokens)
    avgdl = sum(len(t) for t in tokens) / len(tokens)
    phrases = [
        _Phrase(term, tuple(p), min(df[x] for x in p), idf(len(texts), min(df[x] for x in p)))
        for term, p in query_phrases(query)
    ]
    ours = sorted(
        ((i, _bm25(t, phrases, avgdl)) for i, t in enumerate(tokens)), key=lambda x: (-x[1], x[0])
    )
    expected = _fts5_ranking(texts, query)
    assert expected
    got = [(i, score) for i, score in ours if score > 0]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected])
    assert _by_score(got) == _by_score(expected)  # ties in any order (sums differ in the ulp)


def _by_score(pairs: list[tuple[int, float]]) -> list[tuple[float, int]]:
    return sorted((-round(score, 9), i) for i, score in pairs)


def test_tokens_are_fts5s_porter_tokens_with_cjk_grams() -> None:
    assert chunk_tokens(["Fitting Models", "机器学习"]) == [
        ["fit", "model"],
        ["机", "器", "学", "习", "机器", "器学", "学习"],
    ]
    assert query_phrases("How are models fitted? 机器学习") == [
        ("how", ("how",)),
        ("are", ("ar",)),
        ("models", ("model",)),
        ("fitted", ("fit",)),
        ("机器", ("机器",)),
        ("器学", ("器学",)),
        ("学习", ("学习",)),
    ]
    assert phrase_count(["a", "b", "a", "b"], ("a", "b")) == 2


def test_visibility_filter_and_record() -> None:
    assert visible(None, None) is None
    assert visible({"source": "x"}, None) == {"source": "x"}
    assert visible({"source": "x"}, 3) == {
        "$and": [
            {"gpt4all_rag_from": {"$lte": 3}},
            {"gpt4all_rag_until": {"$gt": 3}},
            {"source": "x"},
        ]
    }
    assert strip({"source": "x", "gpt4all_rag_from": 1, "gpt4all_rag_until": NEVER}) == {
        "source": "x"
    }
    record = SharedRecord.from_metadata(
        {"gpt4all_rag_embedding_model": "m", "gpt4all_rag_generation": 4, "gpt4all_rag_chunks": 9}
    )
    assert (record.model, record.generation, record.chunks, record.stats_pending) == (
        "m",
        4,
        9,
        False,
    )


@pytest.mark.parametrize(
    ("query", "text", "found"),
    [
        ("models", "Fitting a Model in R", True),  # the stem as a prefix
        ("modeling", "linear models", True),
        ("happiness", "a happy user", True),  # Porter's y -> i
        ("var", "set my_var first", True),  # FTS5 splits at "_"
        ("i", "in it is", False),  # short words match whole
        ("i", "What do I do?", True),
        ("how", "shows", False),  # words match at their start
        ("机器", "学习机器人", True),
        ("sudo", "用sudo运行", True),  # a word right after Chinese text
        ("i", "我i", True),
        ("snake_case", "a snake case name", True),
    ],
)
def test_the_server_prefilter_finds_the_chunks_fts5_matches(
    query: str, text: str, found: bool
) -> None:
    import re

    from gpt4all_rag.localdocs.shared_terms import _pattern

    term, tokens = query_phrases(query)[0]
    pattern = "(?i)(" + _pattern(_Phrase(term, tokens, 1, 1.0)) + ")"
    assert bool(re.search(pattern, text)) is found
