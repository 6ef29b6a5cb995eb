"""A deterministic stand-in for another embedding model (another name and dimension)."""

from __future__ import annotations


class OtherModel:
    """Embeds anything into 8 numbers, under the id ``other-model:8``."""

    model_id = "other-model:8"
    max_tokens = 256

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(len(t) % (i + 2)) + 1.0 for i in range(8)] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
