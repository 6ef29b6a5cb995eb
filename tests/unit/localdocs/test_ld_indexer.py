"""The indexer's incremental guarantees, on real files, real SQLite and a real embedded Chroma."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from ld_fakes import Harness

from gpt4all_rag.errors import IndexPathNotFoundError
from gpt4all_rag.localdocs.keyword_index import KeywordIndex
from gpt4all_rag.localdocs.ledger import Ledger

Write = Callable[[str, str], Path]

ALPHA = "Alpha one.\n\nAlpha two.\n\nAlpha three."
BETA = "Beta one.\n\nBeta two."


def test_first_run_indexes_every_chunk(harness: Harness, write: Write) -> None:
    write("a.txt", ALPHA)
    write("sub/b.md", BETA)
    report = harness.run(write("c.txt", "Gamma.").parent)

    assert (report.added, report.updated, report.unchanged, report.deleted) == (3, 0, 0, 0)
    assert report.chunks_embedded == 6
    assert report.failed == []
    stored = harness.chroma()
    assert sorted(text for text, _ in stored.values()) == sorted(
        ["Alpha one.", "Alpha two.", "Alpha three.", "Beta one.", "Beta two.", "Gamma."]
    )
    assert set(stored) == harness.ledger_ids()


def test_chroma_metadata_is_complete(harness: Harness, write: Write) -> None:
    path = write("a.txt", ALPHA)
    harness.run(path.parent)
    metadata = next(m for t, m in harness.chroma().values() if t == "Alpha two.")
    assert metadata["source"] == str(path.resolve())
    assert metadata["title"]
    assert metadata["file_type"] == "txt"
    assert metadata["start_index"] == ALPHA.index("Alpha two.")
    assert len(str(metadata["chunk_hash"])) == 64
    assert "page" not in metadata and "content_hash" not in metadata


def test_reindex_unchanged_embeds_nothing(harness: Harness, write: Write) -> None:
    write("a.txt", ALPHA)
    root = write("b.txt", BETA).parent
    harness.run(root)
    before = dict(harness.chroma())
    harness.embeddings.embedded.clear()

    report = harness.run(root)

    assert (report.added, report.updated, report.unchanged, report.deleted) == (0, 0, 2, 0)
    assert report.chunks_embedded == 0 and harness.embeddings.embedded == []
    assert harness.chroma() == before


def test_touched_file_with_same_bytes_is_unchanged(harness: Harness, write: Write) -> None:
    path = write("a.txt", ALPHA)
    harness.run(path.parent)
    os.utime(path, ns=(1, 1))
    harness.embeddings.embedded.clear()

    report = harness.run(path.parent)

    assert report.unchanged == 1 and report.updated == 0 and harness.embeddings.embedded == []
    with Ledger(harness.ledger_path) as ledger:
        assert ledger.files()[str(path.resolve())].mtime_ns == 1


def test_edit_reembeds_only_changed_chunks(harness: Harness, write: Write) -> None:
    path = write("a.txt", ALPHA)
    write("b.txt", BETA)
    harness.run(path.parent)
    harness.embeddings.embedded.clear()

    path.write_text("Alpha zero.\n\nAlpha one.\n\nAlpha two, edited.\n\nAlpha three.")
    report = harness.run(path.parent)

    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert sorted(harness.embeddings.embedded) == ["Alpha two, edited.", "Alpha zero."]
    stored = harness.chroma()
    texts = sorted(text for text, _ in stored.values())
    assert "Alpha two." not in texts and "Alpha two, edited." in texts
    assert len(stored) == 6 and set(stored) == harness.ledger_ids()
    # kept chunks moved: their metadata follows without re-embedding
    one = next(m for t, m in stored.values() if t == "Alpha one.")
    assert one["start_index"] == len("Alpha zero.\n\n")


def test_deleted_file_leaves_the_collection(harness: Harness, write: Write) -> None:
    path = write("a.txt", ALPHA)
    write("b.txt", BETA)
    harness.run(path.parent)
    path.unlink()

    report = harness.run(path.parent)

    assert report.deleted == 1 and report.unchanged == 1
    assert sorted(t for t, _ in harness.chroma().values()) == ["Beta one.", "Beta two."]
    assert KeywordIndex(harness.ledger_path).search("alpha") == []


def test_renamed_file_reuses_vectors(harness: Harness, write: Write) -> None:
    path = write("a.txt", ALPHA)
    harness.run(path.parent)
    harness.embeddings.embedded.clear()

    renamed = path.rename(path.with_name("renamed.txt"))
    report = harness.run(path.parent)

    assert (report.added, report.deleted, report.chunks_embedded) == (1, 1, 0)
    assert harness.embeddings.embedded == []
    sources = {m["source"] for _, m in harness.chroma().values()}
    assert sources == {str(renamed.resolve())}
    assert len(harness.chroma()) == 3 and set(harness.chroma()) == harness.ledger_ids()


def test_duplicate_content_gets_distinct_ids(harness: Harness, write: Write) -> None:
    path = write("a.txt", "Same.\n\nSame.\n\nOther.")
    report = harness.run(path.parent)
    assert report.chunks_embedded == 2  # identical text is embedded once
    assert len(harness.chroma()) == 3


def test_other_roots_are_kept(harness: Harness, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / "a.txt").write_text(ALPHA)
    (two / "b.txt").write_text(BETA)
    harness.run(one)
    report = harness.run(two)
    assert report.deleted == 0 and len(harness.chroma()) == 5


def test_deleted_root_folder_leaves_collection(harness: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    (folder / "a.txt").write_text(ALPHA)
    harness.run(folder)
    (folder / "a.txt").unlink()
    folder.rmdir()

    report = harness.run(folder)

    assert report.deleted == 1 and harness.chroma() == {}


def test_unknown_missing_path_is_an_error(harness: Harness, tmp_path: Path) -> None:
    with pytest.raises(IndexPathNotFoundError, match="No such file or folder"):
        harness.run(tmp_path / "nope")


def test_failed_file_reported_and_not_retried(harness: Harness, write: Write) -> None:
    write("good.txt", ALPHA)
    bad = write("bad.txt", "")
    bad.write_bytes(b"\x00\x01\x02binary\xff\xfe" * 100)

    first = harness.run(bad.parent)
    second = harness.run(bad.parent)

    for report in (first, second):
        assert [f.source for f in report.failed] == [str(bad.resolve())]
        assert report.failed[0].error
    assert first.added == 1 and second.unchanged == 1
    assert all(m["source"] != str(bad.resolve()) for _, m in harness.chroma().values())


def test_file_that_starts_failing_loses_its_chunks(harness: Harness, write: Write) -> None:
    path = write("a.txt", ALPHA)
    harness.run(path.parent)
    path.write_bytes(b"\x00\xff" * 500)

    report = harness.run(path.parent)

    assert len(report.failed) == 1 and harness.chroma() == {} and harness.ledger_ids() == set()


def test_too_large_file_is_reported(harness: Harness, write: Write) -> None:
    small = write("small.txt", ALPHA)
    big = write("big.txt", "word " * 1000)
    report = harness.run(small.parent, max_file_size=1000)
    assert [f.source for f in report.failed] == [str(big)]
    assert "1000" in report.failed[0].error or "large" in report.failed[0].error.lower()
    assert report.added == 1


def test_include_and_exclude(harness: Harness, write: Write) -> None:
    write("keep.md", ALPHA)
    write("drop.txt", BETA)
    write("drafts/x.md", "Draft.")
    root = write("notes.md", "Notes.").parent
    report = harness.run(root, include=["*.md"], exclude=["drafts"])
    assert report.added == 2
    assert sorted(Path(str(m["source"])).name for _, m in harness.chroma().values()) == [
        "keep.md",
        "keep.md",
        "keep.md",
        "notes.md",
    ]


def test_keyword_index_follows_edits(harness: Harness, write: Write) -> None:
    path = write("a.txt", "The quick brown fox.\n\nLazy dogs sleep.")
    harness.run(path.parent)
    index = KeywordIndex(harness.ledger_path)
    assert len(index.search("fox")) == 1

    path.write_text("The quick brown cat.\n\nLazy dogs sleep.")
    harness.run(path.parent)

    assert index.search("fox") == []
    assert len(index.search("cat")) == 1 and len(index.search("dogs")) == 1


def test_same_size_edit_in_the_same_tick_is_seen(harness: Harness, write: Write) -> None:
    path = write("a.txt", "Alpha one.")
    harness.run(path.parent)
    stat = path.stat()
    path.write_text("Alpha two.")  # same size; force the very same mtime
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    report = harness.run(path.parent)

    assert report.updated == 1
    assert [t for t, _ in harness.chroma().values()] == ["Alpha two."]


def test_old_unchanged_files_are_not_read(harness: Harness, write: Write) -> None:
    """Stat-based skip: a file whose size and old mtime match is trusted without reading it."""
    path = write("a.txt", "Alpha one.")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    harness.run(path.parent)
    path.write_text("Alpha two.")  # same size, old mtime restored: only a read could tell
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))

    report = harness.run(path.parent)

    assert report.unchanged == 1 and report.failed == []
    assert [t for t, _ in harness.chroma().values()] == ["Alpha one."]


def test_file_name_that_is_not_utf8_is_reported_and_the_rest_indexed(
    harness: Harness, write: Write
) -> None:
    root = write("good.txt", ALPHA).parent
    with open(os.fsencode(root) + b"/caf\xe9.txt", "wb") as bad:
        bad.write(b"Bad name.")

    first = harness.run(root)
    second = harness.run(root)

    for report in (first, second):
        assert [f.source for f in report.failed] == [f"{root.resolve()}/caf\\xe9.txt"]
        assert "not valid UTF-8" in report.failed[0].error
    assert first.added == 1 and second.unchanged == 1
    assert sorted(t for t, _ in harness.chroma().values()) == sorted(ALPHA.split("\n\n"))
    with Ledger(harness.ledger_path) as ledger:
        assert not ledger.interrupted


def test_files_no_connector_reads_are_listed_as_skipped_not_failed(
    harness: Harness, write: Write
) -> None:
    root = write("a.txt", ALPHA).parent
    write("LICENSE", "Permission is hereby granted.")
    write("GPL-2", "GNU General Public License.")
    write("photo.xyz", "not read")
    write(".hidden", "hidden files stay unmentioned")

    report = harness.run(root)

    assert report.added == 1 and report.failed == []
    skipped = {Path(item.source).name: item.reason for item in report.skipped}
    assert skipped == {
        "GPL-2": "no connector reads files without a suffix",
        "LICENSE": "no connector reads files without a suffix",
        "photo.xyz": "no connector reads .xyz files",
    }
