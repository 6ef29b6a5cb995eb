"""Disk usage of collections, with the data home given as a relative path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gpt4all_rag.localdocs.usage import _embedded_share


def test_a_relative_chroma_path_is_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chroma").mkdir()
    db = sqlite3.connect(tmp_path / "chroma" / "chroma.sqlite3")
    db.executescript(
        "CREATE TABLE collections (id TEXT, name TEXT);"
        "CREATE TABLE segments (id TEXT, scope TEXT, collection TEXT);"
        "CREATE TABLE embeddings (segment_id TEXT);"
        "INSERT INTO collections VALUES ('c1', 'notes');"
        "INSERT INTO segments VALUES ('s1', 'METADATA', 'c1');"
        "INSERT INTO embeddings VALUES ('s1');"
    )
    db.commit()
    db.close()
    assert _embedded_share(Path("chroma"), "notes") > 0
