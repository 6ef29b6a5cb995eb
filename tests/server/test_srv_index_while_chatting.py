"""Indexing a folder from the API does not hold up chat: a real server, the bundled models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from served_process import Server, serving
from srv_helpers import API_KEY

pytestmark = [pytest.mark.models, pytest.mark.slow]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with serving(tmp_path) as running:
        yield running


def _folder(root: Path, files: int) -> Path:
    folder = root / "many"
    folder.mkdir()
    for number in range(files):
        lines = [
            f"Note {number}, line {line}: pump {number * 7 + line} runs." for line in range(40)
        ]
        (folder / f"note-{number:04d}.md").write_text("\n\n".join(lines), encoding="utf-8")
    return folder


def test_chat_answers_while_a_folder_is_indexed(server: Server, tmp_path: Path) -> None:
    folder = _folder(tmp_path, files=300)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=300) as client:
        warm = client.post(
            "/v1/completions", json={"model": "default", "prompt": "Hello", "max_tokens": 1}
        )
        assert warm.status_code == 200
        created = client.post("/v1/collections", json={"name": "many", "folders": [str(folder)]})
        assert created.status_code == 202
        deadline = time.monotonic() + 120
        while client.get("/v1/collections/many").json()["job"]["phase"] != "indexing":
            assert time.monotonic() < deadline, "indexing did not start"
            time.sleep(0.1)

        started = time.monotonic()
        reply = client.post(
            "/v1/chat/completions",
            json={
                "model": "default",
                "messages": [{"role": "user", "content": "Say hello."}],
                "max_tokens": 8,
            },
        )
        took = time.monotonic() - started
        assert reply.status_code == 200 and reply.json()["choices"][0]["message"]["content"]
        job = client.get("/v1/collections/many").json()["job"]
        assert job["state"] == "running", f"indexing ended before the answer ({took:.1f} s)"
        assert job["files_done"] < job["files_total"]
        assert took < 30, f"the chat took {took:.1f} s while indexing"

        deadline = time.monotonic() + 600
        while client.get("/v1/collections/many").json()["job"]["state"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert client.get("/v1/collections/many").json()["files"] == 300
