"""Data homes for the answer-chain integration tests."""

from __future__ import annotations

from pathlib import Path

from gpt4all_rag.config import get_settings, reset_settings


def home_sharing_bundled_models(root: Path) -> Path:
    """A new data home ``root/home`` that uses the session's assembled bundled model."""
    home = root / "home"
    home.mkdir()
    reset_settings()
    shared = get_settings().home / "bundled"
    shared.mkdir(parents=True, exist_ok=True)
    (home / "bundled").symlink_to(shared, target_is_directory=True)
    return home
