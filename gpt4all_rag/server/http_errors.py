"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}`` with its statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gpt4all_rag.errors import (
    CollectionMismatchError,
    CollectionNotFoundError,
    ContextOverflowError,
    GPT4AllRagError,
    InvalidCollectionNameError,
    ModelNotFoundError,
    from_validation_error,
)

logger = logging.getLogger("gpt4all_rag.server")


class APIError(Exception):
    """An error to send to the client as it is."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body OpenAI clients understand."""
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return {"error": {**error, **self.extra}}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """This error as an HTTP response."""
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


class ClientGone(Exception):
    """The client closed the connection before its reply was ready; nothing is sent."""


def unauthorized(message: str) -> APIError:
    """401 for a missing or wrong API key."""
    return APIError(401, message, code="invalid_api_key")


def server_busy(message: str) -> APIError:
    """503 when a model's wait line is full or too slow."""
    return APIError(503, message, type="server_error", code="server_busy")


def to_api_error(error: BaseException) -> APIError:
    """The OpenAI-shaped error for any exception the routes let through."""
    if isinstance(error, APIError):
        return error
    if isinstance(error, ValidationError):  # a validator's own error, rewrapped by pydantic
        return to_api_error(from_validation_error(error))
    if isinstance(error, ModelNotFoundError):
        return APIError(404, str(error), code="model_not_found", param="model")
    if isinstance(error, CollectionNotFoundError):
        return APIError(404, str(error), code="collection_not_found", param="collections")
    if isinstance(error, InvalidCollectionNameError):
        return APIError(400, str(error), code="invalid_collection_name", param="collections")
    if isinstance(error, ContextOverflowError):
        return APIError(
            400,
            str(error),
            code="context_length_exceeded",
            param="messages",
            prompt_tokens=error.prompt_tokens,
            max_tokens=error.max_new_tokens,
            n_ctx=error.n_ctx,
        )
    if isinstance(error, CollectionMismatchError):
        return APIError(409, str(error), code="collection_mismatch", param="collections")
    if isinstance(error, GPT4AllRagError) and isinstance(error, ValueError):
        return APIError(400, str(error), code=type(error).__name__)
    if isinstance(error, GPT4AllRagError):
        return APIError(500, str(error), type="server_error", code=type(error).__name__)
    logger.exception("Unexpected error", exc_info=error)
    return APIError(500, "Internal server error; see the server log.", type="server_error")


def _validation_error(error: RequestValidationError) -> APIError:
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    param = ".".join(location) or None
    message = first.get("msg", "Invalid request")
    if param:
        message = f"{param}: {message}"
    return APIError(400, message, param=param)


def _http_error(error: StarletteHTTPException) -> APIError:
    codes = {404: "not_found", 405: "method_not_allowed"}
    return APIError(error.status_code, str(error.detail), code=codes.get(error.status_code))


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the server in OpenAI's shape."""

    async def api_error(request: Request, error: Exception) -> JSONResponse:
        return to_api_error(error).response()

    async def client_gone(request: Request, error: Exception) -> Response:
        return Response(status_code=499)

    async def validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return _validation_error(error).response()

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return _http_error(error).response(headers=getattr(error, "headers", None))

    app.add_exception_handler(ClientGone, client_gone)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(GPT4AllRagError, api_error)
    app.add_exception_handler(Exception, api_error)
