"""The on-disk keyword engine: a Tantivy index of the ledger's chunks, beside the ledger.

One document per chunk: ``rowid`` (the ledger's ``chunks.rowid``; indexed, to delete by, and a
fast field, to read hits by) and ``terms`` (:func:`~gpt4all_rag.localdocs.keyword_index.keyword_terms`
of the chunk text, not stored). The ``terms`` analyzer matches FTS5's ``porter unicode61
remove_diacritics 2``: split on anything not a letter or digit, lowercase, fold diacritics
(``ascii_fold``), English stemming (Snowball). Search is BM25 with block-max WAND, so a top-k
costs what the best candidates cost, not every chunk holding a common word.

The index is derived data: the ledger stays the source of truth.
:mod:`~gpt4all_rag.localdocs.keyword_sync` keeps it equal to the ledger; a stamp file written
after a complete build says which ledger and which format it holds.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import tantivy

ENGINE_VERSION = "1"
"""Version of the schema, analyzer and terms; an index with another version is rebuilt."""

ANALYZER = "g4a_terms"
"""Name under which the ``terms`` analyzer is registered with each index."""

STAMP_FILE = "g4a-stamp.json"
"""File in the index directory written once a complete build is committed."""

WRITER_HEAP = 64_000_000
"""Tantivy writer memory budget (bytes)."""


def keyword_dir(ledger_path: Path) -> Path:
    """The directory of the keyword index of the ledger at ``ledger_path`` (beside it)."""
    return ledger_path.with_name(ledger_path.stem + ".keywords")


def terms_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of the ``terms`` field (and of query terms)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("rowid", indexed=True, fast=True)
    builder.add_text_field("terms", stored=False, tokenizer_name=ANALYZER, index_option="position")
    return builder.build()


SCHEMA = _schema()
"""Schema of every keyword index."""


@dataclass(frozen=True)
class Stamp:
    """What a complete keyword index holds."""

    ledger_id: str
    """``ledger_id`` of the ledger it was built from."""
    version: str
    """:data:`ENGINE_VERSION` it was built with."""
    build: str
    """Random id of the build (changes when the index is rebuilt, so readers reopen it)."""


def read_stamp(directory: Path) -> Stamp | None:
    """The index's stamp, or None when it is missing, unreadable or of another version."""
    try:
        raw = json.loads((directory / STAMP_FILE).read_text(encoding="utf-8"))
        stamp = Stamp(str(raw["ledger_id"]), str(raw["version"]), str(raw["build"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stamp if stamp.version == ENGINE_VERSION else None


def write_stamp(directory: Path, ledger_id: str) -> None:
    """Write the stamp atomically (after the build's commit)."""
    stamp = {"ledger_id": ledger_id, "version": ENGINE_VERSION, "build": uuid.uuid4().hex}
    temporary = directory / (STAMP_FILE + ".tmp")
    temporary.write_text(json.dumps(stamp), encoding="utf-8")
    os.replace(temporary, directory / STAMP_FILE)


def open_index(directory: Path, *, create: bool = False) -> tantivy.Index:
    """Open (or, with ``create``, create) the index in ``directory``, analyzer registered.

    Raises:
        OSError, ValueError: The index is missing or unreadable.
    """
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    elif not tantivy.Index.exists(str(directory)):
        raise FileNotFoundError(f"no keyword index in {directory}")
    index = tantivy.Index(SCHEMA, path=str(directory), reuse=True)
    index.register_tokenizer(ANALYZER, terms_analyzer())
    return index
