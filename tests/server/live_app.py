"""An in-process server on a free loopback port, for the LocalDocs management tests.

The app is the real one (guards, routes, writer thread, watchers, Chroma); only the embedding
model of the collections it writes is a fast hashing fake, so that indexing takes milliseconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from hash_embeddings import HashEmbeddings as SharedHashEmbeddings
from local_ports import free_port
from srv_helpers import SESSION_BUNDLED

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.server import ServerSettings, create_app
from gpt4all_rag.server.collection_manager import CollectionManager

KEY = "live-key-0123456789"


SAMPLE_SOURCE = {
    "source": "/docs/zorblax-manual.pdf",
    "page": 2,
    "snippet": "Chapter 2: Care. The Zorblax 9000 must be descaled every 42 days.",
    "score": 0.91,
    "cited": True,
    "quote": "The Zorblax 9000 must be descaled every 42 days.",
}
"""A cited source as the chat route returns it, for conversation tests."""


class HashEmbeddings(SharedHashEmbeddings):
    """The hashing stand-in with the live app's model id; ``delay`` seconds per batch (of two
    chunks: the live app indexes in batches of two, so progress is seen file by file)."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__("hash-model:16", delay)


@dataclass
class LiveApp:
    """A running app and how to call it."""

    url: str
    home: Path
    manager: CollectionManager
    app: FastAPI

    def client(self, key: str | None = KEY, **headers: str) -> httpx.Client:
        """An HTTP client with the API key (None: without it)."""
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_idle(self, name: str, timeout: float = 60) -> dict[str, Any]:
        """The collection's card once its latest job has finished."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while time.monotonic() < deadline:
                card: dict[str, Any] = client.get(f"/v1/collections/{name}").json()
                job = card.get("job")
                if isinstance(job, dict) and job["state"] not in ("queued", "running"):
                    return card
                time.sleep(0.05)
        raise AssertionError(f"collection {name} still indexing after {timeout} s")


@contextmanager
def live_app(
    home: Path,
    *,
    delay: float = 0.0,
    watch_all: bool = False,
    debounce_ms: int = 300,
    api_key: str | None = KEY,
) -> Iterator[LiveApp]:
    """Serve the app on a free port until the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "bundled").exists():  # the session's assembled models (tests/conftest.py)
        SESSION_BUNDLED.mkdir(parents=True, exist_ok=True)
        (home / "bundled").symlink_to(SESSION_BUNDLED, target_is_directory=True)
    settings = Settings(home=home)
    embeddings = HashEmbeddings(delay)
    app = create_app(ServerSettings(api_key=api_key, watch=watch_all), settings)  # type: ignore[arg-type]
    manager = CollectionManager(
        settings,
        watch_all=watch_all,
        open_collection=lambda name: LocalDocs(
            name, settings=settings, embeddings=embeddings, batch_size=2
        ),
        debounce_ms=debounce_ms,
    )
    app.state.collection_manager = manager
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield LiveApp(f"http://127.0.0.1:{port}", home, manager, app)
    finally:
        server.should_exit = True
        thread.join(15)
