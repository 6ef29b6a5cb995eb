"""The torch backend: a sentence-transformers folder run by sentence-transformers on the CPU."""

from __future__ import annotations

import threading
from pathlib import Path

from gpt4all_rag.embedding_backends.base import FolderTokenizer, quiet_transformers


class TorchEncoder:
    """sentence-transformers on torch (CPU)."""

    def __init__(self, folder: Path) -> None:
        from sentence_transformers import SentenceTransformer

        with quiet_transformers():
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._tokens = FolderTokenizer(folder)
        self.max_tokens = self._tokens.max_tokens
        model = self._model
        dimension_of = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension  # sentence-transformers < 5.2
        )
        self.dimension = int(dimension_of() or 0)
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
        """One vector per text, in order."""
        # sentence-transformers sorts the texts by length before batching and restores the order.
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.tolist()

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text``, special tokens included, without truncation."""
        return self._tokens.count(text)
