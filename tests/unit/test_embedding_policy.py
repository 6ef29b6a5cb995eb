"""Which backend embeds a collection's queries, and how a recorded model id names its recipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt4all_rag.config import EmbeddingBackend, Settings
from gpt4all_rag.embedding_backends.policy import backend_for, model_backend, same_vectors
from gpt4all_rag.embedding_backends.quantization import (
    INT8_RECIPES,
    recorded_backend,
    vector_suffix,
)

FLOAT = "all-MiniLM-L6-v2:384"


def test_the_default_backend_is_the_current_8bit_recipe(tmp_path: Path) -> None:
    assert Settings(home=tmp_path).embedding_backend == "onnx-int8"
    assert vector_suffix("onnx-int8") == ":int8v2"


def test_every_recipe_has_its_own_suffix_and_file() -> None:
    suffixes = [recipe.suffix for recipe in INT8_RECIPES.values()]
    files = [recipe.file_name for recipe in INT8_RECIPES.values()]
    assert len(set(suffixes)) == len(suffixes) and len(set(files)) == len(files)
    # The first recipe keeps the id and the file it had before recipes were versioned.
    assert INT8_RECIPES["onnx-int8-v1"].suffix == ":int8"
    assert INT8_RECIPES["onnx-int8-v1"].file_name == "model.int8.onnx"
    for suffix in suffixes:  # no suffix ends another: a recorded id names one recipe
        assert [other for other in suffixes if (FLOAT + suffix).endswith(other)] == [suffix]


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (FLOAT + ":int8v2", "onnx-int8"),
        (FLOAT + ":int8", "onnx-int8-v1"),
        (FLOAT, None),
    ],
)
def test_a_recorded_id_names_its_recipe(recorded: str, expected: str | None) -> None:
    assert recorded_backend(recorded) == expected


@pytest.mark.parametrize("preferred", ["torch", "onnx", "onnx-int8", "onnx-int8-v1"])
def test_a_collection_is_queried_with_the_vectors_it_holds(preferred: EmbeddingBackend) -> None:
    assert backend_for(None, preferred) == preferred  # a new collection: the setting
    assert backend_for(FLOAT + ":int8", preferred) == "onnx-int8-v1"  # built before versioning
    assert backend_for(FLOAT + ":int8v2", preferred) == "onnx-int8"
    float_backend = backend_for(FLOAT, preferred)
    assert vector_suffix(float_backend) == ""  # float32 vectors stay float32
    assert float_backend == ("onnx" if preferred.startswith("onnx") else preferred)


def test_gguf_models_always_run_on_llama_cpp() -> None:
    assert model_backend("nomic.Q8_0.gguf", None, "onnx-int8") == "torch"
    assert model_backend("all-MiniLM-L6-v2", FLOAT + ":int8", "onnx") == "onnx-int8-v1"


@pytest.mark.parametrize(
    ("recorded", "backend", "expected"),
    [
        (FLOAT, "torch", True),
        (FLOAT, "onnx", True),
        (FLOAT, "onnx-int8", False),
        (FLOAT + ":int8v2", "onnx-int8", True),
        (FLOAT + ":int8v2", "onnx-int8-v1", False),
        (FLOAT + ":int8", "onnx-int8-v1", True),
        (FLOAT + ":int8", "onnx-int8", False),
        (FLOAT + ":int8", "onnx", False),
        ("other-model:384:int8v2", "onnx-int8", False),
    ],
)
def test_same_vectors_compares_model_and_recipe(
    recorded: str, backend: EmbeddingBackend, expected: bool
) -> None:
    assert same_vectors(recorded, "all-MiniLM-L6-v2", backend) is expected
