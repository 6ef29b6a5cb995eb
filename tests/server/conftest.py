"""Fixtures for the server tests: a real `gpt4all-rag serve` process on a free loopback port.

The server runs on its own data home (the bundled model shared with the session) holding one
small collection, indexed here with the real embedding model.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from local_ports import free_port
from page_browser import launch_chromium
from srv_helpers import (
    ALLOWED_ORIGIN,
    API_KEY,
    COLLECTION,
    MAX_BODY_BYTES,
    N_CTX,
    SESSION_BUNDLED,
    RunningServer,
    cli_executable,
    write_corpus,
)


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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, for one test module (page_browser.launch_chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()  # type: ignore[attr-defined]
