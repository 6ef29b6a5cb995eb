"""What this CPU and this llama.cpp build can do, and the AMX workaround that depends on it.

llama.cpp built natively on an Intel Xeon with AMX places quantized weights in AMX buffers, and
its AMX matrix product crashes (``segfault in ggml_backend_amx_mul_mat``, llama.cpp issue 20824)
on the bundled Q4_K_M model. Loading the model with ``use_extra_bufts = False`` keeps the weights
in plain CPU buffers and answers correctly. That also turns off weight repacking, which speeds up
prompt processing on every CPU, so the workaround applies only where the build has AMX.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from gpt4all_rag.config import ExtraBuffers

RELEVANT_CPU_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)
"""CPU flags that decide which llama.cpp kernels run (shown by ``doctor`` and crash reports)."""

_AMX_IN_BUILD = re.compile(r"\bAMX_INT8\s*=\s*1\b")
_PARAMS_PATCH_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def llama_system_info() -> str:
    """The llama.cpp build's feature line (``AVX2 = 1 | ... | REPACK = 1``)."""
    import llama_cpp

    return llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()


def build_has_amx(system_info: str) -> bool:
    """Whether a llama.cpp system info line says the build uses AMX int8 kernels."""
    return bool(_AMX_IN_BUILD.search(system_info))


def use_extra_buffer_types(setting: ExtraBuffers, system_info: str) -> bool:
    """Whether to load models with llama.cpp's extra buffer types (AMX, weight repacking).

    Args:
        setting: ``auto`` decides from ``system_info``; ``on``/``off`` force the answer.
        system_info: The llama.cpp build's feature line.

    Returns:
        False where the build has AMX (its kernels crash) or when forced off; True otherwise.
    """
    if setting != "auto":
        return setting == "on"
    return not build_has_amx(system_info)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    """The :data:`RELEVANT_CPU_FLAGS` this CPU has, in that order (empty when unknown)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    match = re.search(r"^flags\s*:(.*)$", text, re.MULTILINE)
    present = set(match.group(1).split()) if match else set()
    return [flag for flag in RELEVANT_CPU_FLAGS if flag in present]


def extra_buffers_wanted(setting: ExtraBuffers) -> bool:
    """:func:`use_extra_buffer_types` for this process's llama.cpp build (read only for auto)."""
    return use_extra_buffer_types(setting, llama_system_info() if setting == "auto" else "")


@contextlib.contextmanager
def model_params_for(use_extra_buffers: bool) -> Iterator[None]:
    """While active, ``llama_cpp.Llama(...)`` loads models with or without llama.cpp's extra
    buffer types (``Llama`` has no argument for it).

    Loads inside the block are serialized; the patch is undone on exit.
    """
    if use_extra_buffers:
        yield
        return
    import llama_cpp.llama_cpp as bindings

    with _PARAMS_PATCH_LOCK:
        original = bindings.llama_model_default_params

        def without_extra_buffers() -> bindings.llama_model_params:
            params = original()
            params.use_extra_bufts = False
            return params

        bindings.llama_model_default_params = without_extra_buffers
        try:
            yield
        finally:
            bindings.llama_model_default_params = original
