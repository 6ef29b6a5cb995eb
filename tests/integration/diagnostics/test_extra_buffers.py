"""The AMX workaround on a real model: the runtime and GGUF embeddings load without llama.cpp's
extra buffer types when told to, keep them otherwise, and still generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt4all_rag.config import reset_settings
from gpt4all_rag.llama.catalog import default_spec
from gpt4all_rag.llama.cpu_support import build_has_amx, llama_system_info
from gpt4all_rag.llama.runtime import Finished, SamplingParams, load_model

pytestmark = pytest.mark.models


def _generate(setting: str, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, str]:
    monkeypatch.setenv("GPT4ALL_RAG_LLAMA_EXTRA_BUFFERS", setting)
    reset_settings()
    loaded = load_model(default_spec(), n_ctx=512, n_threads=1)
    params = SamplingParams(temperature=0.0, max_tokens=6, seed=0)
    text = "".join(
        piece
        for piece in loaded.generate(
            loaded.tokenize("Question: What is the capital of France?\nAnswer:"), params
        )
        if not isinstance(piece, Finished)
    )
    return bool(loaded.llama.model_params.use_extra_bufts), text


def test_off_loads_without_extra_buffers_and_generates(
    tmp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra, text = _generate("off", monkeypatch)
    assert extra is False
    assert "Paris" in text


def test_auto_keeps_extra_buffers_unless_the_build_has_amx(
    tmp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra, text = _generate("auto", monkeypatch)
    assert extra is not build_has_amx(llama_system_info())
    assert "Paris" in text


def test_the_setting_is_part_of_the_loaded_model_key(
    tmp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on, _ = _generate("on", monkeypatch)
    off, _ = _generate("off", monkeypatch)
    assert (on, off) == (True, False)
