"""Embedding backends, one module each, and the process-wide cache of loaded models.

* :mod:`~gpt4all_rag.embedding_backends.torch`: a sentence-transformers folder on torch;
* :mod:`~gpt4all_rag.embedding_backends.onnx`: the same folder exported to ONNX Runtime
  (``onnx``, or 8-bit with ``onnx-int8``);
* :mod:`~gpt4all_rag.embedding_backends.quantization`: the 8-bit recipes, versioned by the
  suffix of the model id their vectors record;
* :mod:`~gpt4all_rag.embedding_backends.gguf`: a GGUF embedding model through llama.cpp;
* :mod:`~gpt4all_rag.embedding_backends.base`: what they share (model resolution, tokenizers,
  normalization, length batching);
* :mod:`~gpt4all_rag.embedding_backends.policy`: which backend runs a collection's model.

Loaded models are heavy: each is built once per process and shared by every caller that names the
same (model path, backend). Nothing heavy is imported until a model is first used.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path
from typing import Protocol

from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.embedding_backends.base import (
    Backend,
    EmbeddingModelRef,
    FolderTokenizer,
    ModelKind,
    resolve_embedding_model,
)
from gpt4all_rag.embedding_backends.gguf import LlamaEncoder
from gpt4all_rag.embedding_backends.onnx import OnnxEncoder, export_onnx
from gpt4all_rag.embedding_backends.quantization import INT8_RECIPES, quantize_onnx
from gpt4all_rag.embedding_backends.torch import TorchEncoder

__all__ = [
    "Backend",
    "EmbeddingModelRef",
    "Encoder",
    "ModelKind",
    "clear_model_cache",
    "encoder_for",
    "export_onnx",
    "quantize_onnx",
    "resolve_embedding_model",
    "tokenizer_for",
]


class Encoder(Protocol):
    """A loaded model: turns texts into vectors; thread-safe."""

    dimension: int
    max_tokens: int

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
        """One vector per text, in order."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` as the model counts them, without truncation."""
        ...


_ENCODERS: dict[tuple[Path, Backend, Path, int, str], Encoder] = {}
"""The loaded models, by (model path, backend, data home, threads, llama.cpp extra buffers)."""
_TOKENIZERS: dict[Path, FolderTokenizer] = {}
_CACHE_LOCK = threading.Lock()


def encoder_for(
    ref: EmbeddingModelRef, backend: Backend, settings: Settings | None = None
) -> Encoder:
    """The shared loaded model for (path, backend) and the settings it runs with (data home
    for the ONNX graph, threads), built on first use.

    GGUF files always run on llama.cpp, whatever ``backend`` says.
    """
    settings = settings or get_settings()
    key = (ref.path, backend, settings.home, settings.threads(), settings.llama_extra_buffers)
    with _CACHE_LOCK:
        encoder = _ENCODERS.get(key)
        if encoder is None:
            encoder = _ENCODERS[key] = _build(ref, backend, settings)
        return encoder


def _build(ref: EmbeddingModelRef, backend: Backend, settings: Settings) -> Encoder:
    if ref.kind == "gguf":
        return LlamaEncoder(ref, settings)
    if backend == "onnx" or backend in INT8_RECIPES:
        return OnnxEncoder(ref, recipe=INT8_RECIPES.get(backend), settings=settings)
    return TorchEncoder(ref.path)


def tokenizer_for(folder: Path) -> FolderTokenizer:
    """The shared tokenizer of a sentence-transformers folder: counts without loading the model."""
    with _CACHE_LOCK:
        tokenizer = _TOKENIZERS.get(folder)
        if tokenizer is None:
            tokenizer = _TOKENIZERS[folder] = FolderTokenizer(folder)
        return tokenizer


@atexit.register
def _close_llama_models() -> None:
    """Free llama.cpp models before interpreter teardown (their finalizers fail after it)."""
    with _CACHE_LOCK:
        for encoder in _ENCODERS.values():
            if isinstance(encoder, LlamaEncoder):
                encoder.close()


def clear_model_cache() -> None:
    """Forget every loaded embedding model and tokenizer (they are freed when unused)."""
    with _CACHE_LOCK:
        _ENCODERS.clear()
        _TOKENIZERS.clear()
