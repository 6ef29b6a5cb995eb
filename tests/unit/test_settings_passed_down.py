"""``settings=`` is honoured all the way down: model lookup, the ONNX export folder, threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt4all_rag import embedding_backends
from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.embedding_backends.base import EmbeddingModelRef, resolve_embedding_model
from gpt4all_rag.embedding_backends.onnx import onnx_cache_file
from gpt4all_rag.embeddings import GPT4AllEmbeddings, configured_embeddings
from gpt4all_rag.localdocs import LocalDocs


def a_model_folder(settings: Settings, name: str = "my-minilm") -> Path:
    folder = settings.models_dir / name
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    return folder


def test_embedding_models_are_looked_up_in_the_given_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    folder = a_model_folder(settings)
    assert resolve_embedding_model("my-minilm", settings).path == folder.resolve()
    embeddings = GPT4AllEmbeddings(model_name="my-minilm", settings=settings)
    assert embeddings.model_ref.path == folder.resolve()


def test_the_onnx_graph_lives_in_the_given_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    ref = resolve_embedding_model("all-MiniLM-L6-v2", settings)
    target = onnx_cache_file(ref, settings)
    assert target.is_relative_to(settings.home / "embeddings" / "onnx")
    assert not onnx_cache_file(ref).is_relative_to(settings.home)  # the global home otherwise


def test_a_collection_hands_its_settings_to_its_embedding_model(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", embedding_model="my-minilm", n_threads=3)
    a_model_folder(settings)
    built = configured_embeddings(settings)
    assert built.settings is settings and built.model_name == "my-minilm"
    docs = LocalDocs("notes", settings=settings)
    assert docs.embeddings.settings is settings  # type: ignore[attr-defined]
    assert get_settings().home != settings.home


def test_the_settings_default_model_is_used_when_none_is_named(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", embedding_model="my-minilm")
    folder = a_model_folder(settings)
    assert GPT4AllEmbeddings(settings=settings).model_ref.path == folder.resolve()


def test_encoders_are_built_with_the_given_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[tuple[str, Settings]] = []

    def build(ref: EmbeddingModelRef, backend: str, settings: Settings) -> object:
        built.append((backend, settings))
        return object()

    monkeypatch.setattr(embedding_backends, "_build", build)
    monkeypatch.setattr(embedding_backends, "_ENCODERS", {})
    ref = resolve_embedding_model("all-MiniLM-L6-v2")
    two, three = Settings(home=tmp_path, n_threads=2), Settings(home=tmp_path, n_threads=3)
    first = embedding_backends.encoder_for(ref, "onnx", two)
    assert embedding_backends.encoder_for(ref, "onnx", two) is first  # shared
    assert embedding_backends.encoder_for(ref, "onnx", three) is not first  # other threads
    assert built == [("onnx", two), ("onnx", three)]


def test_doctor_children_run_with_the_given_settings(tmp_path: Path) -> None:
    from gpt4all_rag.diagnostics.doctor import _child_environment

    environment = _child_environment(Settings(home=tmp_path / "flag-home", n_threads=2))
    assert environment["GPT4ALL_RAG_HOME"] == str(tmp_path / "flag-home")
    assert environment["GPT4ALL_RAG_N_THREADS"] == "2"
    assert environment["HF_HUB_OFFLINE"] == "1"
