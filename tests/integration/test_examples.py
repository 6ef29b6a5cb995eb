"""Every example script runs, on the real bundled model, as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.models

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_provider_example_streams_an_answer() -> None:
    assert "paris" in run_example("provider.py", "What is the capital of France?").lower()


def test_agent_example_calls_the_python_tool() -> None:
    output = run_example("agent.py", "How many letters are in the word strawberry?")
    assert "count_letters" in output
    assert "tool: 10" in output
