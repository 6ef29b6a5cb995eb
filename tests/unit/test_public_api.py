"""The package's public face."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gpt4all_rag

EXPECTED_ALL = [
    "Answer",
    "AnswerChain",
    "ChatGPT4All",
    "GPT4All",
    "GPT4AllEmbeddings",
    "HybridRetriever",
    "LocalDocs",
    "Source",
    "__version__",
]


def test_all_is_what_it_should_be() -> None:
    assert sorted(gpt4all_rag.__all__) == sorted(EXPECTED_ALL)
    for name in gpt4all_rag.__all__:
        assert getattr(gpt4all_rag, name) is not None


@pytest.mark.slow
def test_import_is_cheap() -> None:
    code = "import sys, gpt4all_rag; print(sorted(m for m in ('torch', 'llama_cpp', 'chromadb') if m in sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"
