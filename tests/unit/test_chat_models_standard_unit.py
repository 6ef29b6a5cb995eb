"""LangChain's standard unit tests for ChatGPT4All."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests

from gpt4all_rag import ChatGPT4All

# The standard suite builds ChatGPT4All(), which resolves (and on first use assembles) the
# bundled model file: the models tier.
pytestmark = pytest.mark.models


class TestChatGPT4AllStandard(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatGPT4All]:
        return ChatGPT4All

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        """LangChain's standard parameters that apply to a local model: ``timeout``,
        ``max_retries`` and ``api_key`` are for network clients, and ChatGPT4All refuses unknown
        keywords (tests/unit/test_strict_keywords.py)."""
        return {"temperature": 0, "max_tokens": 100, "stop": []}

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"temperature": 0}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True
