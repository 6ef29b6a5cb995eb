"""Watched collections: edits, new files, renames and deletions are indexed within seconds.

Real watchers (inotify through watchfiles), the real app and writer thread, real Chroma and
ledgers; only the embedder is a fast fake.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live_app import HashEmbeddings, LiveApp, live_app

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.localdocs.watching import FolderWatcher, remember_folders

DEADLINE = 20.0
"""Seconds a change may take to be indexed here (a shared 2-core machine); typically ~1-2 s."""


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _sources(app: LiveApp, name: str) -> list[str]:
    return LocalDocs(name, settings=Settings(home=app.home)).sources()


def _hits(app: LiveApp, name: str, word: str) -> int:
    return len(LocalDocs(name, settings=Settings(home=app.home)).keyword_index.search(word, 5))


def _until(app: LiveApp, name: str, check: Callable[[], bool]) -> float:
    """Seconds until ``check`` holds and the collection is up to date again."""
    started = time.monotonic()
    with app.client() as client:
        while time.monotonic() - started < DEADLINE:
            card = client.get(f"/v1/collections/{name}").json()
            if card["up_to_date"] and check():
                return time.monotonic() - started
            time.sleep(0.1)
    raise AssertionError(f"not indexed within {DEADLINE} s: {card}")


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[LiveApp, Path]]:
    folder = tmp_path / "notes"
    folder.mkdir()
    _write(folder / "alpha.md", "# Alpha\n\nThe alpha pump runs on diesel.\n")
    _write(folder / "beta.md", "# Beta\n\nThe beta pump runs on petrol.\n")
    with live_app(tmp_path / "home", debounce_ms=300) as app, app.client() as client:
        body = {"name": "notes", "folders": [str(folder)], "watch": True}
        assert client.post("/v1/collections", json=body).status_code == 202
        app.wait_idle("notes")
        yield app, folder.resolve()


def test_edits_additions_renames_and_deletions_are_picked_up(
    watched: tuple[LiveApp, Path],
) -> None:
    app, folder = watched
    with app.client() as client:
        card = client.get("/v1/collections/notes").json()
    assert card["watched"] and card["watching"] and card["up_to_date"]

    _write(folder / "alpha.md", "# Alpha\n\nThe alpha pump now runs on hydrogen.\n")
    _until(app, "notes", lambda: _hits(app, "notes", "hydrogen") == 1)
    assert _hits(app, "notes", "diesel") == 0

    _write(folder / "gamma.md", "# Gamma\n\nThe gamma pump runs on sunlight.\n")
    _until(app, "notes", lambda: str(folder / "gamma.md") in _sources(app, "notes"))

    (folder / "beta.md").rename(folder / "beta-renamed.md")
    _until(
        app,
        "notes",
        lambda: (
            _sources(app, "notes")
            == sorted(str(folder / name) for name in ("alpha.md", "beta-renamed.md", "gamma.md"))
        ),
    )

    (folder / "gamma.md").unlink()
    _until(app, "notes", lambda: str(folder / "gamma.md") not in _sources(app, "notes"))
    assert _hits(app, "notes", "sunlight") == 0

    (folder / "deep" / "er").mkdir(parents=True)
    _write(folder / "deep" / "er" / "delta.md", "# Delta\n\nThe delta pump is silent.\n")
    _until(app, "notes", lambda: _hits(app, "notes", "silent") == 1)
    with app.client() as client:
        job = client.get("/v1/collections/notes").json()["job"]
    assert job["kind"] == "watch" and job["state"] == "done"


def test_a_burst_of_changes_becomes_few_runs(watched: tuple[LiveApp, Path]) -> None:
    app, folder = watched
    before = app.manager.jobs.runs("notes")
    for number in range(40):
        _write(folder / f"burst-{number}.md", f"# Burst {number}\n\nBurst file {number}.\n")
        time.sleep(0.01)
    _until(app, "notes", lambda: len(_sources(app, "notes")) == 42)
    runs = app.manager.jobs.runs("notes") - before
    assert 1 <= runs <= 3, f"40 new files took {runs} runs"


def test_stopping_the_watch_stops_indexing_changes(watched: tuple[LiveApp, Path]) -> None:
    app, folder = watched
    with app.client() as client:
        card = client.patch("/v1/collections/notes", json={"watch": False}).json()
    assert card["watched"] is False and card["watching"] is False
    _write(folder / "late.md", "# Late\n\nWritten after the watch stopped.\n")
    time.sleep(2.0)
    assert str(folder / "late.md") not in _sources(app, "notes")
    with app.client() as client:
        card = client.patch("/v1/collections/notes", json={"watch": True}).json()
    assert card["watching"] is True
    _write(folder / "later.md", "# Later\n\nWritten after the watch resumed.\n")
    _until(app, "notes", lambda: str(folder / "later.md") in _sources(app, "notes"))
    assert str(folder / "late.md") in _sources(app, "notes")  # the run covers the whole folder


def test_serve_watch_watches_every_collection_with_known_folders(tmp_path: Path) -> None:
    folder = tmp_path / "cli-docs"
    folder.mkdir()
    _write(folder / "one.md", "# One\n\nFirst file.\n")
    home = tmp_path / "home"
    docs = LocalDocs("from-cli", settings=Settings(home=home), embeddings=HashEmbeddings())
    docs.index([folder])
    remember_folders(docs, [folder], watched=None)  # what `gpt4all-rag index` records
    with live_app(home, watch_all=True, debounce_ms=300) as app, app.client() as client:
        card = client.get("/v1/collections/from-cli").json()
        assert card["watched"] is True and card["watching"] is True and card["up_to_date"]
        _write(folder / "two.md", "# Two\n\nSecond file.\n")
        _until(app, "from-cli", lambda: len(_sources(app, "from-cli")) == 2)
    with live_app(home, watch_all=False) as app, app.client() as client:
        assert client.get("/v1/collections/from-cli").json()["watching"] is False


def test_folder_watcher_batches_a_burst_into_few_calls(tmp_path: Path) -> None:
    batches: list[set[str]] = []
    seen = threading.Event()

    def changed(paths: set[str]) -> None:
        batches.append(paths)
        if any(path.endswith("file-29.txt") for path in paths):
            seen.set()

    watcher = FolderWatcher([tmp_path], changed, debounce_ms=400)
    watcher.start()
    try:
        time.sleep(0.5)  # the watch is in place
        for number in range(30):
            _write(tmp_path / f"file-{number}.txt", "x")
            time.sleep(0.01)
        assert seen.wait(10), batches
    finally:
        watcher.stop()
    assert not watcher.running
    assert 1 <= len(batches) <= 3, [len(batch) for batch in batches]
    assert len(set().union(*batches)) == 30
