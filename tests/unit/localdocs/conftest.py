"""Fixtures for LocalDocs unit tests (fakes live in ld_fakes.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ld_fakes import Harness


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    """A fresh indexing harness under tmp_path."""
    return Harness(tmp_path / "home")


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Return ``write(relative, text)`` writing a UTF-8 file under tmp_path/docs."""

    def write_file(relative: str, text: str) -> Path:
        path = tmp_path / "docs" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write_file
