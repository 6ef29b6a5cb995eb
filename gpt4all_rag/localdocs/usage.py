"""Size on disk of a collection: its ledger, plus its share of the embedded Chroma database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gpt4all_rag.localdocs.layout import Layout


def folder_size(path: Path) -> int:
    """Bytes of every file under a folder (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for item in path.rglob("*"):
        try:
            if item.is_file() and not item.is_symlink():
                total += item.stat().st_size
        except OSError:
            continue
    return total


def collection_size(layout: Layout, name: str) -> int:
    """Approximate bytes on disk of one collection.

    The ledger folder (chunks, keyword index) counts whole. In the embedded store, the collection's
    own segment folders (the HNSW index) count whole, and the Chroma database file, shared by every
    collection, counts in proportion to the collection's share of the vectors. With a Chroma server
    only the local ledger is counted.
    """
    size = folder_size(layout.collection_dir(name))
    if layout.chroma_path is not None:
        size += _embedded_share(layout.chroma_path, name)
    return size


def _embedded_share(chroma_path: Path, name: str) -> int:
    database = chroma_path / "chroma.sqlite3"
    if not database.is_file():
        return 0
    try:
        db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0
    try:
        segments = db.execute(
            "SELECT s.id, s.scope FROM segments AS s JOIN collections AS c "
            "ON s.collection = c.id WHERE c.name = ?",
            (name,),
        ).fetchall()
        counts = dict(
            db.execute("SELECT segment_id, COUNT(*) FROM embeddings GROUP BY segment_id").fetchall()
        )
    except sqlite3.Error:  # another Chroma version: count the ledger only
        return 0
    finally:
        db.close()
    size = sum(folder_size(chroma_path / segment) for segment, _ in segments)
    total = sum(counts.values())
    mine = sum(counts.get(segment, 0) for segment, scope in segments if scope == "METADATA")
    if total:
        size += database.stat().st_size * mine // total
    return size
