"""The FastAPI app: OpenAI-compatible API, LocalDocs extension, and the web chat page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from gpt4all_rag import __version__
from gpt4all_rag.config import Settings
from gpt4all_rag.server.collection_manager import CollectionManager
from gpt4all_rag.server.conversation_store import CONVERSATIONS_FILE, ConversationStore
from gpt4all_rag.server.http_errors import install_error_handlers
from gpt4all_rag.server.queueing import ModelQueue
from gpt4all_rag.server.routes import (
    chat,
    collections,
    completions,
    conversations,
    embeddings,
    folders,
    listings,
    page,
    sources,
)
from gpt4all_rag.server.security import (
    ApiKeyMiddleware,
    BodyLimitMiddleware,
    HostCheckMiddleware,
    OpenAICORSMiddleware,
    OriginCheckMiddleware,
)
from gpt4all_rag.server.served_models import ModelCatalog
from gpt4all_rag.server.settings import ServerSettings
from gpt4all_rag.server.source_files import SourceFiles
from gpt4all_rag.server.state import ServerState


def create_app(settings: ServerSettings | None = None, library: Settings | None = None) -> FastAPI:
    """Build the server app.

    Args:
        settings: How the server listens and what it accepts; safe defaults when None.
        library: Data home and default models; the process-wide settings when None.

    Returns:
        An ASGI app for uvicorn (or any ASGI server).
    """
    settings = settings or ServerSettings()
    state = ServerState(
        settings=settings,
        catalog=ModelCatalog(library),
        queue=ModelQueue(settings.max_waiting, settings.queue_timeout),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        manager = app.state.collection_manager
        manager.start()
        yield
        manager.shutdown()
        state.queue.shutdown()

    app = FastAPI(
        title="gpt4all-rag",
        version=__version__,
        summary="OpenAI-compatible local server with LocalDocs",
        docs_url=None,  # the Swagger and ReDoc pages load scripts from the internet
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.gpt4all_rag = state
    app.state.collection_manager = CollectionManager(
        state.catalog.settings, watch_all=settings.watch
    )
    app.state.source_files = SourceFiles(state.catalog.settings)
    app.state.conversations = ConversationStore(state.catalog.settings.home / CONVERSATIONS_FILE)
    install_error_handlers(app)
    for router in (
        chat.router,
        collections.router,
        completions.router,
        conversations.router,
        embeddings.router,
        folders.router,
        listings.router,
        page.router,
        sources.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    _add_guards(app, settings)
    return app


def _add_guards(app: FastAPI, settings: ServerSettings) -> None:
    """Middleware, innermost first (each one added wraps the ones before it)."""
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(ApiKeyMiddleware, key=settings.key())
    app.add_middleware(
        OpenAICORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["*"],  # any request header, but only ever for the listed origins
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(OriginCheckMiddleware, allowed=frozenset(settings.allowed_origins))
    app.add_middleware(HostCheckMiddleware, allowed=settings.host_allowlist())
