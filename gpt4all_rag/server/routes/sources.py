"""Opening a cited source: ``POST /v1/sources/links`` signs links, ``GET /sources/{name}`` serves.

PDFs open in the browser's own viewer at ``#page=N``; HTML files are served as they are, but
sandboxed (no scripts, no access to this server's origin), at the quote through a text
fragment; text files are shown in a small page with the quoted passage highlighted and
scrolled to; other formats are downloaded.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response, StreamingResponse

from gpt4all_rag.server.http_errors import APIError
from gpt4all_rag.server.source_files import (
    MAX_TEXT_BYTES,
    OpenedSource,
    SourceFiles,
    SourceRefused,
    find_quote,
)

router = APIRouter()

CHUNK_BYTES = 256 * 1024
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
VIEWER_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
HTML_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""A user's HTML file runs no script and gets an opaque origin: it cannot call this server."""
MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


class SourceRef(BaseModel):
    """A source of an answer, as the chat reply gave it."""

    model_config = ConfigDict(extra="ignore")

    source: str = Field(max_length=4096)
    """Path of the file."""
    page: int | None = Field(default=None, ge=1)
    """1-based page of a paged format."""
    quote: str | None = Field(default=None, max_length=4000)
    """The quoted sentence to show highlighted."""


class LinkRequest(BaseModel):
    """``POST /v1/sources/links``."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceRef] = Field(max_length=64)
    """The sources to link, in order."""


def source_files_of(request: Request) -> SourceFiles:
    """The source files service of the app serving ``request``."""
    files: Any = request.app.state.source_files
    assert isinstance(files, SourceFiles)
    return files


@router.post("/v1/sources/links")
async def source_links(body: LinkRequest, request: Request) -> dict[str, Any]:
    """A URL per source that opens it at its page or quote (null: not a collection's file)."""
    files = source_files_of(request)

    def links() -> list[dict[str, Any]]:
        return [
            {"source": ref.source, "url": files.link(ref.source, ref.page, ref.quote)}
            for ref in body.sources
        ]

    return {"object": "list", "data": await run_in_threadpool(links)}


@router.get("/sources/{name}", include_in_schema=False)
async def open_source(
    name: str, path: str, sig: str, request: Request, quote: str | None = None
) -> Response:
    """Serve one collection file (the link's signature and membership are checked)."""
    files = source_files_of(request)
    try:
        opened = await run_in_threadpool(files.open, path, sig)
    except SourceRefused as refused:
        raise APIError(404, str(refused), code="source_not_served") from None
    if opened.kind == "text" and opened.size <= MAX_TEXT_BYTES:
        return await run_in_threadpool(_text_view, opened, quote)
    return _file_response(opened)


def _file_response(opened: OpenedSource) -> Response:
    filename = os.path.basename(opened.path).replace('"', "")
    disposition = "attachment" if opened.kind in ("other", "text") else "inline"
    headers = {
        **COMMON_HEADERS,
        "Content-Length": str(opened.size),
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{_rfc5987(filename)}",
    }
    if opened.kind == "html":
        headers["Content-Security-Policy"] = HTML_CSP
    media = MEDIA_TYPES.get(opened.kind, "application/octet-stream")
    return StreamingResponse(_read(opened.fd), media_type=media, headers=headers)


def _read(fd: int) -> Iterator[bytes]:
    try:
        while chunk := os.read(fd, CHUNK_BYTES):
            yield chunk
    finally:
        os.close(fd)


def _text_view(opened: OpenedSource, quote: str | None) -> HTMLResponse:
    """The text file as a page, with the quote highlighted and scrolled to (``#quote``)."""
    from connectors.encoding import decode_bytes

    try:
        data = b"".join(_read(opened.fd))
    except OSError as error:
        raise APIError(404, f"The file cannot be read: {error.strerror}.") from None
    try:
        text = decode_bytes(data, opened.path)
    except Exception:
        text = data.decode("utf-8", "replace")
    found = find_quote(text, quote) if quote else None
    if found is None:
        body = html.escape(text)
        note = "The quoted passage was not found in the file as it is now." if quote else ""
    else:
        start, end = found
        body = (
            html.escape(text[:start])
            + f'<mark id="quote">{html.escape(text[start:end])}</mark>'
            + html.escape(text[end:])
        )
        note = ""
    title = html.escape(os.path.basename(opened.path))
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/source.css">
</head>
<body>
<header><h1>{title}</h1><p class="path">{html.escape(opened.path)}</p>
{f'<p class="note">{note}</p>' if note else ""}</header>
<pre>{body}</pre>
</body>
</html>
"""
    headers = {**COMMON_HEADERS, "Content-Security-Policy": VIEWER_CSP}
    return HTMLResponse(page, headers=headers)


def _rfc5987(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
