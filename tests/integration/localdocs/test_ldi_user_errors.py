"""A user's bad day through the CLI with the real models: empty folders, bad names, broken
model files, the smallest context window; each ends as a careful user expects."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.config import reset_settings

pytestmark = pytest.mark.models

FACT = "The capital of France is Paris. Paris lies on the Seine.\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_an_empty_folder_makes_an_empty_collection_every_command_accepts(
    tmp_home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    empty = tmp_path / "emptydir"
    empty.mkdir()
    indexed = runner.invoke(app, ["index", str(empty), "-c", "empty", "--json"])
    assert indexed.exit_code == 0, indexed.output

    for command in (["ask", "x"], ["search", "x"]):
        result = runner.invoke(app, [*command, "-c", "empty"])
        assert result.exit_code == 0, result.output
        assert "Collection 'empty' is empty" in result.stderr
    (info,) = json.loads(runner.invoke(app, ["collections", "--json"]).stdout)
    assert (info["name"], info["files"], info["chunks"]) == ("empty", 0, 0)
    listed = runner.invoke(app, ["collections"]).stdout.splitlines()  # not a terminal: plain
    assert listed[1].split("\t")[0:3] == ["empty", "0", "0"]
    assert listed[1].split("\t")[-1] == str(tmp_home / "chroma")  # the whole path, never cut


def test_a_bad_file_name_is_reported_and_the_rest_indexed(
    tmp_home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    root = tmp_path / "dir"
    root.mkdir()
    (root / "good.txt").write_text(FACT)
    with open(os.fsencode(root) + b"/caf\xe9.txt", "wb") as bad:
        bad.write(b"x")

    for _ in range(2):  # the second run is not blocked by the first
        result = runner.invoke(app, ["index", str(root), "-c", "names", "--json"])
        assert result.exit_code == 1, result.output
        report = json.loads(result.stdout)
        assert [f["source"] for f in report["failed"]] == [f"{root.resolve()}/caf\\xe9.txt"]
    (info,) = json.loads(runner.invoke(app, ["collections", "--json"]).stdout)
    assert info["files"] == 1 and not info["interrupted"]


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"not a model\n", "not a GGUF model file"), (b"GGUF\x03\x00\x00\x00", "truncated")],
)
def test_a_broken_model_file_is_one_line(
    tmp_home: Path, tmp_path: Path, runner: CliRunner, content: bytes, words: str
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(FACT)
    assert runner.invoke(app, ["index", str(tmp_path / "docs"), "-c", "facts"]).exit_code == 0
    model = tmp_path / "broken.gguf"
    model.write_bytes(content)

    result = runner.invoke(app, ["ask", "What is the capital?", "-c", "facts", "-m", str(model)])

    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {model}") and words in line
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_smallest_context_window_allowed_answers(
    tmp_home: Path, tmp_path: Path, runner: CliRunner
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text(FACT)
    assert runner.invoke(app, ["index", str(tmp_path / "docs"), "-c", "facts"]).exit_code == 0

    result = runner.invoke(
        app,
        ["--n-ctx", "512", "ask", "What is the capital of France?", "-c", "facts", "--json"],
        env={"GPT4ALL_RAG_N_CTX": None},
    )
    reset_settings()

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["sources"] and answer["sources"][0]["source"].endswith("a.txt")
    assert all(source["score"] == round(source["score"], 4) for source in answer["sources"])
