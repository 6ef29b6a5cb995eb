"""Keyword index: terms for CJK and other scripts, BM25 ranking, Chroma-style filters."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gpt4all_rag.localdocs.chunks import ChunkRecord
from gpt4all_rag.localdocs.keyword_index import KeywordIndex, fts_query, keyword_terms, query_terms
from gpt4all_rag.localdocs.ledger import FileState, FileUpdate, Ledger


def test_cjk_runs_become_unigrams_and_bigrams() -> None:
    assert keyword_terms("机器学习") == "机 器 学 习 机器 器学 学习"


def test_mixed_text_keeps_words_for_fts() -> None:
    terms = keyword_terms("Python 是一种 language")
    assert "python" in terms and "language" in terms
    assert "是一" in terms.split() and "一种" in terms.split()


def test_fullwidth_latin_is_normalized() -> None:
    assert query_terms("ＡＢＣ Ünïcode") == ["abc", "ünïcode"]


def test_query_uses_bigrams_and_single_characters() -> None:
    assert query_terms("机器学习") == ["机器", "器学", "学习"]
    assert query_terms("猫") == ["猫"]
    assert query_terms("ひらがなカタカナ")[:2] == ["ひら", "らが"]


def test_fts_query_quotes_terms_and_survives_syntax() -> None:
    assert fts_query('say "hi" OR NEAR(x)') == '"say" OR "hi" OR "or" OR "near" OR "x"'
    assert fts_query("  ... !!! ") is None


def test_function_words_are_searched_too() -> None:
    assert query_terms("Why is R called R?") == ["why", "is", "r", "called"]
    assert query_terms("如何 sort the 数据框") == ["如何", "sort", "the", "数据", "据框"]


def _record(source: str, seq: int, text: str, **metadata: object) -> ChunkRecord:
    digest = hashlib.sha256(text.encode()).hexdigest()
    meta: dict[str, str | int | float | bool] = {
        "source": source,
        "chunk_hash": digest,
        "start_index": 0,
        "file_type": "txt",
    }
    meta.update(metadata)  # type: ignore[arg-type]
    return ChunkRecord(f"{source}-{seq}", source, seq, digest, text, meta)


@pytest.fixture
def index(tmp_path: Path) -> KeywordIndex:
    path = tmp_path / "ledger.sqlite3"
    texts = {
        "/docs/zh.txt": ["机器学习是人工智能的一个分支。", "今天天气很好，我们去公园散步。"],
        "/docs/en.txt": [
            "Running linear models in R with lm().",
            "The gnuplot manual explains plotting.",
            "Plot plots plotted: plotting everywhere, plotting always.",
        ],
        "/docs/ja.pdf": ["東京は日本の首都です。"],
    }
    with Ledger(path) as ledger:
        updates = []
        for source, chunks in texts.items():
            records = [
                _record(
                    source,
                    i,
                    t,
                    **({"page": i + 1, "file_type": "pdf"} if ".pdf" in source else {}),
                )
                for i, t in enumerate(chunks)
            ]
            updates.append(FileUpdate(FileState(source, 1, 1, "h", "indexed"), insert=records))
        ledger.apply(updates)
    return KeywordIndex(path)


def test_chinese_query_finds_chinese_chunk(index: KeywordIndex) -> None:
    hits = index.search("什么是机器学习", k=3)
    assert hits[0][0] == "/docs/zh.txt-0"
    assert all(score > 0 for _, score in hits)


def test_japanese_query(index: KeywordIndex) -> None:
    assert index.search("首都", k=1)[0][0] == "/docs/ja.pdf-0"


def test_english_stemming_and_ranking(index: KeywordIndex) -> None:
    hits = index.search("plotting", k=5)
    assert [chunk_id for chunk_id, _ in hits][:2] == ["/docs/en.txt-2", "/docs/en.txt-1"]
    assert hits[0][1] > hits[1][1]
    assert index.search("run", k=1)[0][0] == "/docs/en.txt-0"


def test_where_filters(index: KeywordIndex) -> None:
    assert index.search("plotting", where={"source": "/docs/zh.txt"}) == []
    only = index.search("plot", where={"source": {"$in": ["/docs/en.txt"]}})
    assert {chunk_id for chunk_id, _ in only} == {"/docs/en.txt-1", "/docs/en.txt-2"}
    paged = index.search("首都", where={"$and": [{"file_type": "pdf"}, {"page": {"$gte": 1}}]})
    assert [chunk_id for chunk_id, _ in paged] == ["/docs/ja.pdf-0"]
    assert index.search("首都", where={"page": {"$gt": 1}}) == []


def test_k_and_empty_queries(index: KeywordIndex) -> None:
    assert index.search("plotting", k=1) == index.search("plotting", k=5)[:1]
    assert index.search("", k=5) == [] and index.search("plotting", k=0) == []


def test_missing_ledger_searches_nothing(tmp_path: Path) -> None:
    assert KeywordIndex(tmp_path / "none.sqlite3").search("x") == []
