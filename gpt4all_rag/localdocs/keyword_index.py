"""Keyword search: BM25 over a collection's chunks, able to match Chinese and Japanese.

A word tokenizer keeps a run of CJK characters as one token, so a Chinese sentence would only
match itself. The indexed text is therefore our own terms: every CJK run becomes its characters
(unigrams) and their overlapping pairs (bigrams); other text is kept as it is for the engine's
analyzer (case and diacritics folded, English stemming). A query is turned into the same terms:
CJK bigrams (unigrams for single characters) and words, OR-ed, ranked by BM25.

The engine is a Tantivy index beside the ledger (:mod:`~gpt4all_rag.localdocs.keyword_engine`):
block-max WAND makes a top-k cost grow with the result, not with the collection. The ledger's
writer keeps it equal to the ledger (:mod:`~gpt4all_rag.localdocs.keyword_sync`); this module
only reads it, and sees its last commit. A ``where`` filter runs exactly, in SQL over the
ledger's chunk metadata, on the engine's best candidates (widened until ``k`` pass). A ledger
written before this engine still has its FTS5 table (``chunk_fts``) until its next indexing run
builds the engine's index; until then :class:`KeywordIndex` searches that table as before.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast

import tantivy

from gpt4all_rag.localdocs.keyword_engine import (
    SCHEMA,
    keyword_dir,
    open_index,
    read_stamp,
    terms_analyzer,
)
from gpt4all_rag.localdocs.where import Where, where_sql
from gpt4all_rag.text.terms import CJK_RUN, CJK_RUN_OR_WORD, normalize

FTS_TABLE = "chunk_fts"
"""Name of the FTS5 table of ledgers written before the Tantivy engine (read until migrated)."""

FTS_SCHEMA = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "terms, tokenize = 'porter unicode61 remove_diacritics 2')"
)
"""Statement creating an FTS5 table as ledgers had it (kept for the exact-ranking bench anchor)."""


def _cjk_grams(run: str, *, unigrams: bool) -> Iterator[str]:
    if unigrams or len(run) == 1:
        yield from run
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def keyword_terms(text: str) -> str:
    """The text to index for a chunk: CJK runs spelled as unigrams and bigrams.

    Args:
        text: Chunk text.

    Returns:
        Space-separated terms; non-CJK text is kept for the engine's analyzer.
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


_FTS_SEARCH_SQL = (
    f"SELECT c.id, bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "
    f"JOIN chunks AS c ON c.rowid = {FTS_TABLE}.rowid "
    f"WHERE {FTS_TABLE} MATCH ? AND {{condition}} ORDER BY rank LIMIT ?"
)

FIRST_CANDIDATES = 64
"""Candidates first taken from the engine per search (at least ``4 * k``); x4 while short."""

_ANALYZER = terms_analyzer()
_OPEN: dict[Path, tuple[str, tantivy.Index]] = {}
_OPEN_LOCK = threading.Lock()


def engine_query(query: str, searcher: tantivy.Searcher) -> tantivy.Query | None:
    """The engine query OR-ing the query's terms, scored as FTS5 scores them; None if it has none.

    A term of several tokens is a phrase, as FTS5 reads a quoted string. Tantivy's BM25 weighs a
    term by ``ln(1 + (N - n + 0.5) / (n + 0.5))``, FTS5 by ``ln((N - n + 0.5) / (n + 0.5))``
    (at least 1e-6): a term in half the chunks or more ("the", "is") counts for nothing in FTS5
    but for ``ln 2`` in Tantivy. Each term is boosted by the ratio, so that the sum is FTS5's
    BM25 (up to Tantivy's one-byte document lengths); a boosted term query keeps block-max WAND.
    """
    chunks = searcher.num_docs
    clauses = []
    for term in query_terms(query):
        tokens: list[str | tuple[int, str]] = list(_ANALYZER.analyze(term))
        if len(tokens) == 1:
            token = str(tokens[0])
            clause = tantivy.Query.term_query(SCHEMA, "terms", token)
            found = searcher.doc_freq("terms", token)
            if found:
                clause = tantivy.Query.boost_query(clause, fts5_idf_ratio(chunks, found))
            clauses.append(clause)
        elif tokens:
            clauses.append(tantivy.Query.phrase_query(SCHEMA, "terms", tokens))
    if not clauses:
        return None
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, clause) for clause in clauses])


def fts5_idf_ratio(chunks: int, found: int) -> float:
    """FTS5's IDF of a term found in ``found`` of ``chunks`` chunks, over Tantivy's."""
    odds = (chunks - found + 0.5) / (found + 0.5)
    fts5 = max(math.log(odds), 1e-6) if odds > 0 else 1e-6
    return fts5 / math.log1p(odds) if odds > 0 else 1.0


def _engine(ledger_path: Path) -> tantivy.Index | None:
    """The ledger's keyword index at its last commit, or None when it is not built."""
    directory = keyword_dir(ledger_path)
    stamp = read_stamp(directory)
    if stamp is None:
        return None
    with _OPEN_LOCK:
        cached = _OPEN.get(directory)
        if cached is not None and cached[0] == stamp.build:
            index = cached[1]
        else:
            try:
                index = open_index(directory)
            except (OSError, ValueError):
                return None
            _OPEN[directory] = (stamp.build, index)
    try:
        index.reload()
    except (OSError, ValueError):  # rebuilt under us this instant: the next search reopens it
        with _OPEN_LOCK:
            _OPEN.pop(directory, None)
        return None
    return index


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
        if k <= 0 or not self.ledger_path.exists() or not query_terms(query):
            return []
        index = _engine(self.ledger_path)
        connection = self._connect()
        try:
            if index is None:
                return _fts_search(connection, query, k, where)
            return _engine_search(index, connection, query, k, where)
        finally:
            connection.close()


def _engine_search(
    index: tantivy.Index,
    connection: sqlite3.Connection,
    query: str,
    k: int,
    where: Where | None,
) -> list[tuple[str, float]]:
    """The engine's best candidates that the ledger holds and the filter passes, best first."""
    searcher = index.searcher()
    engine_query_ = engine_query(query, searcher)
    if engine_query_ is None:
        return []
    condition, params = where_sql(where, "metadata")
    wanted = max(FIRST_CANDIDATES, 4 * k)
    while True:
        hits = searcher.search(engine_query_, limit=wanted, count=False).hits
        addresses = [address for _, address in hits]
        rowids = cast(list[int], searcher.fast_field_values("rowid", addresses))
        found = _passing(connection, rowids, condition, params)
        results = [
            (found[rowid], float(score))
            for (score, _), rowid in zip(hits, rowids, strict=True)
            if rowid in found
        ]
        if len(results) >= k or len(hits) < wanted:
            return results[:k]
        wanted *= 4


def _passing(
    connection: sqlite3.Connection,
    rowids: Sequence[int],
    condition: str,
    params: Sequence[object],
) -> dict[int, str]:
    """Chunk id by rowid, for the rowids the ledger holds whose metadata passes the filter."""
    found: dict[int, str] = {}
    for start in range(0, len(rowids), 500):
        batch = list(rowids[start : start + 500])
        marks = ", ".join("?" * len(batch))
        sql = f"SELECT rowid, id FROM chunks WHERE rowid IN ({marks}) AND {condition}"
        found.update(connection.execute(sql, [*batch, *params]).fetchall())
    return found


def _fts_search(
    connection: sqlite3.Connection, query: str, k: int, where: Where | None
) -> list[tuple[str, float]]:
    """Exact FTS5 BM25 over a ledger not yet migrated (every chunk holding a query word)."""
    match = fts_query(query)
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ?", (FTS_TABLE,)
    ).fetchone()
    if match is None or not has_table:
        return []
    condition, params = where_sql(where, "c.metadata")
    sql = _FTS_SEARCH_SQL.format(condition=condition)
    rows = connection.execute(sql, [match, *params, k]).fetchall()
    return [(chunk_id, -rank) for chunk_id, rank in rows]
