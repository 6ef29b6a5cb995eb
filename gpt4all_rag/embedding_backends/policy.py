"""Which embedding backend runs a model: the settings' choice, bent to what a collection holds."""

from __future__ import annotations

from gpt4all_rag.config import EmbeddingBackend
from gpt4all_rag.embedding_backends.base import INT8_SUFFIX


def backend_for(recorded: str | None, preferred: EmbeddingBackend) -> EmbeddingBackend:
    """The embedding backend for a collection: the one whose vectors it holds, once it has any.

    ``onnx-int8`` vectors carry ``:int8`` in the recorded model id; ``torch`` and ``onnx`` make
    the same vectors, so either serves a collection built by the other.
    """
    if recorded is None:
        return preferred
    if recorded.endswith(INT8_SUFFIX):
        return "onnx-int8"
    return "torch" if preferred == "onnx-int8" else preferred


def model_backend(
    model: str, recorded: str | None, preferred: EmbeddingBackend
) -> EmbeddingBackend:
    """The backend to ask for ``model``: :func:`backend_for`, except for a GGUF model, which always
    runs on llama.cpp and takes only the default ``backend="torch"`` (no ONNX export)."""
    return "torch" if model.lower().endswith(".gguf") else backend_for(recorded, preferred)
