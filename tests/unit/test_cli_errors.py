"""Every error a user can cause prints one line that says what to do, with its exit status.

A table of bad inputs (flags, environment variables, server options, names, paths) walked through
the CLI in-process; none of these needs a model, so the table runs everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.config import SETTING_NAMES, reset_settings

_VARIABLES = [names.split(" or ")[1] for names in SETTING_NAMES.values() if " or " in names]

# (argv, environment, exit status, words the one line must contain)
CASES: list[tuple[list[str], dict[str, str], int, str]] = [
    (["--n-ctx", "256", "collections"], {}, 2, "use at least 512"),
    (["collections"], {"GPT4ALL_RAG_N_CTX": "100"}, 2, "GPT4ALL_RAG_N_CTX"),
    (["collections"], {"GPT4ALL_RAG_N_THREADS": "abc"}, 2, "GPT4ALL_RAG_N_THREADS"),
    (["collections"], {"GPT4ALL_RAG_N_THREADS": "0"}, 2, "--threads"),
    (["collections"], {"GPT4ALL_RAG_EMBEDDING_BACKEND": "gpu"}, 2, "GPT4ALL_RAG_EMBEDDING_BACKEND"),
    (["collections"], {"GPT4ALL_RAG_LLAMA_EXTRA_BUFFERS": "maybe"}, 2, "EXTRA_BUFFERS"),
    (["collections"], {"GPT4ALL_RAG_HOME": "{tmp}/a-file"}, 2, "is a file, not a folder"),
    (["--home", "{tmp}/a-file", "collections"], {}, 2, "--home or GPT4ALL_RAG_HOME"),
    (["--threads", "0", "collections"], {}, 2, "--threads"),
    (["--embedding-backend", "gpu", "collections"], {}, 2, "--embedding-backend"),
    (["serve", "--api-key", "short"], {}, 2, "API key needs at least 8 characters"),
    (["serve", "--host", "0.0.0.0", "--api-key", " " * 8], {}, 2, "not spaces"),
    (["serve", "--host", "0.0.0.0"], {}, 2, "without an API key"),
    (["serve", "--allowed-origin", "*"], {}, 2, "Wildcard origin"),
    (["serve", "--allowed-origin", "localhost"], {}, 2, "--allowed-origin"),
    (["serve", "--port", "0"], {}, 2, "--port"),
    (["index", "{tmp}/no-such-path", "-c", "brandnew"], {}, 2, "No such file or folder"),
    (["index", "{tmp}", "-c", "a b"], {}, 2, "Invalid collection name"),
    (["index", "{tmp}", "--max-file-size", "-1"], {}, 2, "--max-file-size"),
    (["index", "{tmp}", "--chunk-tokens", "64", "--overlap-tokens", "40"], {}, 2, "overlap"),
    (["index"], {}, 2, "Missing argument"),
    (["ask", "x", "-c", "nope"], {}, 2, "No collection named 'nope'"),
    (["ask", "   "], {}, 2, "The question is empty"),
    (["search", "x", "-c", "nope"], {}, 2, "gpt4all-rag index PATH --collection nope"),
    (["chat", "-c", "nope"], {}, 2, "No collection named"),
    (["collections", "remove", "nope"], {}, 2, "No collection named"),
    (["eval", "{tmp}/missing.jsonl"], {}, 2, "missing.jsonl"),
    (["no-such-command"], {}, 2, "No such command"),
]


@pytest.mark.parametrize(("argv", "environment", "status", "words"), CASES)
def test_bad_input_gets_one_line_and_its_exit_status(
    tmp_home: Path,
    tmp_path: Path,
    argv: list[str],
    environment: dict[str, str],
    status: int,
    words: str,
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    environment = {k: v.replace("{tmp}", str(tmp_path)) for k, v in environment.items()}
    # every variable is restored after the run (global flags write them today)
    env: dict[str, str | None] = {name: None for name in _VARIABLES if name != "GPT4ALL_RAG_HOME"}
    env["GPT4ALL_RAG_HOME"] = str(tmp_home)  # restored to it after a case that changes it
    env.update(environment)
    result = CliRunner().invoke(app, args, env=env)
    reset_settings()

    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and words in lines[0], lines[0]
    assert "Traceback" not in result.output and "validation error" not in result.output


def test_a_failed_first_index_leaves_no_collection(tmp_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    failed = runner.invoke(app, ["index", str(tmp_path / "no-such-path"), "-c", "brandnew"])
    assert failed.exit_code == 2

    listed = runner.invoke(app, ["collections", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
