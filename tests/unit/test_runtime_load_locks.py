"""One load lock per model key: loading one model never stalls another; one load per key."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpt4all_rag.config import Settings
from gpt4all_rag.llama import runtime
from gpt4all_rag.llama.catalog import ModelSpec


def spec(name: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        path=Path(f"/models/{name}.gguf"),
        architecture="gemma3",
        context_length=2048,
        chat_template=None,
        size_bytes=1,
        quantization="Q4_K_M",
    )


class FakeLlama:
    def close(self) -> None:
        pass


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """``_load_llama`` replaced: ``slow`` blocks until released; every load is counted."""
    state: dict[str, Any] = {"count": {}, "release": threading.Event()}
    state["slow_started"] = threading.Event()

    def load(spec: ModelSpec, *args: Any) -> FakeLlama:
        state["count"][spec.name] = state["count"].get(spec.name, 0) + 1
        if spec.name == "slow":
            state["slow_started"].set()
            assert state["release"].wait(10)
        return FakeLlama()

    monkeypatch.setattr(runtime, "_load_llama", load)
    yield state
    state["release"].set()
    with runtime._MODELS_LOCK:
        for key in [k for k in runtime._MODELS if k[0].startswith("/models/")]:
            del runtime._MODELS[key]


SETTINGS = Settings(llama_extra_buffers="off", n_threads=1)


def test_loading_one_model_does_not_stall_another(loads: dict[str, Any]) -> None:
    slow = threading.Thread(
        target=runtime.load_model, args=(spec("slow"),), kwargs={"n_ctx": 512, "settings": SETTINGS}
    )
    slow.start()
    assert loads["slow_started"].wait(10)
    fast = runtime.load_model(spec("fast"), n_ctx=512, settings=SETTINGS)  # not blocked
    assert isinstance(fast.llama, FakeLlama)
    loads["release"].set()
    slow.join(10)
    assert not slow.is_alive()


def test_one_load_per_key_when_callers_race(loads: dict[str, Any]) -> None:
    results: list[runtime.LoadedModel] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                runtime.load_model(spec("slow"), n_ctx=512, settings=SETTINGS)
            )
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    assert loads["slow_started"].wait(10)
    loads["release"].set()
    for thread in threads:
        thread.join(10)
    assert loads["count"] == {"slow": 1}
    assert len(results) == 4 and all(model is results[0] for model in results)


def test_settings_choose_threads_and_context(loads: dict[str, Any]) -> None:
    chosen = Settings(llama_extra_buffers="off", n_threads=3, n_ctx=1024)
    loaded = runtime.load_model(spec("fast"), settings=chosen)
    assert (loaded.n_threads, loaded.n_ctx) == (3, 1024)
