"""A data home on a small filesystem that fills up during `index`: one line says so, with the
free space and that a re-run resumes; after space is freed the re-run ends exact.

Needs a tmpfs mount (root, or a user namespace); skipped with the reason where mounting is not
allowed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ldi_helpers import assert_exact, word_corpus

from gpt4all_rag.config import Settings, reset_settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings, configured_embeddings
from gpt4all_rag.localdocs import LocalDocs

pytestmark = [pytest.mark.models, pytest.mark.slow]

CLI = [sys.executable, "-c", "from gpt4all_rag.cli import app; app()"]


def _mount_tmpfs(path: Path, megabytes: int, remount: bool = False) -> subprocess.CompletedProcess:
    options = f"{'remount,' if remount else ''}size={megabytes}m"
    return subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )


@pytest.fixture
def small_home(
    tmp_home: Path, monkeypatch: pytest.MonkeyPatch, embeddings: GPT4AllEmbeddings
) -> Iterator[Path]:
    """A 7 MB tmpfs data home sharing the session's assembled models and ONNX export."""
    shared = (tmp_home / "bundled").resolve().parent  # the session's data home
    monkeypatch.setenv("GPT4ALL_RAG_HOME", str(shared))
    reset_settings()
    configured_embeddings(Settings()).embed_query("export the ONNX model once, outside")
    home = tmp_home.parent / "small-home"
    home.mkdir()
    mounted = _mount_tmpfs(home, 7)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'not allowed'}")
    try:
        (home / "bundled").symlink_to(shared / "bundled", target_is_directory=True)
        (home / "embeddings").symlink_to(shared / "embeddings", target_is_directory=True)
        monkeypatch.setenv("GPT4ALL_RAG_HOME", str(home))
        reset_settings()
        yield home
    finally:
        reset_settings()
        subprocess.run(["umount", "-l", str(home)], check=False)


def test_a_full_disk_is_one_line_and_a_rerun_ends_exact(
    small_home: Path, tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    assert (small_home / "embeddings").resolve().is_dir()  # the export is shared, not redone
    root = word_corpus(tmp_path / "docs", seed=3)
    command = [*CLI, "index", str(root), "-c", "full", "--json"]

    full = subprocess.run(command, capture_output=True, text=True, timeout=900)

    assert full.returncode == 3, full.stderr
    assert "Traceback" not in full.stderr
    (line,) = [line for line in full.stderr.splitlines() if line.startswith("Error:")]
    assert f"The disk of the data home {small_home} ran out of space" in line
    assert "MB free now" in line and "re-run the same command; it resumes" in line

    assert _mount_tmpfs(small_home, 300, remount=True).returncode == 0
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=900)

    assert resumed.returncode == 0, resumed.stderr
    docs = LocalDocs("full", settings=Settings(home=small_home), embeddings=embeddings)
    assert docs.info().files == 5 and not docs.info().interrupted
    assert_exact(docs, root, embeddings)
    assert os.path.ismount(small_home)
