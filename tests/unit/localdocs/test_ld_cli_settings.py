"""The CLI's global flags become one Settings passed down, never written into os.environ."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ld_fakes import FakeEmbeddings
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.localdocs import LocalDocs


def test_global_flags_reach_the_library_without_the_environment(tmp_path: Path) -> None:
    home = tmp_path / "flag-home"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Paragraph about gnuplot.\n\nAnother one.")
    docs = LocalDocs("notes", settings=Settings(home=home), embeddings=FakeEmbeddings())
    docs.index([tmp_path / "docs"])
    before = dict(os.environ)

    result = CliRunner().invoke(
        app, ["--home", str(home), "--threads", "3", "collections", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert [info["name"] for info in json.loads(result.output)] == ["notes"]
    assert dict(os.environ) == before
    assert get_settings().home != home


def test_without_flags_the_environment_settings_apply(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["collections", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []  # the session's empty test home
