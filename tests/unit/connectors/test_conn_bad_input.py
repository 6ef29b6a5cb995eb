"""Issue 3, item 6, connector side: a folder of bad input is walked and loaded file by file.

Every bad entry comes out with its reason, everything else loads, nothing raises.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from connectors import FoundFile, LoadError, SkippedFile, get_registry, walk

MakePdf = Callable[..., Path]


def test_a_folder_of_bad_input(
    tmp_path: Path, make_pdf: MakePdf, make_encrypted_pdf: MakePdf
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    make_pdf("docs/good.pdf", ["A good page."], title="Good")
    make_encrypted_pdf("docs/encrypted.pdf", ["Secret."], user_password="pw")
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    (root / "empty.txt").write_bytes(b"")
    (root / "empty.md").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    (root / "latin1.txt").write_bytes("Ça va très bien, merci. À bientôt!\n".encode("latin-1"))
    (root / "notes.md").write_text("# Notes\n\nGood notes.\n", encoding="utf-8")
    (root / "doomed.md").write_text("deleted while the run is under way", encoding="utf-8")
    with (root / "huge.txt").open("wb") as out:
        out.truncate(200 * 1000 * 1000)  # sparse 200 MB
    (root / "loop").symlink_to(root)
    os.mkfifo(root / "pipe.txt")

    registry = get_registry()
    loaded: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    for item in walk(root, suffixes=registry.suffixes()):
        if isinstance(item, SkippedFile):
            failed[item.path.name] = item.reason
            continue
        assert isinstance(item, FoundFile)
        if item.path.name == "doomed.md":
            item.path.unlink()  # found by the walk, gone before it is read
        try:
            loaded[item.path.name] = [d.page_content for d in registry.load(item.path)]
        except LoadError as error:
            failed[item.path.name] = error.reason

    assert loaded == {
        "good.pdf": ["A good page."],
        "latin1.txt": ["Ça va très bien, merci. À bientôt!\n"],
        "notes.md": ["# Notes\n\nGood notes.\n"],
    }
    assert sorted(failed) == [
        "binary.txt",
        "corrupt.pdf",
        "doomed.md",
        "empty.md",
        "empty.txt",
        "encrypted.pdf",
        "huge.txt",
        "loop",
        "pipe.txt",
    ]
    assert "encrypted" in failed["encrypted.pdf"] and "qpdf" in failed["encrypted.pdf"]
    assert failed["corrupt.pdf"].startswith("not a readable PDF")
    assert failed["empty.txt"] == failed["empty.md"] == "empty file, nothing to index"
    assert failed["binary.txt"].startswith("binary file")
    assert failed["huge.txt"].startswith("too large: 190.7 MiB, over the 64.0 MiB limit")
    assert failed["loop"].startswith("symlink loop")
    assert failed["pipe.txt"].startswith("a named pipe")
    assert failed["doomed.md"].startswith("file not found")
