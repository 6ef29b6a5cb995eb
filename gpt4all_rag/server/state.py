"""What every route shares: settings, the model catalog and the queue."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.queueing import ModelQueue
from gpt4all_rag.server.served_models import ModelCatalog
from gpt4all_rag.server.settings import ServerSettings


@dataclass
class ServerState:
    """One per app."""

    settings: ServerSettings
    catalog: ModelCatalog
    queue: ModelQueue
    started: float = field(default_factory=time.time)

    def max_tokens(self, wanted: int | None) -> int:
        """The token budget of a reply: what was asked for (within the limit), else the default.

        Raises:
            APIError: 400 when the request asks for more than the limit.
        """
        limit = self.settings.max_tokens_limit
        if wanted is None:
            return min(self.settings.default_max_tokens, limit)
        if wanted > limit:
            raise APIError(
                400,
                f"max_tokens is {wanted}, over this server's limit of {limit} "
                "(--max-tokens-limit). Ask for fewer tokens.",
                param="max_tokens",
                code="max_tokens_too_large",
            )
        return wanted


def state_of(request: Request) -> ServerState:
    """The state of the app serving ``request``."""
    state: Any = request.app.state.gpt4all_rag
    assert isinstance(state, ServerState)
    return state


def completion_id(prefix: str) -> str:
    """A fresh id such as ``chatcmpl-3f2a...``."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:24]}"
