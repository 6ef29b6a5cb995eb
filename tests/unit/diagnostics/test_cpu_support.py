"""The AMX workaround is decided from the llama.cpp build's system info, and applied narrowly."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpt4all_rag.llama import cpu_support
from gpt4all_rag.llama.cpu_support import (
    build_has_amx,
    cpu_flags,
    extra_buffers_wanted,
    model_params_for,
    use_extra_buffer_types,
)

AMX_BUILD = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
    "AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | "
    "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
)
AVX2_BUILD = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
    "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (AMX_BUILD, True),
        (AVX2_BUILD, False),
        ("CPU : AVX2 = 1 | AMX_INT8 = 0 | REPACK = 1 |", False),
        ("CPU : AMX_INT8=1|", True),
        ("", False),
    ],
)
def test_build_has_amx(info: str, expected: bool) -> None:
    assert build_has_amx(info) is expected


@pytest.mark.parametrize(
    ("setting", "info", "expected"),
    [
        ("auto", AMX_BUILD, False),
        ("auto", AVX2_BUILD, True),
        ("on", AMX_BUILD, True),
        ("off", AVX2_BUILD, False),
    ],
)
def test_extra_buffers_are_off_only_on_amx_builds_or_when_forced(
    setting: cpu_support.ExtraBuffers, info: str, expected: bool
) -> None:
    assert use_extra_buffer_types(setting, info) is expected


def test_cpu_flags_reads_the_flags_line(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Intel Xeon\n"
        "flags\t\t: fpu sse avx avx2 fma avx512f avx512_vnni amx_tile amx_int8 amx_bf16\n"
    )
    assert cpu_flags(cpuinfo) == [
        "avx",
        "avx2",
        "fma",
        "avx512f",
        "avx512_vnni",
        "amx_tile",
        "amx_int8",
        "amx_bf16",
    ]
    assert cpu_flags(tmp_path / "missing") == []


def _default_extra_bufts() -> bool:
    import llama_cpp.llama_cpp as bindings

    return bool(bindings.llama_model_default_params().use_extra_bufts)


def test_model_params_patch_applies_inside_the_block_only_on_amx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cpu_support, "llama_system_info", lambda: AMX_BUILD)
    assert _default_extra_bufts()
    with model_params_for(extra_buffers_wanted("auto")):
        assert not _default_extra_bufts()
    assert _default_extra_bufts()


def test_model_params_untouched_without_amx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu_support, "llama_system_info", lambda: AVX2_BUILD)
    with model_params_for(extra_buffers_wanted("auto")):
        assert _default_extra_bufts()


def test_model_params_patch_is_undone_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu_support, "llama_system_info", lambda: AMX_BUILD)
    with pytest.raises(RuntimeError), model_params_for(extra_buffers_wanted("auto")):
        raise RuntimeError("load failed")
    assert _default_extra_bufts()


def test_forced_settings_do_not_need_the_build_info(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu_support, "llama_system_info", lambda: pytest.fail("not needed"))
    assert extra_buffers_wanted("on") is True
    assert extra_buffers_wanted("off") is False
