"""Finding the files of a run: walk the given paths, key each file by its resolved path."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connectors.folder import FoundFile, IgnoredFile, SkippedFile
from gpt4all_rag.errors import IndexPathNotFoundError

Walker = Callable[..., Iterator[FoundFile | SkippedFile | IgnoredFile]]
"""``connectors.folder.walk`` or a function with its signature."""


@dataclass(frozen=True)
class Candidate:
    """A file to index, with the stat the walker saw."""

    source: str
    """Absolute resolved path: the file's key in the ledger and in chunk ids."""
    path: Path
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    """Everything one walk over the indexed paths found."""

    roots: list[Path]
    """The indexed paths, resolved (those that exist and those that vanished)."""
    candidates: list[Candidate] = field(default_factory=list)
    """Files to index, one per resolved path."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Files the walker refused (too large, symlink loop, unreadable, ...) with the reason."""
    ignored: dict[str, str] = field(default_factory=dict)
    """Files of a kind no connector reads, with the reason (listed, not failed)."""

    def covers(self, source: str) -> bool:
        """Whether a recorded source lies under one of the indexed paths."""
        return any(
            source == str(root) or source.startswith(f"{root}{os.sep}") for root in self.roots
        )


def resolve_roots(paths: Iterable[str | Path], recorded: Collection[str]) -> list[Path]:
    """Resolve the paths to index.

    A path that does not exist is kept when the collection holds files under it (they will be
    removed as deleted); otherwise it is a usage error.

    Raises:
        IndexPathNotFoundError: For a missing path the collection knows nothing under.
    """
    roots: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        root = path.resolve()
        if not path.exists() and not os.path.lexists(path):
            prefix = f"{root}{os.sep}"
            if not any(s == str(root) or s.startswith(prefix) for s in recorded):
                raise IndexPathNotFoundError(str(raw))
        if root not in roots:
            roots.append(root)
    return roots


def scan(
    roots: Sequence[Path],
    walk: Walker,
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    max_file_size: int,
    suffixes: Collection[str],
) -> ScanResult:
    """Walk every root and collect candidates and skipped files, each resolved path once."""
    result = ScanResult(roots=list(roots))
    seen: set[str] = set()
    for root in roots:
        if not root.exists():
            continue
        entries = walk(
            root,
            include=include,
            exclude=exclude,
            max_file_size=max_file_size,
            suffixes=suffixes,
            report_ignored=True,
        )
        for entry in entries:
            # a refused entry is named as the user sees it (a loop or dangling link has no target)
            as_seen = isinstance(entry, (SkippedFile, IgnoredFile))
            source = str(entry.path.absolute() if as_seen else _resolve(entry.path))
            if source in seen:
                continue
            seen.add(source)
            if not _is_utf8(source):
                result.skipped[escaped_path(source)] = BAD_NAME_REASON
            elif isinstance(entry, SkippedFile):
                result.skipped[source] = entry.reason
            elif isinstance(entry, IgnoredFile):
                result.ignored[source] = entry.reason
            else:
                result.candidates.append(Candidate(source, entry.path, entry.size, entry.mtime_ns))
    return result


BAD_NAME_REASON = "the file name is not valid UTF-8; rename the file to index it"
"""Why a file whose name cannot be stored (the ledger and Chroma keep text) is skipped."""


def escaped_path(source: str) -> str:
    """A path as printable text: undecodable bytes become ``\\xNN`` escapes."""
    return os.fsencode(source).decode("utf-8", "backslashreplace")


def _is_utf8(source: str) -> bool:
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _resolve(path: Path) -> Path:
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError):  # symlink loops on some Python versions
        return path.absolute()
