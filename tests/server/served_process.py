"""`gpt4all-rag serve` as a child process on a fixed port, which a test can stop and start again."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from local_ports import free_port
from srv_helpers import API_KEY, N_CTX, cli_executable


class Server:
    """`gpt4all-rag serve` on a fixed port that can be stopped and started again."""

    def __init__(self, home: Path, log: Path) -> None:
        self.home = home
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "GPT4ALL_RAG_HOME": str(self.home),
            "GPT4ALL_RAG_N_CTX": str(N_CTX),
            "GPT4ALL_RAG_API_KEY": API_KEY,
        }
        command = [cli_executable(), "serve", "--port", str(self.port), "--log-level", "warning"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail("the server did not start within 90 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def bundled_home(home: Path) -> Path:
    """An empty data home that shares the session's assembled bundled models."""
    from srv_helpers import SESSION_BUNDLED

    home.mkdir(parents=True)
    SESSION_BUNDLED.mkdir(parents=True, exist_ok=True)
    (home / "bundled").symlink_to(SESSION_BUNDLED, target_is_directory=True)
    return home


@contextmanager
def serving(folder: Path) -> Iterator[Server]:
    """A started ``gpt4all-rag serve`` on a data home with the bundled models, under ``folder``
    (``home/`` and ``server.log``); stopped on exit."""
    running = Server(bundled_home(folder / "home"), folder / "server.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()
