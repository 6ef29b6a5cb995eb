"""A fast, deterministic stand-in for the embedding model: unit vectors from a text's hash.

Shared by the LocalDocs unit tests and the in-process server tests, where indexing must take
milliseconds; everything else in those tests is real.
"""

from __future__ import annotations

import hashlib
import math
import time

DIMENSION = 16


def vector_for(text: str) -> list[float]:
    """A unit vector derived from the text's hash."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [b - 127.5 for b in digest[:DIMENSION]]
    norm = math.sqrt(sum(x * x for x in raw))
    return [x / norm for x in raw]


class HashEmbeddings:
    """Deterministic vectors from a hash of the text; records what it embeds.

    Args:
        model_id: What the collection records as its embedding model.
        delay: Seconds each ``embed_documents`` call sleeps (to watch progress).
    """

    def __init__(self, model_id: str = f"fake-model:{DIMENSION}", delay: float = 0.0) -> None:
        self._model_id = model_id
        self.delay = delay
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.delay:
            time.sleep(self.delay)
        self.embedded.extend(texts)
        return [vector_for(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return vector_for(text)

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    @property
    def max_tokens(self) -> int:
        return 256

    @property
    def model_id(self) -> str:
        return self._model_id
