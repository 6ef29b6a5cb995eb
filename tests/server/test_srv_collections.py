"""``/v1/collections``: create from a folder, re-index, stop, remove; progress as server-sent events.

A real app on a loopback port with real Chroma and ledgers; only the embedder is a fast fake.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_app import KEY, LiveApp, live_app


def _folder(root: Path, files: int = 2) -> Path:
    folder = root / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(files):
        (folder / f"note-{number}.md").write_text(
            f"# Note {number}\n\nThe part number of widget {number} is W-{number:04d}.\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path / "home") as running:
        yield running


def test_create_a_collection_from_a_folder_then_list_it(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with app.client() as client:
        reply = client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        assert reply.status_code == 202, reply.text
        card = reply.json()
        assert card["id"] == "notes" and card["folders"] == [str(folder.resolve())]
        assert card["status"] in ("queued", "indexing", "ready")
        done = app.wait_idle("notes")
        assert done["status"] == "ready" and done["files"] == 2 and done["chunks"] >= 2
        job = done["job"]
        assert isinstance(job, dict)
        assert job["state"] == "done" and job["added"] == 2 and job["files_total"] == 2
        listed = client.get("/v1/collections").json()
        assert [entry["id"] for entry in listed["data"]] == ["notes"]
        assert listed["data"][0]["watched"] is False


def test_reindex_picks_up_new_and_deleted_files(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with app.client() as client:
        client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        app.wait_idle("notes")
        (folder / "note-9.md").write_text("# Nine\n\nWidget nine is blue.\n", encoding="utf-8")
        (folder / "note-0.md").unlink()
        assert client.post("/v1/collections/notes/index").status_code == 202
        card = app.wait_idle("notes")
        job = card["job"]
        assert isinstance(job, dict) and job["state"] == "done"
        assert (job["added"], job["deleted"], job["unchanged"]) == (1, 1, 1)
        assert card["files"] == 2


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("docs", "not an absolute path"),
        ("/no/such/folder/anywhere", "does not exist"),
        ("HOME", "is the data home"),
        ("HOME/collections", "is the data home"),
        ("PARENT", "holds the data home"),
    ],
)
def test_folders_are_checked(app: LiveApp, given: str, words: str) -> None:
    path = given.replace("HOME", str(app.home)).replace("PARENT", str(app.home.parent))
    (app.home / "collections").mkdir(parents=True, exist_ok=True)
    with app.client() as client:
        reply = client.post("/v1/collections", json={"name": "notes", "folders": [path]})
    assert reply.status_code == 400, reply.text
    message = reply.json()["error"]["message"]
    assert words in message and "\n" not in message
    assert not (app.home / "collections" / "notes").exists()


def test_unreadable_folder_is_refused(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    folder.chmod(0)
    try:
        import os

        if os.access(folder, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with app.client() as client:
            reply = client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        assert reply.status_code == 400
        assert "cannot be read" in reply.json()["error"]["message"]
    finally:
        folder.chmod(0o755)


def test_a_taken_name_or_a_bad_name_is_refused(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with app.client() as client:
        client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        again = client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        assert again.status_code == 409 and again.json()["error"]["code"] == "collection_exists"
        bad = client.post("/v1/collections", json={"name": "a/b", "folders": [str(folder)]})
        assert bad.status_code == 400
        assert client.get("/v1/collections/unknown-one").status_code == 404
        app.wait_idle("notes")


def test_only_a_caller_with_the_key_and_from_an_allowed_origin_may_index(
    app: LiveApp, tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    body = {"name": "notes", "folders": [str(folder)]}
    with app.client(key=None) as client:
        assert client.post("/v1/collections", json=body).status_code == 401
        assert client.get("/v1/collections").status_code == 401
    with app.client(key="wrong-key-000000") as client:
        assert client.post("/v1/collections", json=body).status_code == 401
    with app.client(Origin="http://evil.example") as client:
        reply = client.post("/v1/collections", json=body)
        assert reply.status_code == 403
    with app.client() as client:
        assert client.post("/v1/collections", json=body).status_code == 202
        app.wait_idle("notes")
    with app.client(key=None) as client:
        assert client.delete("/v1/collections/notes").status_code == 401
    with app.client(Origin="http://evil.example") as client:
        assert client.delete("/v1/collections/notes").status_code == 403
    with app.client() as client:
        assert client.get("/v1/collections/notes").status_code == 200


def test_remove_deletes_the_collection_but_not_the_files(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with app.client() as client:
        client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        app.wait_idle("notes")
        reply = client.delete("/v1/collections/notes")
        assert reply.status_code == 200 and reply.json()["deleted"] is True
        assert client.get("/v1/collections/notes").status_code == 404
        assert client.get("/v1/collections").json()["data"] == []
        assert client.delete("/v1/collections/notes").status_code == 404
    assert sorted(path.name for path in folder.iterdir()) == ["note-0.md", "note-1.md"]


def _events(client: httpx.Client, seen: list[dict[str, object]]) -> None:
    """Collect the streamed lists until a job of the first collection is done."""
    with client.stream("GET", "/v1/collections", params={"stream": "true"}) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        for line in reply.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            seen.append(event)
            if event["data"] and event["data"][0]["job"]["state"] == "done":
                return


def test_progress_streams_while_chat_and_health_stay_responsive(tmp_path: Path) -> None:
    folder = _folder(tmp_path, files=12)
    with live_app(tmp_path / "home", delay=0.15) as app:
        seen: list[dict[str, object]] = []
        with app.client() as listener:
            reader = threading.Thread(target=_events, args=(listener, seen), daemon=True)
            reader.start()
            with app.client() as client:
                body = {"name": "notes", "folders": [str(folder)]}
                assert client.post("/v1/collections", json=body).status_code == 202
                slowest = 0.0
                while True:
                    started = time.perf_counter()
                    assert client.get("/health").status_code == 200
                    slowest = max(slowest, time.perf_counter() - started)
                    card = client.get("/v1/collections/notes").json()
                    if card["job"]["state"] == "done":
                        break
                    time.sleep(0.05)
            reader.join(10)
        assert slowest < 1.0, f"/health took {slowest:.2f} s while indexing"
        jobs = [e["data"][0]["job"] for e in seen if e["data"]]  # type: ignore[index]
        states = [job["state"] for job in jobs]
        assert "running" in states and states[-1] == "done", states
        progress = [job["files_done"] for job in jobs if job["state"] == "running"]
        assert progress == sorted(progress) and len(set(progress)) >= 2, progress
        assert any(job["current"].endswith(".md") for job in jobs if job["state"] == "running")


@pytest.mark.slow
def test_a_running_job_can_be_stopped_and_the_next_run_completes(tmp_path: Path) -> None:
    folder = _folder(tmp_path, files=30)
    with live_app(tmp_path / "home", delay=0.2) as app, app.client() as client:
        client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        deadline = time.monotonic() + 30
        while client.get("/v1/collections/notes").json()["job"]["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert client.post("/v1/collections/notes/cancel").status_code == 200
        card = app.wait_idle("notes")
        assert card["status"] == "cancelled"
        assert client.post("/v1/collections/notes/index").status_code == 202
        card = app.wait_idle("notes")
        assert card["status"] == "ready" and card["files"] == 30 and not card["interrupted"]


def test_failures_are_listed_with_their_reasons(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    with app.client() as client:
        client.post("/v1/collections", json={"name": "notes", "folders": [str(folder)]})
        card = app.wait_idle("notes")
    job = card["job"]
    assert isinstance(job, dict) and job["failed_count"] == 1
    (failure,) = job["failures"]
    assert failure["source"].endswith("broken.pdf") and failure["error"]


def test_collections_made_elsewhere_need_their_folders_once(app: LiveApp, tmp_path: Path) -> None:
    from live_app import HashEmbeddings

    from gpt4all_rag.config import Settings
    from gpt4all_rag.localdocs.collection import LocalDocs

    folder = _folder(tmp_path)
    LocalDocs("cli-made", settings=Settings(home=app.home), embeddings=HashEmbeddings()).index(
        [folder]
    )
    with app.client() as client:
        card = client.get("/v1/collections/cli-made").json()
        assert card["folders"] is None and card["files"] == 2
        reply = client.post("/v1/collections/cli-made/index")
        assert reply.status_code == 409 and "folders" in reply.json()["error"]["message"]
        reply = client.patch("/v1/collections/cli-made", json={"folders": [str(folder)]})
        assert reply.status_code == 200 and reply.json()["folders"] == [str(folder.resolve())]
        card = app.wait_idle("cli-made")
        assert card["status"] == "ready" and card["job"]["unchanged"] == 2


def test_the_key_is_not_needed_without_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with live_app(tmp_path / "home", api_key=None) as app, app.client(key=None) as client:
        body = {"name": "notes", "folders": [str(folder)]}
        assert client.post("/v1/collections", json=body).status_code == 202
        assert app.wait_idle("notes")["files"] == 2
        assert KEY not in client.get("/v1/collections").text


def test_folders_can_be_browsed_to_pick_one(app: LiveApp, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a-file.txt").write_text("not a folder", encoding="utf-8")
    with app.client() as client:
        listed = client.get("/v1/folders", params={"path": str(tmp_path)}).json()
        assert listed["path"] == str(tmp_path.resolve())
        assert listed["parent"] == str(tmp_path.resolve().parent)
        names = [entry["name"] for entry in listed["folders"]]
        assert names == sorted(names) and "docs" in names and "home" in names
        assert ".hidden" not in names and "a-file.txt" not in names
        inside = client.get("/v1/folders", params={"path": str(folder)}).json()
        assert inside["folders"] == []
        assert client.get("/v1/folders").json()["path"] == str(Path.home().resolve())
        assert client.get("/v1/folders", params={"path": "docs"}).status_code == 400
        missing = client.get("/v1/folders", params={"path": str(tmp_path / "nope")})
        assert missing.status_code == 404 and "not a folder" in missing.json()["error"]["message"]
        a_file = client.get("/v1/folders", params={"path": str(tmp_path / "a-file.txt")})
        assert a_file.status_code == 404
    with app.client(key=None) as anonymous:
        assert anonymous.get("/v1/folders").status_code == 401
