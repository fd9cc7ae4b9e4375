"""The API's error types and the one table that turns any of them into a status and a JSON body.

Every adapter answers errors through :func:`error_response`, so a 404 or a 422 reads the same
whichever framework served it, and no traceback ever reaches a client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "BadRequest",
    "BodyNotParsable",
    "BodyTooLarge",
    "ErrorResponse",
    "GreetingNotFound",
    "HandshakeRefused",
    "ItemNotFound",
    "MethodNotAllowed",
    "ModelNotFitted",
    "NegativeItemId",
    "NotFound",
    "RequestInvalid",
    "RouteNotFound",
    "StoreUnavailable",
    "TooLarge",
    "TooManyValues",
    "TrailingSlash",
    "Unauthorized",
    "error_response",
    "http_error",
    "server_error",
]

logger = logging.getLogger("asgi_compare")


class ApiError(Exception):
    """An error a client caused; ``detail`` is what the client is told."""

    detail: Any = "Bad Request"

    def __init__(self, detail: Any = None) -> None:
        if detail is not None:
            self.detail = detail
        super().__init__(self.detail)


class BadRequest(ApiError):
    pass


class NotFound(ApiError):
    detail = "Not Found"


class RouteNotFound(NotFound):
    """No route has this path."""


class GreetingNotFound(NotFound):
    detail = "Greeting not found"


class ItemNotFound(NotFound):
    detail = "Item not found"


class NegativeItemId(BadRequest):
    detail = "Item ID cannot be negative"


class ModelNotFitted(BadRequest):
    detail = "Model has not been fitted yet"


class BodyNotParsable(BadRequest):
    """The body claims to be JSON but is not text (FastAPI's own answer, kept for all four)."""

    detail = "There was an error parsing the body"


class TooLarge(ApiError):
    """More than a setting allows; the detail names the limit and the setting."""


class BodyTooLarge(TooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body is larger than {limit} bytes (ASGI_COMPARE_MAX_BODY_BYTES)")


class TooManyValues(TooLarge):
    def __init__(self, cells: int, limit: int) -> None:
        super().__init__(
            f"X has {cells} values (rows x columns); the limit is {limit} (ASGI_COMPARE_MAX_CELLS)"
        )


class Unauthorized(ApiError):
    """No API key, or the wrong one; the key a client sent is never repeated back."""

    detail = "Missing or invalid API key"
    challenge = 'Key realm="asgi-compare", Bearer realm="asgi-compare"'


class HandshakeRefused(ApiError):
    """A WebSocket handshake the contract refuses: on a path with no WebSocket route, or
    without the API key. Answered before it is accepted, as HTTP 403 (the ASGI spec's answer
    to a ``websocket.close`` before ``websocket.accept``)."""

    detail = "WebSocket refused"


class StoreUnavailable(ApiError):
    """The database holding items and the fit does not answer; nothing was changed that the
    client was told of. ``Retry-After`` says when to try again."""

    detail = "The database is not available; try again shortly"
    retry_after = 5  # seconds: a restarted server is usually back by then


class TrailingSlash(ApiError):
    """A known path asked for with a trailing slash: 307 to it without, query kept.

    ``location`` is relative to the app, like every Location a handler writes; the contract adds
    the prefix to all of them in one place.
    """

    detail = "Temporary Redirect"

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location


class MethodNotAllowed(ApiError):
    detail = "Method Not Allowed"

    def __init__(self, allowed: Sequence[str]) -> None:
        super().__init__()
        self.allowed = tuple(allowed)


class RequestInvalid(ApiError):
    """Validation failed; ``detail`` is a list of FastAPI-shaped error objects."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)


# The single table: error type -> status. The most specific class listed wins.
_STATUS: dict[type[ApiError], int] = {
    TrailingSlash: 307,
    BadRequest: 400,
    Unauthorized: 401,
    HandshakeRefused: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    TooLarge: 413,
    RequestInvalid: 422,
    StoreUnavailable: 503,
}


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, allow_nan=False).encode()


def _status_of(exc: ApiError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


_SERVER_ERROR = ErrorResponse(500, {"detail": "Internal Server Error"})


def error_response(exc: BaseException) -> ErrorResponse:
    """Status, body and headers for any exception; anything unexpected is a bare 500.

    Only :func:`server_error` should answer an unexpected one: it also logs it.
    """
    if not isinstance(exc, ApiError):
        return _SERVER_ERROR
    headers = {}
    if isinstance(exc, MethodNotAllowed):
        headers["Allow"] = ", ".join(exc.allowed)
    elif isinstance(exc, TrailingSlash):
        headers["Location"] = exc.location
    elif isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = exc.challenge
    elif isinstance(exc, StoreUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    return ErrorResponse(_status_of(exc), {"detail": exc.detail}, headers)


def http_error(
    status: int,
    title: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    exc: BaseException | None = None,
) -> ErrorResponse:
    """An HTTP error a framework raised itself (Falcon's ``HTTPError``, Werkzeug's
    ``HTTPException``, Sanic's ``SanicException``, Starlette's ``HTTPException``), in the
    contract's shape: its status and title as ``detail``; any 5xx is the bare 500 body, and
    ``exc``, the framework's error, leaves one log record with its traceback, as every 500
    does (Sanic's own "Handler produced no response" is a ``ServerError``)."""
    if status >= 500:
        logger.error("the framework answered %d: %s", status, title, exc_info=exc)
        return ErrorResponse(status, _SERVER_ERROR.body)
    return ErrorResponse(status, {"detail": title}, dict(headers or {}))


def server_error(exc: BaseException, method: str, path: str) -> ErrorResponse:
    """The one answer to an unexpected exception: one log record with its traceback, and 500.

    Called by the contract's ASGI middleware, and on Sanic's own server by its error handler,
    which sees every exception first; adapters let any other exception through to them.
    """
    logger.error("unhandled error in %s %s", method, path, exc_info=exc)
    return _SERVER_ERROR
