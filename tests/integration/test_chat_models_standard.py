"""LangChain's standard integration tests for ChatGPT4All, on the real bundled model."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests

from gpt4all_rag import ChatGPT4All

pytestmark = pytest.mark.models


class TestChatGPT4AllStandard(ChatModelIntegrationTests):
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
        return {"temperature": 0, "max_tokens": 128, "seed": 42}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    # The bundled default is a 270M-parameter *base* model. Since tools are shown as signatures
    # and numbers are bounded by the grammar (llama/grammars.py), it passes the tool-calling and
    # agent-loop tests at temperature 0; JSON mode still gives valid JSON with other keys.

    @pytest.mark.xfail(
        reason="270M base model: JSON mode gives valid JSON, but not the keys asked for"
    )
    def test_json_mode(self, model: BaseChatModel) -> None:
        super().test_json_mode(model)
