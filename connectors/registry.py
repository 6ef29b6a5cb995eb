"""The connector registry: suffix -> connector, filled from the ``gpt4all_rag.connectors`` group.

Built-in connectors are registered through the very same entry-point group as plugins.
Built-ins are registered first and plugins after them, so a plugin that claims a suffix
a built-in already has wins. Between two plugins claiming the same suffix, the one whose
distribution name sorts last wins, with a logged warning. A plugin that fails to import
or is not a valid connector is skipped with a ``ConnectorWarning``; it never crashes.
"""

from __future__ import annotations

import errno
import logging
import stat
import threading
import warnings
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import MappingProxyType

from langchain_core.documents import Document

from connectors.base import Connector, LoadError, content_hash, normalize_suffix, suffix_candidates

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "ENTRY_POINT_GROUP",
    "ConnectorRegistry",
    "ConnectorWarning",
    "get_registry",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "gpt4all_rag.connectors"
"""The entry-point group connectors register in."""
BUILTIN_DISTRIBUTION = "gpt4all-rag"
"""The distribution whose entry points are the built-in connectors."""

_METADATA_TYPES = (str, int, float, bool)


class ConnectorWarning(UserWarning):
    """A connector plugin that could not be loaded and was skipped."""


def _distribution_name(entry_point: EntryPoint) -> str:
    dist = entry_point.dist
    name = dist.metadata["Name"] if dist is not None else None
    return str(name).lower().replace("_", "-") if name else ""


def _is_builtin(entry_point: EntryPoint) -> bool:
    return _distribution_name(entry_point) == BUILTIN_DISTRIBUTION


def _instantiate(entry_point: EntryPoint) -> Connector:
    obj = entry_point.load()
    connector = obj() if isinstance(obj, type) else obj
    if not isinstance(connector, Connector):
        raise TypeError(
            f"{entry_point.value} is not a connector (it needs `name`, `suffixes` and `load`)"
        )
    if not {normalize_suffix(s) for s in connector.suffixes}:
        raise ValueError(f"{entry_point.value} claims no suffixes")
    return connector


class ConnectorRegistry:
    """Maps file suffixes to connectors and loads files with them.

    Args:
        connectors: Connectors in priority order: for a suffix claimed twice, the later wins.
        problems: Messages about connectors that could not be registered.
    """

    def __init__(self, connectors: Iterable[Connector] = (), problems: Iterable[str] = ()) -> None:
        by_name: dict[str, Connector] = {}
        by_suffix: dict[str, Connector] = {}
        for connector in connectors:
            by_name.pop(connector.name, None)
            by_name[connector.name] = connector
        for connector in by_name.values():
            for suffix in sorted(normalize_suffix(s) for s in connector.suffixes):
                previous = by_suffix.get(suffix)
                if previous is not None and previous is not connector:
                    logger.debug(
                        "%r takes %s files over from %r", connector.name, suffix, previous.name
                    )
                by_suffix[suffix] = connector
        self._by_name = MappingProxyType(by_name)
        self._by_suffix = MappingProxyType(by_suffix)
        self.problems: tuple[str, ...] = tuple(problems)
        """Why some registered connectors were skipped, one message each."""

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> ConnectorRegistry:
        """Build a registry from an entry-point group: built-ins first, then plugins.

        Plugins are ordered by distribution name, then entry-point name; a plugin that
        fails to load is reported with a ``ConnectorWarning`` and left out.
        """
        found = sorted(
            entry_points(group=group),
            key=lambda ep: (not _is_builtin(ep), _distribution_name(ep), ep.name),
        )
        connectors: list[Connector] = []
        problems: list[str] = []
        claimed: dict[str, str] = {}
        for entry_point in found:
            try:
                connector = _instantiate(entry_point)
            except Exception as exc:
                dist = _distribution_name(entry_point) or "unknown distribution"
                message = (
                    f"connector {entry_point.name!r} ({entry_point.value}, from {dist}) could "
                    f"not be loaded and is skipped: {type(exc).__name__}: {exc}. Reinstall or "
                    f"uninstall {dist}."
                )
                warnings.warn(message, ConnectorWarning, stacklevel=2)
                problems.append(message)
                continue
            _warn_plugin_conflicts(entry_point, connector, claimed)
            connectors.append(connector)
        return cls(connectors, problems)

    @property
    def connectors(self) -> Mapping[str, Connector]:
        """The registered connectors by name."""
        return self._by_name

    def suffixes(self) -> frozenset[str]:
        """Every suffix some connector claims, lowercase with the dot."""
        return frozenset(self._by_suffix)

    def connector_for(self, path: Path) -> Connector | None:
        """Return the connector for ``path``'s suffix (the longest claimed one), or None."""
        for suffix in suffix_candidates(path.name):
            connector = self._by_suffix.get(suffix)
            if connector is not None:
                return connector
        return None

    def load(self, path: Path) -> list[Document]:
        """Load one file into Documents with complete metadata.

        Every error is turned into a LoadError saying what went wrong: an unknown file
        type, a missing or unreadable file, or a connector failure (including bugs in a
        plugin). A file that yields no text is a LoadError too.

        Raises:
            LoadError: The file could not be loaded.
        """
        path = Path(path)
        connector = self.connector_for(path)
        if connector is None:
            raise LoadError(path, self._unknown_type_reason(path))
        try:
            _check_regular_file(path)
            documents = [_complete(doc, path) for doc in connector.load(path)]
        except LoadError:
            raise
        except IsADirectoryError as exc:
            raise LoadError(path, "is a folder, not a file") from exc
        except FileNotFoundError as exc:
            raise LoadError(path, "file not found (deleted or moved?)") from exc
        except PermissionError as exc:
            raise LoadError(path, "permission denied; make the file readable to index it") from exc
        except OSError as exc:
            raise LoadError(path, f"cannot read the file: {exc.strerror or exc}") from exc
        except Exception as exc:
            logger.debug("connector %r failed on %s", connector.name, path, exc_info=True)
            raise LoadError(
                path, f"the {connector.name!r} connector failed: {type(exc).__name__}: {exc}"
            ) from exc
        documents = [doc for doc in documents if doc.page_content.strip()]
        if not documents:
            raise LoadError(path, "no text found in this file, nothing to index")
        return documents

    def _unknown_type_reason(self, path: Path) -> str:
        kind = f"{path.suffix.lower()!r} files" if path.suffix else "files without a suffix"
        known = ", ".join(sorted(self._by_suffix))
        return (
            f"no connector reads {kind}; known suffixes: {known}. "
            "Install a connector plugin for it (see docs/connectors.md)."
        )


def _warn_plugin_conflicts(
    entry_point: EntryPoint, connector: Connector, claimed: dict[str, str]
) -> None:
    """Log when a plugin takes a suffix from another plugin (taking a built-in's is by design)."""
    builtin = _is_builtin(entry_point)
    for suffix in {normalize_suffix(s) for s in connector.suffixes}:
        owner = claimed.get(suffix)
        if owner is not None and not owner.startswith("builtin:") and not builtin:
            logger.warning(
                "connector plugins %s and %r both claim %s files; %r wins",
                owner,
                entry_point.name,
                suffix,
                entry_point.name,
            )
        claimed[suffix] = f"builtin:{entry_point.name}" if builtin else repr(entry_point.name)


def _check_regular_file(path: Path) -> None:
    """Refuse folders and special files before a connector opens them (a FIFO would block)."""
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if not stat.S_ISREG(mode):
        raise LoadError(path, "not a regular file (a FIFO, socket or device); not read")


def _complete(document: Document, path: Path) -> Document:
    """Fill in the standard metadata a connector left out and drop values Chroma rejects."""
    metadata = {
        key: value if isinstance(value, _METADATA_TYPES) else str(value)
        for key, value in document.metadata.items()
        if value is not None
    }
    metadata.setdefault("source", str(path.resolve()))
    if not metadata.get("title"):
        metadata["title"] = path.name
    metadata.setdefault("file_type", path.suffix.lower().lstrip("."))
    metadata["content_hash"] = content_hash(document.page_content)
    document.metadata = metadata
    return document


_registry: ConnectorRegistry | None = None
_lock = threading.Lock()


def get_registry(*, refresh: bool = False) -> ConnectorRegistry:
    """Return the process-wide registry built from the entry-point group.

    Args:
        refresh: Rebuild it, e.g. after installing a connector plugin in this process.
    """
    global _registry
    with _lock:
        if _registry is None or refresh:
            _registry = ConnectorRegistry.from_entry_points()
        return _registry
