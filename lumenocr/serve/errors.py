"""HTTP errors: every failure leaves the service as ``{"error": {"code", "message"}}``.

Library errors (:class:`lumenocr.LumenOCRError`) map to 4xx by class, so a client that sends a
corrupt, truncated, huge or unsupported file gets a specific answer, never a 500 and never a
traceback. Only a bug in lumenocr itself is a 500, and it is logged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lumenocr.errors import (
    ConfigError,
    ImageDecodeError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    LumenOCRError,
    UnsupportedFormatError,
)

log = logging.getLogger("lumenocr.serve")


class APIError(Exception):
    """An error answered to the client as ``status`` with a machine ``code`` and a message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


#: Library error class -> (HTTP status, code). The first matching class wins (subclasses first).
_LIBRARY_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (ImageTooLargeError, 413, "too_large"),
    (UnsupportedFormatError, 415, "unsupported_format"),
    (ImageDecodeError, 400, "bad_image"),
    (InputNotFoundError, 400, "not_found"),
    (InputError, 400, "bad_input"),
    (ConfigError, 422, "bad_option"),
)

# Starlette's own HTTP errors (unknown route, wrong method, malformed multipart...).
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def from_library(exc: LumenOCRError) -> APIError:
    """The HTTP answer for a library error a request caused."""
    for cls, status, code in _LIBRARY_ERRORS:
        if isinstance(exc, cls):
            return APIError(status, code, str(exc))
    # A model error here means the server's own models are broken: not the client's fault.
    return APIError(500, "model_error", str(exc))


def describe_validation(exc: RequestValidationError) -> str:
    """One readable line per problem: ``body.thresh: Input should be less than or equal to 1``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_handlers(app: FastAPI) -> None:
    """Route every exception through the one error shape."""

    @app.exception_handler(APIError)
    async def _api(_: Request, exc: APIError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(LumenOCRError)
    async def _lib(_: Request, exc: LumenOCRError) -> JSONResponse:
        err = from_library(exc)
        if err.status >= 500:
            log.error("model error: %s", exc)
        return error_response(err.status, err.code, err.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error" if exc.status_code >= 500 else "bad_request")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return error_response(500, "internal", f"internal error ({type(exc).__name__}); please report it")
