"""Keyword index: SQLite FTS5 with BM25, able to match Chinese and Japanese.

FTS5's ``unicode61`` tokenizer keeps a run of CJK characters as one token, so a Chinese sentence
would only match itself. The indexed column therefore holds our own terms: every CJK run becomes
its characters (unigrams) and their overlapping pairs (bigrams); other text is kept as it is and
tokenized by ``unicode61`` (case and diacritics folded, Porter stemming for English). A query is
turned into the same terms: CJK bigrams (unigrams for single characters) and words, OR-ed, ranked
by BM25.

The table lives in the collection's ledger, so that chunks and their keywords change in the same
transaction; :class:`~gpt4all_rag.localdocs.ledger.Ledger` writes it, this module reads it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from gpt4all_rag.localdocs.where import Where, where_sql
from gpt4all_rag.text.terms import CJK_RUN, CJK_RUN_OR_WORD, normalize

FTS_TABLE = "chunk_fts"
"""Name of the FTS5 table; its rowid is the ``rowid`` of the ledger's ``chunks`` table."""

FTS_SCHEMA = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "terms, tokenize = 'porter unicode61 remove_diacritics 2')"
)
"""Statement creating the FTS5 table."""

TERMS_VERSION = "1"
"""Version of :func:`keyword_terms`; a ledger built with another version rebuilds its index."""


def _cjk_grams(run: str, *, unigrams: bool) -> Iterator[str]:
    if unigrams or len(run) == 1:
        yield from run
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def keyword_terms(text: str) -> str:
    """The text to put in the FTS column for a chunk: CJK runs spelled as unigrams and bigrams.

    Args:
        text: Chunk text.

    Returns:
        Space-separated terms; non-CJK text is kept for FTS5's own tokenizer.
    """
    text = normalize(text)
    out: list[str] = []
    last = 0
    for match in CJK_RUN.finditer(text):
        out.append(text[last : match.start()])
        out.extend(_cjk_grams(match.group(), unigrams=True))
        last = match.end()
    out.append(text[last:])
    return " ".join(part for part in out if part.strip())


def query_terms(query: str) -> list[str]:
    """The terms a query is searched by: words, and CJK bigrams (a lone character as itself).

    Function words stay: in FAQ-like text the question's own wording ("Why is ...", "How can I
    use ...") matches the heading that answers it. Dropping them made keyword search twice as fast
    at 100,000 chunks but lost 3 of 50 hits at 5 (docs/benchmarks.md).
    """
    text = normalize(query)
    terms: list[str] = []
    for match in CJK_RUN_OR_WORD.finditer(text):
        token = match.group()
        if CJK_RUN.fullmatch(token):
            terms.extend(_cjk_grams(token, unigrams=False))
        else:
            terms.append(token)
    return list(dict.fromkeys(terms))


def fts_query(query: str) -> str | None:
    """An FTS5 MATCH expression OR-ing the query's terms, each quoted; None if it has none."""
    terms = query_terms(query)
    if not terms:
        return None
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


_SEARCH_SQL = (
    f"SELECT c.id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "
    f"JOIN chunks AS c ON c.rowid = {FTS_TABLE}.rowid "
    f"WHERE {FTS_TABLE} MATCH ? AND {{condition}} ORDER BY rank LIMIT ?"
)


class KeywordIndex:
    """BM25 search over a collection's chunks (read only; safe to use while a run writes).

    Example:
        >>> index = LocalDocs("notes").keyword_index
        >>> index.search("机器学习", k=5)  # doctest: +SKIP
        [('3f2a...', 7.1), ...]
    """

    def __init__(self, ledger_path: Path) -> None:
        self.ledger_path = ledger_path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.ledger_path, timeout=30)
        connection.execute("PRAGMA query_only = ON")
        return connection

    def search(
        self, query: str, k: int = 10, where: Where | None = None
    ) -> list[tuple[str, float]]:
        """Chunks best matching the query's words.

        Args:
            query: Free text, any language.
            k: How many chunks at most.
            where: A Chroma-style metadata filter (``$eq``, ``$in``, ``$and``, ...).

        Returns:
            ``(chunk_id, score)`` pairs, best first; the score is BM25, higher is better.
        """
        match = fts_query(query)
        if match is None or k <= 0 or not self.ledger_path.exists():
            return []
        condition, params = where_sql(where, "c.metadata")
        sql = _SEARCH_SQL.format(condition=condition)
        connection = self._connect()
        try:
            rows = connection.execute(sql, [match, *params, k]).fetchall()
        finally:
            connection.close()
        return [(chunk_id, -rank) for chunk_id, rank in rows]
