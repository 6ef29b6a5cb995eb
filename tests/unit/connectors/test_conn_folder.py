"""The folder walker on real trees: filters, limits, symlinks, loops, odd entries."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import pytest

from connectors import DEFAULT_MAX_FILE_SIZE, FoundFile, SkippedFile, walk
from connectors.folder import GlobSet

SUFFIXES = {".md", ".txt", ".pdf"}


@pytest.fixture
def tmp_path(tmp_path: Path) -> Path:
    """pytest's tmp_path with symlinks resolved: the walker yields real paths."""
    return tmp_path.resolve()


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def found(results: list[FoundFile | SkippedFile], root: Path) -> list[str]:
    real = root.resolve()
    return [r.path.relative_to(real).as_posix() for r in results if isinstance(r, FoundFile)]


def skipped(results: list[FoundFile | SkippedFile], root: Path) -> dict[str, str]:
    real = root.resolve()
    return {
        r.path.relative_to(real).as_posix(): r.reason for r in results if isinstance(r, SkippedFile)
    }


def test_sorted_depth_first_with_suffix_filter_and_hidden_skipped(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "b.md": "b",
            "a.txt": "a",
            "image.png": "not wanted",
            ".hidden.md": "secret",
            ".git/config.txt": "secret",
            "sub/z.md": "z",
            "sub/.cache/c.md": "c",
            "sub/deeper/d.pdf": "d",
            "aardvark/x.md": "x",
            "UPPER.MD": "u",
        },
    )
    results = list(walk(tmp_path, suffixes=SUFFIXES))
    assert found(results, tmp_path) == [
        "UPPER.MD",
        "a.txt",
        "b.md",
        "aardvark/x.md",
        "sub/z.md",
        "sub/deeper/d.pdf",
    ]
    assert skipped(results, tmp_path) == {}
    assert results == list(walk(tmp_path, suffixes=SUFFIXES))  # deterministic


def test_found_file_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("hello", encoding="utf-8")
    [result] = walk(tmp_path)
    assert result == FoundFile(path.resolve(), 5, path.stat().st_mtime_ns)


def test_include_and_exclude_globs(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "README.md": "",
            "notes.txt": "",
            "docs/guide.md": "",
            "docs/drafts/wip.md": "",
            "docs/api/ref.md": "",
            "build/out.md": "",
            "src/build/gen.md": "",
            "src/main.txt": "",
        },
    )

    def names(include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[str]:
        return found(list(walk(tmp_path, include=include, exclude=exclude)), tmp_path)

    assert names(include=("*.md",)) == [
        "README.md",
        "build/out.md",
        "docs/guide.md",
        "docs/api/ref.md",
        "docs/drafts/wip.md",
        "src/build/gen.md",
    ]
    assert names(include=("docs",)) == ["docs/guide.md", "docs/api/ref.md", "docs/drafts/wip.md"]
    assert names(include=("docs/*.md",)) == ["docs/guide.md"]
    assert names(include=("docs/**/*.md",)) == [
        "docs/guide.md",
        "docs/api/ref.md",
        "docs/drafts/wip.md",
    ]
    assert names(exclude=("build/",)) == [
        "README.md",
        "notes.txt",
        "docs/guide.md",
        "docs/api/ref.md",
        "docs/drafts/wip.md",
        "src/main.txt",
    ]
    assert names(exclude=("/build", "**/drafts/**", "*.txt")) == [
        "README.md",
        "docs/guide.md",
        "docs/api/ref.md",
        "src/build/gen.md",
    ]
    assert names(include=("**/*.md",), exclude=("docs/api",)) == [
        "README.md",
        "build/out.md",
        "docs/guide.md",
        "docs/drafts/wip.md",
        "src/build/gen.md",
    ]


def test_glob_set_rules() -> None:
    globs = GlobSet(["*.md", "a/?b/[!x]*.txt", "deep/**"])
    assert globs.matches(PurePosixPath("x/y/readme.md"))
    assert globs.matches(PurePosixPath("a/cb/y.txt"))
    assert not globs.matches(PurePosixPath("a/cb/x.txt"))
    assert not globs.matches(PurePosixPath("q/a/cb/y.txt"))  # anchored: it has a "/"
    assert globs.matches(PurePosixPath("deep/1/2/3.bin"))
    assert not GlobSet(["*.MD"]).matches(PurePosixPath("a.md"))  # case-sensitive
    assert not GlobSet(["", "  "])


def test_file_too_large_is_reported_with_size_and_limit(tmp_path: Path) -> None:
    (tmp_path / "small.txt").write_text("x" * 10, encoding="utf-8")
    big = tmp_path / "big.txt"
    with big.open("wb") as out:  # sparse: 200 MB on paper, nothing on disk
        out.truncate(200 * 1000 * 1000)
    results = list(walk(tmp_path))
    assert found(results, tmp_path) == ["small.txt"]
    reason = skipped(results, tmp_path)["big.txt"]
    assert (
        reason == "too large: 190.7 MiB, over the 64.0 MiB limit; raise max_file_size to index it"
    )
    assert found(list(walk(tmp_path, max_file_size=300 * 1000 * 1000)), tmp_path) == [
        "big.txt",
        "small.txt",
    ]
    assert (
        "over the 5 bytes limit"
        in skipped(list(walk(tmp_path, max_file_size=5)), tmp_path)["small.txt"]
    )
    assert DEFAULT_MAX_FILE_SIZE == 64 * 1024 * 1024
    with pytest.raises(ValueError, match="max_file_size"):
        list(walk(tmp_path, max_file_size=0))


def test_symlink_loops_are_reported(tmp_path: Path) -> None:
    tree(tmp_path, {"docs/a.md": "a"})
    (tmp_path / "docs" / "again").symlink_to(tmp_path)  # a folder loop back to the root
    (tmp_path / "self.md").symlink_to(tmp_path / "self.md")  # a link to itself
    (tmp_path / "ping.md").symlink_to(tmp_path / "pong.md")  # two links pointing at each other
    (tmp_path / "pong.md").symlink_to(tmp_path / "ping.md")
    results = list(walk(tmp_path, suffixes=SUFFIXES))
    assert found(results, tmp_path) == ["docs/a.md"]
    reasons = skipped(results, tmp_path)
    assert reasons["docs/again"].startswith("symlink loop: leads back to")
    for name in ("self.md", "ping.md", "pong.md"):
        assert reasons[name].startswith("symlink loop")


def test_symlinks_are_followed_only_inside_the_root(tmp_path: Path) -> None:
    outside = tree(tmp_path / "outside", {"secret.md": "s", "dir/inner.md": "i"})
    root = tree(tmp_path / "root", {"real/one.md": "1", "notes.md": "n"})
    (root / "escape.md").symlink_to(outside / "secret.md")
    (root / "escape_dir").symlink_to(outside / "dir", target_is_directory=True)
    (root / "escape_png").symlink_to(outside / "secret.md")  # target suffix counts: reported
    (root / "alias.md").symlink_to(root / "notes.md")  # same file twice: yielded once
    (root / "linked").symlink_to(root / "real", target_is_directory=True)
    results = list(walk(root, suffixes=SUFFIXES))
    assert found(results, root) == ["notes.md", "real/one.md"]  # real paths, each once
    reasons = skipped(results, root)
    assert reasons["escape.md"].startswith(f"symlink to {outside.resolve() / 'secret.md'}")
    assert reasons["escape_png"].endswith("outside the folder; not followed")
    assert reasons["escape_dir"].startswith("symlink to the folder")
    assert set(reasons) == {"escape.md", "escape_dir", "escape_png"}


def test_root_given_through_a_symlink(tmp_path: Path) -> None:
    real = tree(tmp_path / "real", {"a.md": "a"})
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    [result] = walk(tmp_path / "link")
    assert result == FoundFile(real / "a.md", 1, (real / "a.md").stat().st_mtime_ns)


def test_unreadable_and_odd_entries_are_reported(tmp_path: Path) -> None:
    # Entries no one can read, root included: a FIFO (opening it would block until a
    # writer comes) and a dangling symlink. Permission denied is tested below.
    tree(tmp_path, {"ok.md": "fine"})
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "pipe.bin")  # not a wanted suffix: silent
    (tmp_path / "dangling.md").symlink_to(tmp_path / "missing.md")
    results = list(walk(tmp_path, suffixes=SUFFIXES))
    assert found(results, tmp_path) == ["ok.md"]
    reasons = skipped(results, tmp_path)
    assert reasons["pipe.txt"] == "a named pipe (FIFO), not a regular file"
    assert reasons["dangling.md"].startswith("broken symlink: its target")
    assert set(reasons) == {"pipe.txt", "dangling.md"}


@contextmanager
def as_unprivileged_user() -> Iterator[None]:
    """Run the block with the effective uid of ``nobody`` when root (permissions then apply)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_permission_denied_is_reported(tmp_path: Path) -> None:
    # Root reads everything, so when the tests run as root the walk runs with the effective
    # uid of `nobody`, in a folder outside pytest's private (0700) temporary folder.
    root = Path(tempfile.mkdtemp(prefix="walk-perm-")).resolve()
    try:
        root.chmod(0o755)
        tree(root, {"ok.md": "fine", "locked.md": "x", "closed/inner.md": "y"})
        (root / "ok.md").chmod(0o644)
        (root / "locked.md").chmod(0)
        (root / "closed").chmod(0)
        with as_unprivileged_user():
            results = list(walk(root))
        assert found(results, root) == ["ok.md"]
        assert skipped(results, root) == {
            "locked.md": "permission denied; make it readable to index it",
            "closed": "cannot list this folder: permission denied; make it readable to index it",
        }
    finally:
        (root / "closed").chmod(0o755)
        shutil.rmtree(root)


def test_files_and_folders_vanishing_mid_walk(tmp_path: Path) -> None:
    tree(tmp_path, {"a.md": "a", "b.md": "b", "c.md": "c", "sub/d.md": "d", "zsub/e.md": "e"})
    walker = walk(tmp_path)
    assert next(walker) == FoundFile(tmp_path / "a.md", 1, (tmp_path / "a.md").stat().st_mtime_ns)
    (tmp_path / "b.md").unlink()  # listed already, gone before it is looked at
    assert next(walker) == SkippedFile(
        tmp_path / "b.md", "vanished during the scan (deleted or moved)"
    )
    assert [next(walker).path.name for _ in range(2)] == ["c.md", "d.md"]
    (tmp_path / "zsub" / "e.md").unlink()
    (tmp_path / "zsub").rmdir()  # queued, gone before it is listed
    assert list(walker) == [
        SkippedFile(tmp_path / "zsub", "folder vanished during the scan (deleted or moved)")
    ]


def test_a_single_file_root(tmp_path: Path) -> None:
    path = tree(tmp_path, {".hidden.md": "explicitly asked for"}) / ".hidden.md"
    assert list(walk(path, suffixes=SUFFIXES, exclude=("*.md",))) == [
        FoundFile(path, 20, path.stat().st_mtime_ns)
    ]
    png = tmp_path / "photo.png"
    png.write_bytes(b"x")
    assert list(walk(png, suffixes=SUFFIXES)) == [SkippedFile(png, "no connector reads .png files")]
    assert list(walk(tmp_path / "nope")) == [
        SkippedFile(tmp_path / "nope", "no such file or folder")
    ]
    os.mkfifo(tmp_path / "fifo.md")
    [result] = walk(tmp_path / "fifo.md")
    assert isinstance(result, SkippedFile) and "named pipe" in result.reason
