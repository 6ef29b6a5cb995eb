"""Shared fixtures: tests never touch the user's real data home, and run offline."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Set before anything reads settings: the whole session runs on a throwaway data home, offline.
SESSION_HOME = Path(tempfile.mkdtemp(prefix="gpt4all-rag-tests-"))
os.environ["GPT4ALL_RAG_HOME"] = str(SESSION_HOME)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
for _name in ("GPT4ALL_RAG_CHAT_MODEL", "GPT4ALL_RAG_EMBEDDING_MODEL", "GPT4ALL_RAG_CHROMA_URL"):
    os.environ.pop(_name, None)

from gpt4all_rag.config import reset_settings  # noqa: E402

reset_settings()


@pytest.fixture
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty data home for one test; the bundled model is shared with the session."""
    home = tmp_path / "home"
    home.mkdir()
    shared = SESSION_HOME / "bundled"
    shared.mkdir(exist_ok=True)
    (home / "bundled").symlink_to(shared, target_is_directory=True)
    monkeypatch.setenv("GPT4ALL_RAG_HOME", str(home))
    reset_settings()
    yield home
    reset_settings()
