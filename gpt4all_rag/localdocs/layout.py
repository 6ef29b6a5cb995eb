"""Where a collection lives on disk: validated names and the folders of ledgers and vectors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from gpt4all_rag.config import Settings
from gpt4all_rag.errors import InvalidCollectionNameError

_NAME_CHARS = re.compile(r"[a-zA-Z0-9._-]+")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")

LEDGER_FILE = "ledger.sqlite3"
"""File name of a collection's ledger (files, chunks and keyword index)."""
LOCK_FILE = "writer.lock"
"""File name of a collection's writer lock."""


def validate_collection_name(name: str) -> str:
    """Check a collection name against Chroma's rules.

    Args:
        name: The proposed name.

    Returns:
        The name, unchanged.

    Raises:
        InvalidCollectionNameError: When Chroma would refuse the name.
    """
    if not 3 <= len(name) <= 63:
        raise InvalidCollectionNameError(name, f"it has {len(name)} characters")
    if not _NAME_CHARS.fullmatch(name):
        raise InvalidCollectionNameError(name, "it has characters outside the allowed ones")
    if not (name[0].isalnum() and name[-1].isalnum()):
        raise InvalidCollectionNameError(name, "it must start and end with a letter or digit")
    if ".." in name:
        raise InvalidCollectionNameError(name, "it contains '..'")
    if _IPV4.fullmatch(name):
        raise InvalidCollectionNameError(name, "it looks like an IPv4 address")
    return name


def server_key(chroma_url: str) -> str:
    """A folder name standing for one Chroma server, such as ``http_localhost_8000``."""
    parts = urlsplit(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
    scheme = parts.scheme or "http"
    port = parts.port or (443 if scheme == "https" else 8000)
    host = parts.hostname or "localhost"
    raw = f"{scheme}_{host}_{port}{parts.path.rstrip('/')}"
    return re.sub(r"[^a-zA-Z0-9._-]+", "_", raw)


@dataclass(frozen=True)
class Layout:
    """The folders of one store: embedded under the home, or one Chroma server's local ledgers."""

    root: Path
    """Folder holding one sub-folder per collection (its ledger and lock)."""
    chroma_path: Path | None
    """Folder of the embedded Chroma database; None for a Chroma server."""
    chroma_url: str | None
    """URL of the Chroma server; None for the embedded store."""

    @classmethod
    def for_settings(cls, settings: Settings, chroma_url: str | None = None) -> Layout:
        """The layout for these settings; ``chroma_url`` overrides ``settings.chroma_url``."""
        url = chroma_url or settings.chroma_url
        if url:
            return cls(settings.home / "servers" / server_key(url), None, url)
        return cls(settings.collections_dir, settings.home / "chroma", None)

    def collection_dir(self, name: str) -> Path:
        """Folder of one collection's ledger and lock."""
        return self.root / validate_collection_name(name)

    def ledger_path(self, name: str) -> Path:
        """Path of one collection's ledger."""
        return self.collection_dir(name) / LEDGER_FILE

    def lock_path(self, name: str) -> Path:
        """Path of one collection's writer lock."""
        return self.collection_dir(name) / LOCK_FILE

    def collection_names(self) -> list[str]:
        """Names of the collections that have a ledger here, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{LEDGER_FILE}"))

    @property
    def location(self) -> str:
        """Human description of where the vectors live."""
        return self.chroma_url or str(self.chroma_path)
