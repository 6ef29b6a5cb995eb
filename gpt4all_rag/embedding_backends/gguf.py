"""The GGUF backend: a GGUF embedding model run by llama.cpp, one text per call.

The model is built here rather than through :func:`gpt4all_rag.llama.runtime.load_model`: embeddings
need one whole text in one llama.cpp batch (``n_batch = n_ubatch = n_ctx``), and the runtime
builds its contexts with ``n_batch = min(512, n_ctx)``, which would truncate texts at 512 tokens.
"""

from __future__ import annotations

import threading

from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.embedding_backends.base import EmbeddingModelRef, l2_normalize
from gpt4all_rag.errors import GPT4AllRagError

GGUF_MAX_CTX = 2048
"""Context (and batch) size for GGUF embedding models: one sequence must fit one batch."""


class LlamaEncoder:
    """A GGUF embedding model run by llama.cpp, calls serialized (llama.cpp is not thread-safe)."""

    def __init__(self, ref: EmbeddingModelRef, settings: Settings | None = None) -> None:
        from gpt4all_rag.llama.catalog import read_spec

        spec = read_spec(ref.path)  # a clear InvalidModelFileError for a broken file
        try:
            import llama_cpp
        except ImportError as exc:
            raise GPT4AllRagError(
                "GGUF embedding models need llama-cpp-python, a dependency of gpt4all-rag that is "
                "missing or broken here: reinstall it with `pip install --force-reinstall "
                "llama-cpp-python`."
            ) from exc
        from gpt4all_rag.llama.cpu_support import extra_buffers_wanted, model_params_for
        from gpt4all_rag.llama.logs import quiet_llama_logs

        quiet_llama_logs()
        n_ctx = min(spec.context_length or 512, GGUF_MAX_CTX)
        settings = settings or get_settings()
        with model_params_for(extra_buffers_wanted(settings.llama_extra_buffers)):
            self._llm = llama_cpp.Llama(
                model_path=str(ref.path),
                embedding=True,
                n_ctx=n_ctx,
                n_batch=n_ctx,
                n_ubatch=n_ctx,
                n_threads=settings.threads(),
                verbose=False,
            )
        self.max_tokens = n_ctx
        self.dimension = int(self._llm.n_embd())
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
        """One vector per text, in order; ``batch_size`` is unused (one text per call)."""
        import numpy as np

        vectors = []
        with self._lock:
            # One text per llama.cpp call: several sequences in one batch gave other vectors than
            # the same texts alone (llama-cpp-python 0.3, a causal GGUF), so batch_size is unused.
            for text in texts:
                array = np.asarray(self._llm.embed(text, normalize=False), dtype=np.float32)
                # Models without a pooling layer give one vector per token: mean-pool them.
                vectors.append(array.mean(axis=0) if array.ndim == 2 else array)
        result = np.stack(vectors)
        if normalize:
            result = l2_normalize(result)
        return result.tolist()

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` with BOS, special tokens in the text read as plain text."""
        with self._lock:
            return len(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    def close(self) -> None:
        """Free the llama.cpp model (waits for a running call)."""
        with self._lock:
            self._llm.close()
