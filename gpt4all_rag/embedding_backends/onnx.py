"""The ONNX backend: a sentence-transformers folder exported once and run by ONNX Runtime.

The transformer is exported with ``torch.onnx`` into the data home (optionally made 8-bit by a
recipe of :mod:`~gpt4all_rag.embedding_backends.quantization`); tokenizing, pooling and
normalizing are done here, so no ``optimum`` is needed (``onnx``, ``onnxscript`` and
``onnxruntime`` are dependencies).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.embedding_backends.base import (
    EmbeddingModelRef,
    FolderTokenizer,
    l2_normalize,
    length_batches,
    load_tokenizer,
    quiet_transformers,
    read_json,
    require,
)
from gpt4all_rag.embedding_backends.quantization import Int8Recipe, quantize_onnx
from gpt4all_rag.errors import UnsupportedModelError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True)
class Pipeline:
    """What a sentence-transformers folder does after its transformer."""

    transformer_dir: Path
    pooling: Literal["mean", "cls", "max"]
    normalized: bool


def read_pipeline(folder: Path) -> Pipeline:
    """Read ``modules.json``; only Transformer + Pooling (+ Normalize) can run on ONNX here.

    Raises:
        UnsupportedModelError: Other modules, or a pooling other than mean, cls or max.
    """
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
    pooling_config = read_json(folder / modules[1].get("path", "") / "config.json")
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
    return Pipeline(folder / modules[0].get("path", ""), pooling, len(kinds) == 3)


def onnx_cache_file(ref: EmbeddingModelRef, settings: Settings | None = None) -> Path:
    """Where the exported ONNX graph of a folder lives: under the data home of ``settings`` (the
    process-wide settings when None), keyed by its files and the exporting torch's version (read
    without importing torch, which a cached graph never needs)."""
    from importlib.metadata import version

    fingerprint = hashlib.sha256(version("torch").encode())
    for file in sorted(ref.path.rglob("*")):
        if file.is_file():
            stat = file.stat()
            fingerprint.update(
                f"{file.relative_to(ref.path)}:{stat.st_size}:{stat.st_mtime_ns}".encode()
            )
    safe_name = "".join(char if char.isalnum() or char in "-_." else "_" for char in ref.name)
    home = (settings or get_settings()).home
    folder = home / "embeddings" / "onnx" / f"{safe_name}-{fingerprint.hexdigest()[:16]}"
    return folder / "model.onnx"


def export_onnx(transformer_dir: Path, target: Path) -> Path:
    """Export a transformer folder to ONNX (dynamic batch and sequence axes), atomically.

    Args:
        transformer_dir: Folder with ``config.json`` and the weights.
        target: The ``.onnx`` file to write.

    Returns:
        ``target``.

    Raises:
        MissingDependencyError: ``onnx`` or ``onnxscript`` (``onnx``, ``onnxscript`` and ``onnxruntime`` are dependencies) is not installed.
    """
    require("onnx", "onnx")
    require("onnxscript", "onnxscript")
    import contextlib
    import inspect
    import io
    import warnings

    import torch
    from transformers import AutoModel

    with quiet_transformers():
        model = AutoModel.from_pretrained(str(transformer_dir), local_files_only=True).eval()
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


class OnnxEncoder:
    """A sentence-transformers folder exported to ONNX and run by ONNX Runtime."""

    def __init__(
        self,
        ref: EmbeddingModelRef,
        *,
        recipe: Int8Recipe | None = None,
        settings: Settings | None = None,
    ) -> None:
        """Load (exporting and quantizing on first use) the graph of ``ref``.

        Args:
            ref: A sentence-transformers folder.
            recipe: How to make the graph 8-bit; float32 when None.
            settings: Data home of the graphs and threads; the process-wide settings when None.
        """
        require("onnxruntime", "onnxruntime")
        import onnxruntime as ort

        pipeline = read_pipeline(ref.path)
        settings = settings or get_settings()
        target = onnx_cache_file(ref, settings)
        if not target.is_file():
            export_onnx(pipeline.transformer_dir, target)
        if recipe is not None:
            target = quantize_onnx(target, target.with_name(recipe.file_name), recipe)
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning: on 2 shared cores (PDF parsing runs beside
        # embedding) spinning cost a third of the throughput (docs/benchmarks.md "Indexing").
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(target), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = [item.name for item in self._session.get_inputs()]
        self._tokens = FolderTokenizer(ref.path)
        self._batcher = load_tokenizer(ref.path)
        self._batcher.enable_truncation(max_length=self._tokens.max_tokens)
        self.max_tokens = self._tokens.max_tokens
        self._pipeline = pipeline
        self.dimension = len(self.encode(["dimension"], 1, False)[0])

    def encode(self, texts: list[str], batch_size: int, normalize: bool) -> list[list[float]]:
        """One vector per text, in order; batched by length (see ``length_batches``)."""
        import numpy as np

        encodings = self._batcher.encode_batch(texts)
        pooled: list[NDArray[np.float32]] = [np.empty(0, dtype=np.float32)] * len(texts)
        for batch in length_batches([len(encoding.ids) for encoding in encodings], batch_size):
            vectors = self._run([encodings[index] for index in batch])
            for row, index in enumerate(batch):
                pooled[index] = vectors[row]
        result = np.stack(pooled) if pooled else np.zeros((0, 0), dtype=np.float32)
        if normalize or self._pipeline.normalized:
            result = l2_normalize(result)
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
        """Tokens of ``text``, special tokens included, without truncation."""
        return self._tokens.count(text)
