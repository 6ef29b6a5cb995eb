"""Fixtures for the server tests: a real `gpt4all-rag serve` process on a free loopback port.

The server runs on its own data home (the bundled model shared with the session) holding one
small collection, indexed here with the real embedding model.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

SESSION_BUNDLED = Path(os.environ["GPT4ALL_RAG_HOME"]) / "bundled"
"""The session's assembled bundled model (see tests/conftest.py), shared by every home."""

API_KEY = "test-key-0123456789"
ALLOWED_ORIGIN = "http://allowed.example:8080"
MAX_BODY_BYTES = 65_536
N_CTX = 2048
COLLECTION = "manuals"


@dataclass
class RunningServer:
    """A server process and how to reach it."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    home: Path
    log: Path

    @property
    def api(self) -> str:
        """Base URL of the OpenAI API."""
        return f"{self.url}/v1"

    def client(self, **options: object) -> openai.OpenAI:
        """The official client, with the right key."""
        return openai.OpenAI(base_url=self.api, api_key=API_KEY, max_retries=0, **options)  # type: ignore[arg-type]

    def async_client(self, **options: object) -> openai.AsyncOpenAI:
        """The official async client, with the right key."""
        return openai.AsyncOpenAI(base_url=self.api, api_key=API_KEY, max_retries=0, **options)  # type: ignore[arg-type]

    def rss_bytes(self) -> int:
        """Resident memory of the server process."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line")

    def health(self) -> dict[str, object]:
        """``GET /health``."""
        reply: dict[str, object] = httpx.get(f"{self.url}/health", timeout=10).json()
        return reply


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_executable() -> str:
    """The `gpt4all-rag` console script of this environment."""
    found = Path(sys.executable).with_name("gpt4all-rag")
    if not found.exists():
        pytest.fail("the gpt4all-rag console script is missing: pip install -e '.[test,server]'")
    return str(found)


def write_pdf(path: Path, pages: list[str]) -> Path:
    """A real PDF with one text page per entry."""
    from fpdf import FPDF

    pdf = FPDF()
    for text in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(w=0, text=text)
    pdf.output(str(path))
    return path


def write_corpus(folder: Path) -> Path:
    """A small manual: the answer to the test question sits on page 2 of the PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(
        folder / "zorblax-manual.pdf",
        [
            "Zorblax 9000 espresso machine. Chapter 1: Unpacking. Remove the water tank and "
            "rinse it. Place the machine on a flat, dry surface away from the sink.",
            "Chapter 2: Care. The Zorblax 9000 must be descaled every 42 days. Use the blue "
            "descaling tablets and run the rinse program twice afterwards.",
        ],
    )
    (folder / "warranty.md").write_text(
        "# Warranty\n\nThe Zorblax warranty lasts three years from the date of purchase. "
        "Keep the receipt; repairs are free within the warranty period.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="session")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home with the collection ``manuals`` indexed from :func:`write_corpus`."""
    home = tmp_path_factory.mktemp("server-home")
    SESSION_BUNDLED.mkdir(parents=True, exist_ok=True)
    (home / "bundled").symlink_to(SESSION_BUNDLED, target_is_directory=True)
    corpus = write_corpus(tmp_path_factory.mktemp("server-corpus"))
    from gpt4all_rag.config import Settings
    from gpt4all_rag.localdocs import LocalDocs

    report = LocalDocs(COLLECTION, settings=Settings(home=home)).index([corpus])
    assert report.ok and report.added == 2, report
    return home


@pytest.fixture(scope="session")
def server(server_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`gpt4all-rag serve` with an API key, one allowed origin, a 64 KiB body limit, n_ctx 2048."""
    port = free_port()
    log = tmp_path_factory.mktemp("server-log") / "server.log"
    env = {
        **os.environ,
        "GPT4ALL_RAG_HOME": str(server_home),
        "GPT4ALL_RAG_N_CTX": str(N_CTX),
        "GPT4ALL_RAG_API_KEY": API_KEY,
    }
    command = [
        cli_executable(),
        "serve",
        "--port",
        str(port),
        "--allowed-origin",
        ALLOWED_ORIGIN,
        "--max-body-bytes",
        str(MAX_BODY_BYTES),
        "--log-level",
        "warning",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    running = RunningServer(f"http://127.0.0.1:{port}", port, process, server_home, log)
    try:
        _wait_until_up(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(running: RunningServer, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            pytest.fail(f"the server exited: {running.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{running.url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /health within {timeout} s")


@pytest.fixture(scope="session")
def warm_server(server: RunningServer) -> RunningServer:
    """The server with its chat model loaded (the first request loads it)."""
    reply = server.client().completions.create(model="default", prompt="Hello", max_tokens=1)
    assert reply.choices
    return server


@pytest.fixture
def client(warm_server: RunningServer) -> openai.OpenAI:
    """The official openai client pointed at the warm server."""
    return warm_server.client(timeout=120)
