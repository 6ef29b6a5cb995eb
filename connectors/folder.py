"""The folder walker: which files under a root to index, and why the others are skipped.

Rules for each entry under the root (names sorted; a folder's files, then its subfolders):

- hidden entries (name starting with ``.``) are skipped silently, with everything under them;
- ``exclude`` globs prune silently; ``include`` globs, if any, must match a file;
- files whose suffix is not in ``suffixes`` are skipped silently;
- symlinks are followed only when their target stays inside the root; one leading out,
  a symlink loop, a broken symlink, an unreadable or vanished entry, a special file (FIFO,
  socket, device) and a file over ``max_file_size`` are yielded as ``SkippedFile``;
- a file reached twice (through a symlink) is yielded once, under its real path.

Globs are relative to the root, with ``/`` separators and gitignore-like rules: a pattern
without ``/`` matches a name at any depth (``*.md``, ``build``); one with ``/`` is anchored
at the root (``docs/*.md``); ``**`` matches any number of folders (``**/drafts/**``); a
pattern matching a folder matches everything in it. Matching is case-sensitive.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from connectors.base import normalize_suffix, suffix_candidates

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "FoundFile",
    "GlobSet",
    "IgnoredFile",
    "SkippedFile",
    "unread_kind",
    "walk",
]

DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024
"""Files larger than this (64 MiB) are skipped unless ``max_file_size`` is raised."""


@dataclass(frozen=True)
class FoundFile:
    """A file to index: its real absolute path, size in bytes and modification time."""

    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedFile:
    """An entry that was not indexed, with the reason in words a user can act on."""

    path: Path
    reason: str


@dataclass(frozen=True)
class IgnoredFile:
    """A file of a kind no connector reads (yielded only when asked for, to be listed)."""

    path: Path
    reason: str


def unread_kind(name: str) -> str:
    """Why a file of this name is not read: its suffix, or that it has none."""
    suffix = PurePosixPath(name).suffix.lower()
    return (
        f"no connector reads {suffix} files"
        if suffix
        else "no connector reads files without a suffix"
    )


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate one gitignore-like glob into a regex over a root-relative POSIX path."""
    pattern = pattern.strip().replace("\\", "/")
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/").removeprefix("./")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(out))


class GlobSet:
    """A set of gitignore-like globs; a path matches if it or one of its folders matches."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(p for p in patterns if p.strip())
        self._regexes = [_glob_regex(p) for p in self.patterns]

    def __bool__(self) -> bool:
        return bool(self._regexes)

    def matches(self, relative: PurePosixPath) -> bool:
        """True if ``relative`` (to the root) or any folder above it matches a pattern."""
        candidates = [relative, *list(relative.parents)[:-1]]
        return any(rx.fullmatch(c.as_posix()) for c in candidates for rx in self._regexes)


_EFFECTIVE_IDS = os.access in os.supports_effective_ids  # check as open() would


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _special_kind(mode: int) -> str:
    return next((name for test, name in _SPECIAL_KINDS if test(mode)), "not a regular file")


def _stat_failure(path: str, is_link: bool, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop (the link leads back to itself); not followed"
    if exc.errno == errno.ENOENT and is_link:
        try:
            target = repr(os.readlink(path))
        except OSError:
            target = "(gone)"
        return f"broken symlink: its target {target} does not exist"
    if exc.errno == errno.ENOENT:
        return "vanished during the scan (deleted or moved)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; make it readable to index it"
    return f"cannot read it: {exc.strerror or exc}"


def _folder_failure(exc: OSError) -> str:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "folder vanished during the scan (deleted or moved)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "cannot list this folder: permission denied; make it readable to index it"
    return f"cannot list this folder: {exc.strerror or exc}"


@dataclass(frozen=True)
class _Dir:
    """A folder to list: the path walked, its real path and its real ancestors' inodes."""

    walked: Path
    real: Path
    ancestors: tuple[tuple[int, int], ...]


class _Walker:
    """One walk: the options, the root, and what was already visited."""

    def __init__(
        self,
        root: Path,
        include: Sequence[str],
        exclude: Sequence[str],
        max_file_size: int,
        suffixes: Collection[str] | None,
        report_ignored: bool = False,
    ) -> None:
        if max_file_size < 1:
            raise ValueError(f"max_file_size must be at least 1 byte, got {max_file_size}")
        self.root = root
        self.include = GlobSet(include)
        self.exclude = GlobSet(exclude)
        self.max_file_size = max_file_size
        self.suffixes = None if suffixes is None else {normalize_suffix(s) for s in suffixes}
        self.report_ignored = report_ignored
        self.seen_files: set[Path] = set()
        self.seen_dirs: set[tuple[int, int]] = set()

    def wanted_suffix(self, name: str) -> bool:
        if self.suffixes is None:
            return True
        return any(s in self.suffixes for s in suffix_candidates(name))

    def relatives(self, walked: Path, real: Path) -> list[PurePosixPath]:
        rels = {PurePosixPath(walked.relative_to(self.root).as_posix())}
        if real.is_relative_to(self.root):
            rels.add(PurePosixPath(real.relative_to(self.root).as_posix()))
        return sorted(rels)

    def excluded(self, rels: list[PurePosixPath]) -> bool:
        return bool(self.exclude) and any(self.exclude.matches(r) for r in rels)

    def included(self, rels: list[PurePosixPath]) -> bool:
        return not self.include or any(self.include.matches(r) for r in rels)

    def check_file(self, path: Path, st: os.stat_result) -> FoundFile | SkippedFile | None:
        """Size, readability and duplicate checks shared by single files and walked ones."""
        if path in self.seen_files:
            return None
        self.seen_files.add(path)
        if st.st_size > self.max_file_size:
            return SkippedFile(
                path,
                f"too large: {_human_size(st.st_size)}, over the "
                f"{_human_size(self.max_file_size)} limit; raise max_file_size to index it",
            )
        if not os.access(path, os.R_OK, effective_ids=_EFFECTIVE_IDS):
            return SkippedFile(path, "permission denied; make it readable to index it")
        return FoundFile(path, st.st_size, st.st_mtime_ns)

    def walk_file_root(self, path: Path) -> Iterator[FoundFile | SkippedFile]:
        """A root that is one file: it is wanted explicitly, so every refusal is reported."""
        try:
            st = path.stat()
        except OSError as exc:
            yield SkippedFile(path, _stat_failure(str(path), False, exc))
            return
        if not stat.S_ISREG(st.st_mode):
            yield SkippedFile(path, f"{_special_kind(st.st_mode)}, not a regular file")
        elif not self.wanted_suffix(path.name):
            yield SkippedFile(
                path, f"no connector reads {path.suffix.lower() or 'suffixless'} files"
            )
        elif (result := self.check_file(path, st)) is not None:
            yield result

    def walk_dir(self, top: _Dir) -> Iterator[FoundFile | SkippedFile | IgnoredFile]:
        stack = [top]
        while stack:
            current = stack.pop()
            try:
                with os.scandir(current.walked) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                yield SkippedFile(current.walked, _folder_failure(exc))
                continue
            subdirs: list[_Dir] = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                outcome = self.visit(entry, current)
                if isinstance(outcome, _Dir):
                    subdirs.append(outcome)
                elif outcome is not None:
                    yield outcome
            stack.extend(reversed(subdirs))

    def visit(
        self, entry: os.DirEntry[str], parent: _Dir
    ) -> FoundFile | SkippedFile | IgnoredFile | _Dir | None:
        """Decide about one directory entry: a folder to descend, a result, or nothing."""
        walked = Path(entry.path)
        is_link = entry.is_symlink()
        real = Path(os.path.realpath(entry.path)) if is_link else parent.real / entry.name
        try:
            st = entry.stat(follow_symlinks=True)
        except OSError as exc:
            return SkippedFile(walked, _stat_failure(entry.path, is_link, exc))
        rels = self.relatives(walked, real)
        if stat.S_ISDIR(st.st_mode):
            return self.visit_dir(walked, real, st, parent, rels)
        if self.excluded(rels) or not self.included(rels):
            return None
        if not self.wanted_suffix(real.name):
            return IgnoredFile(walked, unread_kind(real.name)) if self.report_ignored else None
        if is_link and not real.is_relative_to(self.root):
            return SkippedFile(walked, f"symlink to {real}, outside the folder; not followed")
        if not stat.S_ISREG(st.st_mode):
            return SkippedFile(walked, f"{_special_kind(st.st_mode)}, not a regular file")
        return self.check_file(real, st)

    def visit_dir(
        self,
        walked: Path,
        real: Path,
        st: os.stat_result,
        parent: _Dir,
        rels: list[PurePosixPath],
    ) -> SkippedFile | _Dir | None:
        if self.excluded(rels):
            return None
        if not real.is_relative_to(self.root):
            return SkippedFile(
                walked, f"symlink to the folder {real}, outside the root; not followed"
            )
        key = (st.st_dev, st.st_ino)
        if key in parent.ancestors:
            return SkippedFile(walked, f"symlink loop: leads back to {real}; not followed")
        if key in self.seen_dirs:
            return None  # reached before through another symlink: its files are already out
        self.seen_dirs.add(key)
        return _Dir(walked, real, (*parent.ancestors, key))


def walk(
    root: Path,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    suffixes: Collection[str] | None = None,
    report_ignored: bool = False,
) -> Iterator[FoundFile | SkippedFile | IgnoredFile]:
    """Walk ``root`` and yield the files to index and the entries skipped with a reason.

    Args:
        root: A folder, or a single file (then it is checked for type, suffix, size and
            readability, and every refusal is reported; globs and the hidden rule do not
            apply to it).
        include: Globs relative to the root; if given, only matching files are yielded.
        exclude: Globs relative to the root; matching files and folders are skipped.
        max_file_size: Larger files are yielded as SkippedFile, with the size and limit.
        suffixes: Suffixes to keep (e.g. ``get_registry().suffixes()``); None keeps all.
        report_ignored: Yield files in the folders whose suffix is not kept as IgnoredFile
            (hidden and excluded files stay unmentioned), so that they can be listed.

    Yields:
        FoundFile (with its real path), SkippedFile or IgnoredFile, in a deterministic order:
        names sorted, a folder's files before its subfolders, depth first.
    """
    walker_root = Path(os.path.realpath(Path(root).expanduser().absolute()))
    walker = _Walker(walker_root, include, exclude, max_file_size, suffixes, report_ignored)
    try:
        st = walker_root.stat()
    except FileNotFoundError:
        yield SkippedFile(Path(root).absolute(), "no such file or folder")
        return
    except OSError as exc:
        yield SkippedFile(Path(root).absolute(), _stat_failure(str(root), False, exc))
        return
    if not stat.S_ISDIR(st.st_mode):
        yield from walker.walk_file_root(walker_root)
        return
    key = (st.st_dev, st.st_ino)
    walker.seen_dirs.add(key)
    yield from walker.walk_dir(_Dir(walker_root, walker_root, (key,)))
