"""Request guards, as plain ASGI middleware (they never buffer or break streamed replies).

Outermost first: the Host header (DNS rebinding), the Origin (cross-site callers), CORS for the
allowed origins only, the API key on ``/v1``, and the request body limit.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpt4all_rag.server.http_errors import APIError, unauthorized

DRAIN_FACTOR = 16
"""A body up to this many times the limit is read to its end before the 413 is sent."""
DRAIN_MIN_BYTES = 16 * 1_048_576
"""... and any body up to this size (16 MiB), whatever the limit."""


def _host_name(host_header: str) -> str:
    """The name in a Host header, lowercase, without port or IPv6 brackets."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class HostCheckMiddleware:
    """Refuses requests whose Host header names another site: DNS rebinding protection.

    A web page on ``evil.example`` that rebinds its name to 127.0.0.1 still sends
    ``Host: evil.example``, which is not on the list.
    """

    def __init__(self, app: ASGIApp, allowed: frozenset[str] | None) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts = Headers(scope=scope).getlist("host")
        if len(hosts) > 1:  # RFC 9112: a request with more than one Host is refused
            error = APIError(
                400,
                f"The request has {len(hosts)} Host headers; send exactly one.",
                code="invalid_host",
            )
            await error.response()(scope, receive, send)
            return
        if self.allowed is None:
            await self.app(scope, receive, send)
            return
        host = _host_name(hosts[0] if hosts else "")
        if host not in self.allowed:
            error = APIError(
                400,
                f"Host {host!r} is not served here. Use http://127.0.0.1:PORT, or start the "
                "server with --allowed-host NAME.",
                code="invalid_host",
            )
            await error.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)


class OriginCheckMiddleware:
    """Refuses browser requests from origins that are neither this server nor allowed.

    CORS alone only hides replies from other sites; this also stops them from making the model
    work for them (or reading collections through side effects).
    """

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or origin in self.allowed or _same_origin(origin, headers, scope):
            await self.app(scope, receive, send)
            return
        error = APIError(
            403,
            f"Origin {origin!r} may not call this server. Start it with --allowed-origin "
            f"{origin} to allow that web app.",
            code="origin_not_allowed",
        )
        await error.response()(scope, receive, send)


def _same_origin(origin: str, headers: Headers, scope: Scope) -> bool:
    scheme = scope.get("scheme", "http")
    return origin.lower() == f"{scheme}://{headers.get('host', '').lower()}"


class OpenAICORSMiddleware(CORSMiddleware):
    """CORS for the allowed origins only; a refused preflight gets OpenAI's error shape (JSON),
    like every other error of the server, instead of Starlette's plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode(errors="replace")
        error = APIError(
            response.status_code,
            f"{reason}. Cross-origin calls are allowed only from the origins the server was "
            "started with (--allowed-origin); the server's own page needs no preflight.",
            code="cors_preflight_refused",
        )
        return error.response(headers={"Vary": "Origin"})


class ApiKeyMiddleware:
    """Requires ``Authorization: Bearer KEY`` on the API paths (compared in constant time)."""

    def __init__(self, app: ASGIApp, key: str | None, prefix: str = "/v1") -> None:
        self.app = app
        self.key = key.encode() if key else None
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.key is None
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        given = _bearer(Headers(scope=scope).get("authorization", ""))
        if given is None:
            error = unauthorized(
                "No API key: send 'Authorization: Bearer KEY' (the key the server was started "
                "with; api_key= in the openai client)."
            )
        elif not hmac.compare_digest(given.encode(), self.key):
            error = unauthorized("Incorrect API key provided.")
        else:
            await self.app(scope, receive, send)
            return
        await error.response(headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class BodyLimitMiddleware:
    """Reads at most ``limit`` bytes of a request body; a larger one gets 413 at once.

    The body is read here and handed to the app in one piece; afterwards the app's ``receive``
    is the server's, so a client that disconnects is still noticed while the reply streams.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send, int(declared))
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.limit:
                await self._too_large(scope, receive, send, len(body) if more else None)
                return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, received: int | None
    ) -> None:
        """Send 413 after reading (and dropping) the rest of a body of reasonable size, so that
        the client finishes sending and reads the reply: answering mid-upload makes the client
        see "connection reset" instead, and the openai client then retries in vain."""
        if received is not None and received <= max(self.limit * DRAIN_FACTOR, DRAIN_MIN_BYTES):
            await _drain(receive)
        await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = APIError(
            413,
            f"The request body is over the server's limit of {self.limit} bytes "
            "(--max-body-bytes).",
            code="request_too_large",
        )
        await error.response(headers={"Connection": "close"})(scope, receive, send)


async def _drain(receive: Receive) -> None:
    """Read a request body to its end, dropping it."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
