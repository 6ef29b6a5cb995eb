"""``gpt4all-rag index PATH -c NAME --watch``: a real process, the real embedding model."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from gpt4all_rag.config import Settings
from gpt4all_rag.localdocs.folders import read_folders
from gpt4all_rag.localdocs.layout import Layout

pytestmark = [pytest.mark.models, pytest.mark.slow]


def _lines(process: subprocess.Popen[str], out: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        out.put(line)


def _next_json(out: queue.Queue[str], timeout: float) -> dict[str, Any]:
    """The next JSON document printed (the first report is indented, later ones one line)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            text += out.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        try:
            value: dict[str, Any] = json.loads(text)
            return value
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"no JSON report within {timeout} s: {text!r}")


def test_index_watch_indexes_changes_until_ctrl_c(tmp_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "one.md").write_text("# One\n\nThe first note is about apples.\n", encoding="utf-8")
    command = [
        str(Path(sys.executable).with_name("gpt4all-rag")),
        "index",
        str(folder),
        "-c",
        "notes",
        "--watch",
        "--json",
    ]
    errors = (tmp_path / "stderr.log").open("w")  # progress lines; stdout carries only JSON
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors, text=True, env=dict(os.environ)
    )
    errors.close()  # the child has its own copy
    out: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process, out), daemon=True).start()
    try:
        first = _next_json(out, 240)
        assert first["added"] == 1 and not first["failed"]
        record = read_folders(Layout.for_settings(Settings(home=tmp_home)), "notes")
        assert record is not None and record.watched
        assert record.folders == [str(folder.resolve())]
        time.sleep(1.0)  # the watch is in place

        (folder / "two.md").write_text("# Two\n\nThe second note: pears.\n", encoding="utf-8")
        second = _next_json(out, 60)
        assert second["added"] == 1 and second["unchanged"] == 1
        assert any(path.endswith("two.md") for path in second["changed"])

        (folder / "one.md").unlink()
        third = _next_json(out, 60)
        assert third["deleted"] == 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0
