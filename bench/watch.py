"""Watch latency: from a file saved under a watched folder to its text being searchable.

Runs the server's own machinery in process (``CollectionManager``: the folder watcher, the
writer thread, ``LocalDocs`` with the real embedding model), on a copy of examples/docs plus a
few Markdown notes. After the first index, each round edits a note, adds a file, or deletes the
file added before, and times how long until the keyword index (which the same commit updates
with the vectors) reflects it. The batching (a batch ends 50 ms after the last change; ``--debounce-ms`` caps
its length) is part of every figure.

Run: python bench/watch.py [--rounds 9] [--notes 20] [--debounce-ms 800]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.collection import LocalDocs
from gpt4all_rag.server.collection_manager import CollectionManager

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "docs"


def _wait(check: Callable[[], bool], timeout: float = 120.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if check():
            return time.perf_counter() - started
        time.sleep(0.02)
    raise TimeoutError("the change was not indexed in time")


def _searchable(docs: LocalDocs, token: str) -> Callable[[], bool]:
    return lambda: bool(docs.keyword_index.search(token, 1))


def _gone(docs: LocalDocs, path: Path) -> Callable[[], bool]:
    source = str(path.resolve())
    return lambda: source not in docs.sources()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--debounce-ms", type=int, default=800)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    home, folder = root / "home", root / "docs"
    home.mkdir()
    settings = Settings(home=home)
    bundled = Settings().home / "bundled"
    if bundled.exists():
        (home / "bundled").symlink_to(bundled, target_is_directory=True)
    shutil.copytree(EXAMPLES, folder)
    for number in range(args.notes):
        (folder / f"note-{number}.md").write_text(
            f"# Note {number}\n\nThe valve of pump {number} is checked weekly.\n", encoding="utf-8"
        )
    manager = CollectionManager(settings, debounce_ms=args.debounce_ms)
    docs = LocalDocs("watched", settings=settings)
    try:
        started = time.perf_counter()
        manager.create("watched", [str(folder)], watch=True)
        _wait(lambda: not manager.jobs.latest("watched").active, 900)  # type: ignore[union-attr]
        print(f"first index: {time.perf_counter() - started:.1f} s, {docs.info().files} files")
        time.sleep(1.0)
        timings: dict[str, list[float]] = {"edit": [], "add": [], "delete": []}
        for round_number in range(args.rounds):
            kind = ("edit", "add", "delete")[round_number % 3]
            token = f"zq{round_number}x{os.getpid()}"
            added = folder / f"added-{round_number - 1}.md"
            if kind == "edit":
                note = folder / f"note-{round_number % args.notes}.md"
                note.write_text(f"# Edited\n\nThe word {token} is new.\n", encoding="utf-8")
                check = _searchable(docs, token)
            elif kind == "add":
                path = folder / f"added-{round_number}.md"
                path.write_text(f"# Added\n\nThe word {token} is here.\n", encoding="utf-8")
                check = _searchable(docs, token)
            else:
                check = _gone(docs, added)
                added.unlink()
            timings[kind].append(_wait(check))
            time.sleep(0.5)
        for kind, values in timings.items():
            if values:
                print(
                    f"{kind:>6}: median {statistics.median(values):.2f} s, "
                    f"min {min(values):.2f} s, max {max(values):.2f} s ({len(values)} rounds)"
                )
        print(f"runs: {manager.jobs.runs('watched')} (1 first index + 1 per change)")
    finally:
        manager.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
