"""Ctrl-C as a user presses it (SIGINT to a real `gpt4all-rag` process): `index` says what it
kept and how to resume, `chat` stops only the answer under way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ldi_helpers import paragraphs

pytestmark = [pytest.mark.models, pytest.mark.slow]

CLI = [sys.executable, "-c", "from gpt4all_rag.cli import app; app()"]


def _cli(*args: str) -> list[str]:
    return [*CLI, *args]


def test_ctrl_c_in_index_says_what_was_kept_and_a_rerun_resumes(
    tmp_home: Path, tmp_path: Path
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for number in range(40):
        (root / f"f{number:02d}.md").write_text(paragraphs(number, 12))
    child = subprocess.Popen(
        _cli("index", str(root), "-c", "stopped", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(12)  # loading the model, then indexing
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)

    assert child.returncode == 130, stderr
    assert "Traceback" not in stderr
    (line,) = [line for line in stderr.splitlines() if line.startswith("Stopped.")]
    assert "Collection 'stopped' keeps the" in line and "run the same command again" in line

    again = subprocess.run(
        _cli("index", str(root), "-c", "stopped", "--json"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    listed = subprocess.run(_cli("collections", "--json"), capture_output=True, text=True)
    (info,) = json.loads(listed.stdout)
    assert info["files"] == 40 and not info["interrupted"]


def test_ctrl_c_in_chat_stops_the_answer_not_the_session(tmp_home: Path, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text(paragraphs(1, 30))
    indexed = subprocess.run(_cli("index", str(root), "-c", "talk"), capture_output=True)
    assert indexed.returncode == 0, indexed.stderr

    child = subprocess.Popen(
        _cli("chat", "-c", "talk"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdout.readline()  # the greeting
    child.stdin.write("Summarize everything these notes say, in detail.\n")
    child.stdin.flush()
    os.set_blocking(child.stdout.fileno(), False)
    deadline = time.monotonic() + 120
    first = ""
    while not first and time.monotonic() < deadline:  # the answer has started
        first = child.stdout.read(1) or ""
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    time.sleep(1)
    child.stdin.write("/quit\n")
    child.stdin.flush()
    os.set_blocking(child.stdout.fileno(), True)
    stdout, stderr = child.communicate(timeout=120)

    assert first, "no answer started"
    assert child.returncode == 0, stderr
    assert "answer stopped; the conversation goes on" in stdout
    assert "Traceback" not in stderr
