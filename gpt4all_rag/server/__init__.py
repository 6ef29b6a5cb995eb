"""OpenAI-compatible HTTP server with LocalDocs, and a web chat page (``gpt4all-rag serve``).

Needs the ``server`` extra: ``pip install 'gpt4all-rag[server]'``.
"""

from __future__ import annotations

from importlib.util import find_spec

from gpt4all_rag.errors import MissingDependencyError

for _package in ("fastapi", "uvicorn"):
    if find_spec(_package) is None:
        raise MissingDependencyError(_package, "server")

from gpt4all_rag.server.app import create_app  # noqa: E402
from gpt4all_rag.server.settings import ServerSettings  # noqa: E402

__all__ = ["ServerSettings", "create_app"]
