"""examples/agent_over_docs.py runs as a user would run it, on the real bundled models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.models

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "agent_over_docs.py"


def test_agent_searches_the_documents_then_answers(tmp_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "How can I remove duplicate times in a zoo object?"],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "GPT4ALL_RAG_HOME": str(tmp_home)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "ai: [{'name': 'search_documents'" in out  # the tool call
    tool_output = out.partition("\ntool: ")[2].partition("\nai: ")[0]
    assert "aggregate.zoo" in tool_output  # the retriever found the FAQ entry
    final = out.rpartition("\nai: ")[2]
    assert "duplicate" in final.lower()  # answered from it
