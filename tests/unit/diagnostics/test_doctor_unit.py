"""doctor's explanations: crashes by signal, failures, disk space; no model is loaded here."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from gpt4all_rag.diagnostics import doctor
from gpt4all_rag.diagnostics.doctor import crash_fix, crash_result, disk_check, run_live_check

AMX_INFO = "CPU : AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |"


def test_segfault_on_an_amx_build_points_at_the_amx_workaround() -> None:
    result = crash_result("generate", signal.SIGSEGV, AMX_INFO)
    assert not result.ok
    assert result.data == {"signal": "SIGSEGV"}
    assert "SIGSEGV" in result.detail
    assert result.fix is not None
    assert "GPT4ALL_RAG_LLAMA_EXTRA_BUFFERS=off" in result.fix
    assert "20824" in result.fix


def test_illegal_instruction_means_a_build_for_another_cpu() -> None:
    assert "built for another CPU" in crash_fix(signal.SIGILL, AMX_INFO)


def test_segfault_without_amx_suggests_a_portable_build() -> None:
    assert "GGML_NATIVE=OFF" in crash_fix(signal.SIGSEGV, "CPU : AVX2 = 1 |")


def _child_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    (tmp_path / "fake_checks.py").write_text(body, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(doctor, "LIVE_CHECKS_MODULE", "fake_checks")


@pytest.mark.slow
def test_a_child_killed_by_sigsegv_is_reported_not_suffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child_module(tmp_path, monkeypatch, "import ctypes\nctypes.string_at(0)\n")
    result = run_live_check("generate", AMX_INFO)
    assert not result.ok
    assert result.data["signal"] == "SIGSEGV"
    assert result.fix is not None and "EXTRA_BUFFERS" in result.fix


@pytest.mark.slow
def test_a_failing_child_shows_its_last_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _child_module(
        tmp_path,
        monkeypatch,
        "import sys\nprint('noise', file=sys.stderr)\n"
        "print('OSError: model file unreadable', file=sys.stderr)\nsys.exit(1)\n",
    )
    result = run_live_check("generate")
    assert not result.ok
    assert result.detail == "OSError: model file unreadable"
    assert result.fix is not None and "gpt4all-rag models" in result.fix


@pytest.mark.slow
def test_a_hung_child_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _child_module(tmp_path, monkeypatch, "import time\ntime.sleep(30)\n")
    result = run_live_check("chroma", timeout=1)
    assert not result.ok
    assert "no answer after 1 s" in result.detail


@pytest.mark.slow
def test_a_passing_child_gives_its_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _child_module(
        tmp_path,
        monkeypatch,
        'print("loading...")\nprint(\'{"dimension": 384, "seconds": 0.1, "model": "m"}\')\n',
    )
    result = run_live_check("embed")
    assert result.ok
    assert result.data["dimension"] == 384
    assert "384 dimensions" in result.detail


def test_disk_check_walks_up_to_an_existing_folder(tmp_path: Path) -> None:
    result = disk_check(tmp_path / "not" / "yet" / "made")
    assert result.name == "disk"
    assert str(tmp_path) in result.detail


def test_disk_check_fails_when_space_is_low(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "LOW_DISK_BYTES", 10**18)
    result = disk_check(tmp_path)
    assert not result.ok
    assert result.fix is not None


@pytest.mark.slow
def test_live_checks_usage_error_for_an_unknown_check() -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "gpt4all_rag.diagnostics.live_checks", "nope"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "usage" in done.stderr
