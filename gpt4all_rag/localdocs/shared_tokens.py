"""Tokens of the shared keyword index: exactly SQLite FTS5's ``porter unicode61`` tokens.

The shared (Chroma server) keyword index ranks by BM25 like the local index, so it must cut text
into the same tokens: :func:`~gpt4all_rag.localdocs.keyword_index.keyword_terms` spells CJK runs
as unigrams and bigrams, then FTS5's tokenizer folds case and diacritics and Porter-stems English.
Rather than re-implement that tokenizer, this module asks SQLite for it: the texts go into an
in-memory FTS5 table and ``fts5vocab`` gives back every token with its position.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence

from gpt4all_rag.localdocs.keyword_index import keyword_terms, query_terms

TOKENIZER = "porter unicode61 remove_diacritics 2"
"""FTS5 tokenizer spec (the local keyword index's)."""

TOKENS_VERSION = "fts5-porter-unicode61-1"
"""Version of the tokens; a shared collection built with another one rebuilds its statistics."""


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Each text's tokens, in order, as FTS5 indexes them (``texts`` are indexed as they are).

    Args:
        texts: Texts already spelled by ``keyword_terms`` (or query terms).

    Returns:
        One token list per text.
    """
    if not texts:
        return []
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{TOKENIZER}')")
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(texts, start=1))
        rows = db.execute("SELECT doc, offset, term FROM v").fetchall()
    finally:
        db.close()
    positions: list[dict[int, str]] = [{} for _ in texts]
    for doc, offset, term in rows:
        positions[doc - 1][offset] = term
    return [[spots[i] for i in sorted(spots)] for spots in positions]


def chunk_tokens(texts: Sequence[str]) -> list[list[str]]:
    """The tokens of chunk texts (CJK spelled as unigrams and bigrams, as the local index does)."""
    return tokenize([keyword_terms(text) for text in texts])


def query_phrases(query: str) -> list[tuple[str, tuple[str, ...]]]:
    """The query's terms, each with its token phrase (most terms are one token).

    Returns:
        ``(term, tokens)`` pairs, terms that yield no token left out, duplicates dropped.
    """
    terms = query_terms(query)
    phrases: dict[tuple[str, ...], str] = {}
    for term, tokens in zip(terms, tokenize(terms), strict=True):
        if tokens:
            phrases.setdefault(tuple(tokens), term)
    return [(term, tokens) for tokens, term in phrases.items()]


def phrase_count(tokens: Sequence[str], phrase: Sequence[str]) -> int:
    """How often ``phrase`` occurs in ``tokens`` (consecutive tokens)."""
    if len(phrase) == 1:
        return sum(1 for token in tokens if token == phrase[0])
    size = len(phrase)
    return sum(1 for i in range(len(tokens) - size + 1) if tuple(tokens[i : i + size]) == phrase)


def document_frequencies(token_lists: Sequence[Sequence[str]]) -> Counter[str]:
    """In how many of the token lists each token occurs."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(set(tokens))
    return counts
