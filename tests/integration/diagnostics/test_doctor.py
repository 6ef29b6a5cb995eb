"""`gpt4all-rag doctor` on the real bundled models, and a crash of the generation check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.diagnostics import doctor

pytestmark = [pytest.mark.models, pytest.mark.slow]

CRASHING_GENERATION = """
import ctypes
import sys

from gpt4all_rag.diagnostics.live_checks import main

if sys.argv[1:] == ["generate"]:
    ctypes.string_at(0)  # a real segmentation fault, as llama.cpp's AMX path gives
sys.exit(main(sys.argv[1:]))
"""


def test_doctor_passes_on_the_bundled_models(tmp_home: Path) -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    checks = {check["name"]: check for check in report["checks"]}
    assert set(checks) == {"disk", "bundled models", "system-info", "generate", "embed", "chroma"}
    assert checks["generate"]["data"]["tokens"] > 0
    assert checks["embed"]["data"]["dimension"] == 384
    assert "AVX" in report["facts"]["llama_system_info"]
    assert report["facts"]["packages"]["llama-cpp-python"]


def test_doctor_reports_a_crashing_generation_check(
    tmp_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "crashing_checks.py").write_text(CRASHING_GENERATION, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(doctor, "LIVE_CHECKS_MODULE", "crashing_checks")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    generate = next(line for line in lines if "generate:" in line)
    assert "FAIL" in generate and "SIGSEGV" in generate
    assert any(line.strip().startswith("fix:") for line in lines)
    assert any(line.startswith("ok") and "embed:" in line for line in lines)
    assert "Some checks failed." in result.output


def test_the_test_suite_stops_with_one_line_when_generation_crashes(tmp_path: Path) -> None:
    (tmp_path / "crashing_checks.py").write_text(CRASHING_GENERATION, encoding="utf-8")
    (tmp_path / "use_crashing_checks.py").write_text(
        "from gpt4all_rag.diagnostics import doctor\n"
        "doctor.LIVE_CHECKS_MODULE = 'crashing_checks'\n",
        encoding="utf-8",
    )
    tests = Path(__file__).parents[2]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "use_crashing_checks",
            "-q",
            str(tests / "unit" / "diagnostics" / "test_cpu_support.py"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        cwd=tests.parent,
        timeout=600,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "llama.cpp crashed in the generate check (SIGSEGV) before any test ran" in output
    assert "passed" not in output
