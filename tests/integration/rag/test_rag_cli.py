"""`gpt4all-rag ask`, `search` and `chat` as a user runs them, and their failure cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rag_other_model import OtherModel
from typer.testing import CliRunner, Result

from gpt4all_rag.cli import app
from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs import LocalDocs

pytestmark = [pytest.mark.models, pytest.mark.usefixtures("use_rag_home")]

runner = CliRunner()


def err(result: Result) -> str:
    """Stderr with rich's line wrapping undone."""
    return " ".join(result.stderr.split())


def test_ask_streams_the_answer_then_path_page_sources() -> None:
    result = runner.invoke(
        app, ["ask", "How can I remove duplicate times in a zoo object?", "-c", "demo"]
    )
    assert result.exit_code == 0, result.output
    answer, _, sources = result.stdout.partition("Sources:")
    assert "aggregate" in answer.lower()
    assert "zoo-faq.pdf:1  cited" in sources


def test_ask_json_shape() -> None:
    result = runner.invoke(
        app, ["ask", "How often must the zorblax air filter be replaced?", "-c", "notes", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"answer", "basis", "sources"}
    assert "90" in data["answer"]
    assert data["basis"] in {"model", "quote"}
    (source,) = data["sources"]
    assert set(source) == {"source", "page", "score", "cited", "quote", "snippet"}
    assert source["source"].endswith("zorblax.md") and source["page"] is None
    assert source["cited"] is True and isinstance(source["score"], float)
    assert "90" in source["quote"]  # the evidence, verbatim


def test_ask_json_when_nothing_is_relevant() -> None:
    result = runner.invoke(app, ["ask", "What is the capital of France?", "-c", "demo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sources"] == [] and "do not seem to contain" in data["answer"]


def test_search_json_best_first() -> None:
    result = runner.invoke(app, ["search", "na.locf", "-c", "demo", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert 1 <= len(results) <= 3
    assert all(set(r) == {"source", "page", "score", "snippet"} for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert results[0]["source"].endswith("zoo-faq.pdf") and isinstance(results[0]["page"], int)
    assert "na.locf" in results[0]["snippet"]


def test_search_table() -> None:
    result = runner.invoke(app, ["search", "如何重新配置语言环境？", "-c", "demo"])
    assert result.exit_code == 0, result.output
    assert "debian-reference-ch08.zh-cn.html" in result.stdout


@pytest.mark.parametrize("command", ["ask", "search"])
@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question(command: str, question: str) -> None:
    result = runner.invoke(app, [command, question, "-c", "demo"])
    assert result.exit_code == 2
    assert "The question is empty" in err(result)


def test_question_longer_than_the_context() -> None:
    result = runner.invoke(app, ["--n-ctx", "512", "ask", "zoo " * 2000, "-c", "demo"])
    assert result.exit_code == 2
    assert "context window" in err(result)


@pytest.mark.parametrize("command", ["ask", "search", "chat"])
def test_unknown_collection_lists_the_existing_ones(command: str) -> None:
    args = [command, "Why is zoo invisible?"] if command != "chat" else [command]
    result = runner.invoke(app, [*args, "-c", "no-such-thing"])
    assert result.exit_code == 2
    assert "No collection named 'no-such-thing'" in err(result)
    assert "demo" in err(result) and "notes" in err(result)


def test_collection_indexed_with_another_embedding_model(
    use_rag_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "a.md").write_text("Some words about zoo objects.\n", encoding="utf-8")
    settings = Settings(home=use_rag_home)
    LocalDocs("built-elsewhere", settings=settings, embeddings=OtherModel()).index([tmp_path])
    for command in ("ask", "search"):
        result = runner.invoke(app, [command, "zoo", "-c", "built-elsewhere"])
        assert result.exit_code == 2
        assert "indexed with embedding model other-model:8" in err(result)
        assert "--embedding-model other-model" in err(result)


def test_chat_session_through_stdin() -> None:
    lines = [
        "/sources",
        "How often must the zorblax air filter be replaced?",
        "/sources",
        "/nonsense",
        "/reset",
        "/sources",
        "/quit",
        "never read",
    ]
    result = runner.invoke(app, ["chat", "-c", "notes"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Commands: /sources, /reset, /quit." in out
    assert out.count("No sources yet.") == 2  # before the first answer and after /reset
    assert "90" in out
    assert "zorblax.md  cited" in out
    assert "Unknown command" in out and "Conversation cleared." in out


def test_chat_ends_at_end_of_input() -> None:
    result = runner.invoke(app, ["chat", "-c", "notes"], input="")
    assert result.exit_code == 0, result.output
