"""8-bit recipes for the ONNX graph: each one versioned by the suffix of the model id it records.

A collection records the id of the vectors it holds (``all-MiniLM-L6-v2:384:int8v2``); the suffix
names the recipe that made them, so that its queries are always embedded the same way, even
after the default recipe changes. Float32 vectors carry no suffix.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from gpt4all_rag.config import EmbeddingBackend
from gpt4all_rag.embedding_backends.base import require

FFN_OUTPUT_SHAPE_RATIO = 4
"""A BERT feed-forward output product maps 4 x hidden features back to hidden ones."""


@dataclass(frozen=True)
class Int8Recipe:
    """How the float32 graph becomes one with 8-bit matrix products (ONNX Runtime's dynamic
    quantization: weights int8 per output channel, activations uint8 per tensor, per batch)."""

    suffix: str
    """Appended to the recorded model id of the vectors this recipe makes."""
    fuse: bool
    """Run ONNX Runtime's transformer fusions (bias + GELU, residual + LayerNorm) first."""
    float_ffn_outputs: int
    """Leading layers whose feed-forward output product stays float32: its input (GELU output,
    long-tailed) loses the most to 8-bit activations."""

    @property
    def file_name(self) -> str:
        """The quantized graph's file, beside the float32 ``model.onnx``."""
        return f"model.{self.suffix.lstrip(':')}.onnx"


INT8_RECIPES: dict[EmbeddingBackend, Int8Recipe] = {
    "onnx-int8": Int8Recipe(":int8v2", fuse=True, float_ffn_outputs=2),
    "onnx-int8-v1": Int8Recipe(":int8", fuse=False, float_ffn_outputs=0),
}
"""The recipe of each 8-bit backend: ``onnx-int8`` is the current one, ``onnx-int8-v1`` the
first (every matrix product 8-bit), kept for the collections it built."""


def vector_suffix(backend: str) -> str:
    """The model-id suffix of the vectors ``backend`` makes (empty for float32 ones)."""
    return next((recipe.suffix for name, recipe in INT8_RECIPES.items() if name == backend), "")


def recorded_backend(recorded: str) -> EmbeddingBackend | None:
    """The 8-bit backend whose suffix ends a recorded model id; None for float32 vectors."""
    for backend, recipe in INT8_RECIPES.items():
        if recorded.endswith(recipe.suffix):
            return backend
    return None


def quantize_onnx(source: Path, target: Path, recipe: Int8Recipe | None = None) -> Path:
    """Quantize an ONNX graph with ``recipe`` (the current one when None), once, atomically.

    Args:
        source: The float32 graph.
        target: The 8-bit graph to write; returned as is when it exists.
        recipe: Which fusions and products; ``INT8_RECIPES["onnx-int8"]`` when None.

    Returns:
        ``target``.
    """
    if target.is_file():
        return target
    require("onnx", "onnx")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    recipe = recipe or INT8_RECIPES["onnx-int8"]
    partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.partial")
    fused = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.fused")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs advice on the root logger
    try:
        graph = _fuse(source, fused) if recipe.fuse else source
        quantize_dynamic(
            graph,
            partial,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=_ffn_outputs(graph)[: recipe.float_ffn_outputs],
            # Products of two activations (attention) stay float32: ONNX Runtime's default for
            # dynamic quantization, pinned here (the first recipe's graph is byte-identical with
            # and without it on onnxruntime 1.32).
            extra_options={"MatMulConstBOnly": True},
        )
        os.replace(partial, target)
    finally:
        root.setLevel(level)
        partial.unlink(missing_ok=True)
        fused.unlink(missing_ok=True)
    return target


def _fuse(source: Path, target: Path) -> Path:
    """ONNX Runtime's BERT fusions, offline (heads and hidden size detected from the graph; the
    attention of a dynamo export is left unfused). ``opt_level=0``: the fusions alone, without
    ONNX Runtime's own pass first, which imports torch (the session applies it when loading)."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source), model_type="bert", num_heads=0, hidden_size=0, opt_level=0
    )
    optimized.save_model_to_file(str(target))
    return target


def _ffn_outputs(graph: Path) -> list[str]:
    """Names of the feed-forward output products (weights of 4h x h), first layer first."""
    import onnx

    model = onnx.load(str(graph))
    shapes = {item.name: list(item.dims) for item in model.graph.initializer}
    names = []
    for node in model.graph.node:
        shape = shapes.get(node.input[1]) if node.op_type == "MatMul" else None
        if shape and len(shape) == 2 and shape[0] == FFN_OUTPUT_SHAPE_RATIO * shape[1]:
            names.append(node.name)
    return names
