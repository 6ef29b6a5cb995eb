"""Which embedding backend runs a model: the settings' choice, bent to what a collection holds."""

from __future__ import annotations

from gpt4all_rag.config import EmbeddingBackend
from gpt4all_rag.embedding_backends.quantization import recorded_backend, vector_suffix


def backend_for(recorded: str | None, preferred: EmbeddingBackend) -> EmbeddingBackend:
    """The embedding backend for a collection: the one whose vectors it holds, once it has any.

    8-bit vectors carry their recipe's suffix in the recorded model id (``:int8v2`` for
    ``onnx-int8``, ``:int8`` for the first recipe, ``onnx-int8-v1``); ``torch`` and ``onnx`` make
    the same float32 vectors, so either serves a collection built by the other (``onnx`` when an
    8-bit backend is preferred: no torch loaded).
    """
    if recorded is None:
        return preferred
    quantized = recorded_backend(recorded)
    if quantized is not None:
        return quantized
    return "onnx" if vector_suffix(preferred) else preferred


def model_backend(
    model: str, recorded: str | None, preferred: EmbeddingBackend
) -> EmbeddingBackend:
    """The backend to ask for ``model``: :func:`backend_for`, except for a GGUF model, which always
    runs on llama.cpp and takes only the default ``backend="torch"`` (no ONNX export)."""
    return "torch" if model.lower().endswith(".gguf") else backend_for(recorded, preferred)


def same_vectors(recorded: str, model_name: str, backend: str) -> bool:
    """Whether a recorded model id (``name:dimension[suffix]``) names the vectors that
    ``model_name`` makes on ``backend``, judged without loading the model."""
    suffix = vector_suffix(backend)
    if (recorded_backend(recorded) is not None) != bool(suffix) or not recorded.endswith(suffix):
        return False
    return recorded.removesuffix(suffix).rpartition(":")[0] == model_name
