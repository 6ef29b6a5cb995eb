"""``GET /v1/folders``: the sub-folders of a folder on the server's machine, to pick one to index.

A browser cannot tell a page the path of a folder the user picked, so the page browses the
server's folders through this (names of folders only, never files or their contents). Like
every ``/v1`` call it needs the API key when the server has one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from gpt4all_rag.server.http_errors import APIError

router = APIRouter()

MAX_FOLDERS = 1000
"""Sub-folders listed at most (sorted by name)."""


def list_folders(raw: str | None) -> dict[str, Any]:
    """The folder ``raw`` (the user's home when None): its parent and its visible sub-folders.

    Raises:
        APIError: 400 for a relative path; 404 for one that is not a readable folder.
    """
    home = Path.home()
    path = Path(raw).expanduser() if raw else home
    if not path.is_absolute():
        raise APIError(400, f"{raw!r} is not an absolute path.", param="path")
    path = path.resolve()
    try:
        with os.scandir(path) as entries:
            names = sorted(
                entry.name
                for entry in entries
                if not entry.name.startswith(".") and _is_folder(entry)
            )
    except (NotADirectoryError, FileNotFoundError):
        raise APIError(404, f"{path} is not a folder on this machine.", param="path") from None
    except PermissionError:
        raise APIError(404, f"{path} cannot be read by the server's user.", param="path") from None
    return {
        "object": "folder",
        "path": str(path),
        "parent": str(path.parent) if path.parent != path else None,
        "home": str(home),
        "folders": [{"name": name, "path": str(path / name)} for name in names[:MAX_FOLDERS]],
        "truncated": len(names) > MAX_FOLDERS,
    }


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


@router.get("/v1/folders")
async def folders(path: str | None = None) -> dict[str, Any]:
    """Sub-folders of ``path`` (default: the home folder of the server's user)."""
    return await run_in_threadpool(list_folders, path)
