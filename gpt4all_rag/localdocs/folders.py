"""The folders a collection is kept from, whether they are watched, and which folders may be added.

The record sits beside the collection's ledger (``folders.json``), so removing the collection
removes it too. Collections indexed before it existed have none: they can be searched, but
re-indexing and watching need their folders given once.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from gpt4all_rag.errors import GPT4AllRagError
from gpt4all_rag.localdocs.layout import Layout

FOLDERS_FILE = "folders.json"
"""File name of a collection's folder record, in its collection folder."""


class FolderRefusedError(GPT4AllRagError, ValueError):
    """A folder that cannot be indexed: missing, unreadable, or the data home."""


class CollectionFolders(BaseModel):
    """Where a collection's files come from, and whether changes there are picked up."""

    model_config = ConfigDict(extra="forbid")

    folders: list[str] = Field(default_factory=list)
    """Absolute, resolved paths of the indexed folders (or files)."""
    watched: bool = False
    """Whether changes under the folders are indexed as they happen."""


def read_folders(layout: Layout, name: str) -> CollectionFolders | None:
    """The record of collection ``name``, or None when it has none (or it is unreadable)."""
    path = layout.collection_dir(name) / FOLDERS_FILE
    try:
        return CollectionFolders.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def write_folders(layout: Layout, name: str, record: CollectionFolders) -> None:
    """Save the record of collection ``name`` atomically (write, then rename)."""
    folder = layout.collection_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{FOLDERS_FILE}.{os.getpid()}"
    temporary.write_text(record.model_dump_json(indent=2), encoding="utf-8")
    temporary.replace(folder / FOLDERS_FILE)


def check_folder(raw: str, home: Path) -> Path:
    """A folder (or file) the user asked to index, resolved and checked.

    Args:
        raw: The path as typed; ``~`` is expanded; it must be absolute.
        home: The data home, which is never indexed (nor a folder inside it or around it).

    Returns:
        The resolved path.

    Raises:
        FolderRefusedError: Relative, missing, unreadable, or overlapping the data home.
    """
    text = raw.strip()
    path = Path(text).expanduser()
    if not text or not path.is_absolute():
        raise FolderRefusedError(
            f"{raw!r} is not an absolute path: give the full path of a folder on this machine, "
            "such as /home/me/Documents/manuals."
        )
    if not path.exists():
        raise FolderRefusedError(f"{text} does not exist on this machine: check the path.")
    resolved = path.resolve()
    readable = os.R_OK | (os.X_OK if resolved.is_dir() else 0)
    if not os.access(resolved, readable):
        raise FolderRefusedError(
            f"{text} cannot be read by the server's user: fix its permissions or pick another."
        )
    data_home = home.expanduser().resolve()
    if resolved == data_home or data_home in resolved.parents:
        raise FolderRefusedError(
            f"{text} is the data home of gpt4all-rag (models and collections): pick a folder "
            "of your own documents."
        )
    if resolved in data_home.parents:
        raise FolderRefusedError(
            f"{text} holds the data home of gpt4all-rag ({data_home}): pick a folder inside it "
            "that holds your documents, such as its Documents folder."
        )
    return resolved
