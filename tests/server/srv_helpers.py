"""Helpers for the server tests: the running server handle, settings, a small corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest
from pdf_pages import write_pdf

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

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    def health(self) -> dict[str, object]:
        """``GET /health``."""
        reply: dict[str, object] = httpx.get(f"{self.url}/health", timeout=10).json()
        return reply


def cli_executable() -> str:
    """The `gpt4all-rag` console script of this environment."""
    found = Path(sys.executable).with_name("gpt4all-rag")
    if not found.exists():
        pytest.fail("the gpt4all-rag console script is missing: pip install -e '.[test,server]'")
    return str(found)


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
