"""Bad input: every bad file is reported with its reason, everything else is indexed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ldi_helpers import paragraphs, write_pdf
from pypdf import PdfWriter
from typer.testing import CliRunner

from gpt4all_rag.cli import app
from gpt4all_rag.config import Settings
from gpt4all_rag.embeddings import GPT4AllEmbeddings
from gpt4all_rag.localdocs import LocalDocs, ProgressUpdate

pytestmark = pytest.mark.models

BIG = 200 * 1024 * 1024


def bad_folder(root: Path) -> dict[str, str]:
    """Write bad files (and good ones); return bad name -> a word of the expected reason."""
    root.mkdir()
    for index in range(3):
        (root / f"good{index}.txt").write_text(paragraphs(index, 3), encoding="utf-8")
    (root / "latin1.txt").write_bytes("Café crème, naïve résumé, façade.\n".encode("latin-1"))
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>>\ngarbage" * 20)
    plain = write_pdf(root / "plain.pdf", [paragraphs(5, 2)])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    with (root / "encrypted.pdf").open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    with (root / "huge.txt").open("wb") as handle:  # sparse: quick to make, 200 MB on paper
        handle.write(b"A huge log line.\n")
        handle.truncate(BIG)
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "dangling.txt").symlink_to(root / "missing-target.txt")
    os.mkfifo(root / "pipe.txt")  # unreadable as a file, even for root
    return {
        "corrupt.pdf": "",
        "encrypted.pdf": "password",
        "empty.txt": "",
        "binary.txt": "binary",
        "huge.txt": "MiB",
        "loop-a.txt": "",
        "loop-b.txt": "",
        "dangling.txt": "",
        "pipe.txt": "",
    }


def test_bad_input_is_reported_and_the_rest_indexed(
    tmp_path: Path, embeddings: GPT4AllEmbeddings
) -> None:
    root = tmp_path / "bad"
    expected = bad_folder(root)
    for index in range(10, 20):  # files after the one deleted mid-run
        (root / f"later{index}.txt").write_text(paragraphs(index, 1), encoding="utf-8")
    vanishing = root / "later15.txt"
    expected["later15.txt"] = "deleted"

    def delete_mid_run(update: ProgressUpdate) -> None:
        # the walk has found the file; reading starts after this first "indexing" update
        if update.phase == "indexing" and vanishing.exists():
            vanishing.unlink()

    docs = LocalDocs("bad", settings=Settings(home=tmp_path / "home"), embeddings=embeddings)
    report = docs.index([root], progress=delete_mid_run)

    failed = {Path(f.source).name: f.error for f in report.failed}
    assert set(failed) == set(expected), failed
    for name, word in expected.items():
        assert failed[name].strip(), name
        assert word.lower() in failed[name].lower(), (name, failed[name])
    assert report.added == 3 + 1 + 9  # good, latin1, later files but the deleted one
    latin = docs.vector_store.collection.get(where={"title": "latin1.txt"})["documents"]
    assert latin and "Café crème, naïve résumé" in latin[0]

    again = docs.index([root])  # failures are reported again, nothing re-embedded
    assert {Path(f.source).name for f in again.failed} == set(expected) - {"later15.txt"}
    assert again.chunks_embedded == 0 and again.unchanged == 13


def test_cli_exit_status_and_json(tmp_home: Path, tmp_path: Path) -> None:
    root = tmp_path / "bad"
    expected = bad_folder(root)
    runner = CliRunner()

    result = runner.invoke(app, ["index", str(root), "-c", "bad", "--json"])

    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == [
        "added",
        "updated",
        "unchanged",
        "deleted",
        "chunks_embedded",
        "failed",
    ]
    assert payload["added"] == 4 and payload["chunks_embedded"] > 0
    assert {Path(f["source"]).name for f in payload["failed"]} == set(expected)
    assert all(set(f) == {"source", "error"} for f in payload["failed"])

    good = tmp_path / "good"
    good.mkdir()
    (good / "a.txt").write_text(paragraphs(1, 2))
    ok = runner.invoke(app, ["index", str(good), "-c", "good"])
    assert ok.exit_code == 0, ok.output
    assert "added" in ok.stdout
