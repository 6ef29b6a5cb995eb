"""The `index` and `collections` commands, run as a user would (real model, embedded Chroma)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ldi_helpers import paragraphs
from typer.testing import CliRunner

from gpt4all_rag.cli import app

pytestmark = pytest.mark.models


def test_index_list_remove(tmp_home: Path, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text(paragraphs(1, 4))
    (root / "b.txt").write_text(paragraphs(2, 4))
    runner = CliRunner()

    first = runner.invoke(app, ["index", str(root), "--collection", "notes"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["index", str(root), "-c", "notes", "--json"])
    assert json.loads(second.stdout) == {
        "added": 0,
        "updated": 0,
        "unchanged": 2,
        "deleted": 0,
        "chunks_embedded": 0,
        "failed": [],
    }

    listed = runner.invoke(app, ["collections", "--json"])
    assert listed.exit_code == 0, listed.output
    (info,) = json.loads(listed.stdout)
    assert info["name"] == "notes" and info["files"] == 2 and info["chunks"] > 0
    assert info["embedding_model"] == "all-MiniLM-L6-v2:384:int8v2" and info["size_bytes"] > 0
    table = runner.invoke(app, ["collections"])
    assert table.exit_code == 0 and "notes" in table.stdout

    removed = runner.invoke(app, ["collections", "remove", "notes"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(runner.invoke(app, ["collections", "--json"]).stdout) == []
    again = runner.invoke(app, ["collections", "remove", "notes"])
    assert again.exit_code == 2 and "No collection named 'notes'" in again.output


def test_usage_errors_exit_2(tmp_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["index", str(tmp_path / "nope"), "-c", "x1x"])
    assert missing.exit_code == 2 and "No such file or folder" in missing.output
    bad_name = runner.invoke(app, ["index", str(tmp_path), "-c", "a b"])
    assert bad_name.exit_code == 2 and "Invalid collection name" in bad_name.output
    bad_split = runner.invoke(
        app, ["index", str(tmp_path), "-c", "abc", "--chunk-tokens", "64", "--overlap-tokens", "40"]
    )
    assert bad_split.exit_code == 2 and "overlap_tokens" in bad_split.output


def test_rebuild_after_changing_chunking(tmp_home: Path, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text(paragraphs(3, 6))
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(root), "-c", "abc"]).exit_code == 0

    refused = runner.invoke(app, ["index", str(root), "-c", "abc", "--chunk-tokens", "64"])
    assert refused.exit_code == 2 and "--rebuild" in refused.output

    rebuilt = runner.invoke(
        app, ["index", str(root), "-c", "abc", "--chunk-tokens", "64", "--rebuild", "--json"]
    )
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.stdout)["added"] == 1
    (info,) = json.loads(runner.invoke(app, ["collections", "--json"]).stdout)
    assert info["chunk_tokens"] == 64
