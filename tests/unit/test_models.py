"""The model catalog: resolving names and paths, reading GGUF headers, and bad model files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.errors import InvalidModelFileError, ModelNotFoundError
from gpt4all_rag.llama.catalog import bundled_model_path, list_models, read_spec, resolve_model

# The catalog read on real GGUF files: the bundled model, and broken copies made from it.
pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def bundled() -> Path:
    return bundled_model_path()


def test_bundled_default_is_read_from_its_header(bundled: Path) -> None:
    spec = resolve_model(None)
    assert spec.is_default
    assert spec.path == bundled
    assert spec.architecture == "gemma3"
    assert spec.context_length == 32768
    assert not spec.has_chat_template
    assert spec.quantization == "Q4_K_M"
    assert spec.size_bytes == bundled.stat().st_size


def test_bundled_model_is_assembled_once(bundled: Path) -> None:
    mtime = bundled.stat().st_mtime_ns
    assert bundled_model_path() == bundled
    assert bundled.stat().st_mtime_ns == mtime


def test_a_corrupted_bundled_copy_is_reassembled(tmp_home: Path) -> None:
    (tmp_home / "bundled").unlink()  # the fixture's link to the session's copy: start afresh
    path = bundled_model_path()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(1000)
    assert bundled_model_path().stat().st_size == size
    assert read_spec(path).architecture == "gemma3"


def _bad_files(folder: Path, bundled: Path) -> dict[str, tuple[Path, str]]:
    folder.mkdir(parents=True, exist_ok=True)
    lfs = folder / "pointer.gguf"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 253113024\n")
    wrong = folder / "notes.gguf"
    wrong.write_text("this is not a model")
    empty = folder / "empty.gguf"
    empty.write_bytes(b"")
    header_cut = folder / "header-cut.gguf"
    header_cut.write_bytes(bundled.read_bytes()[:4096])
    data_cut = folder / "data-cut.gguf"
    with bundled.open("rb") as source, data_cut.open("wb") as target:
        target.write(source.read(50_000_000))
    directory = folder / "folder.gguf"
    directory.mkdir(exist_ok=True)
    return {
        "lfs": (lfs, "git-lfs pointer"),
        "wrong magic": (wrong, "not a GGUF model file"),
        "empty": (empty, "empty"),
        "header truncated": (header_cut, "truncated"),
        "data truncated": (data_cut, "truncated"),
        "directory": (directory, "directory"),
        "missing": (folder / "missing.gguf", "no such file"),
    }


def test_each_bad_model_file_gets_a_clear_error(tmp_path: Path, bundled: Path) -> None:
    for case, (path, cause) in _bad_files(tmp_path, bundled).items():
        with pytest.raises(InvalidModelFileError) as caught:
            resolve_model(str(path))
        assert str(path) in str(caught.value), case
        assert cause in str(caught.value), case


def test_unknown_name_lists_the_valid_ones(tmp_home: Path, bundled: Path) -> None:
    (tmp_home / "models").mkdir()
    shutil.copy(bundled, tmp_home / "models" / "my-model.gguf")
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("llama-70b")
    assert "gemma-3-270m" in str(caught.value)
    assert "my-model" in str(caught.value)
    assert resolve_model("my-model").path == tmp_home / "models" / "my-model.gguf"
    assert resolve_model("MY-MODEL.gguf").name == "my-model"


def test_catalog_lists_good_and_bad_files_without_crashing(tmp_home: Path, bundled: Path) -> None:
    _bad_files(tmp_home / "models", bundled)
    (tmp_home / "models" / "good.gguf").symlink_to(bundled)
    entries = list_models()
    usable = [entry.spec.name for entry in entries if entry.spec]
    assert usable == ["gemma-3-270m", "good"]
    assert len([entry for entry in entries if entry.error]) == 6


def test_models_command_prints_json(tmp_home: Path, bundled: Path) -> None:
    (tmp_home / "models").mkdir()
    (tmp_home / "models" / "pointer.gguf").write_text(
        "version https://git-lfs.github.com/spec/v1\n"
    )
    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed[0]["name"] == "gemma-3-270m" and listed[0]["default"] is True
    assert "git-lfs pointer" in listed[1]["error"]


def test_models_command_table(tmp_home: Path) -> None:
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert "gemma3" in result.stdout
