"""The one ASGI middleware wrapped around every adapter: prefixes, routing edges, HEAD, 500s.

Servers disagree on what ASGI's ``root_path`` means for ``path``: uvicorn >= 0.26 puts the
prefix into ``path`` ("/px/items"), hypercorn leaves it out ("/items"). Frameworks disagree too:
Starlette and Quart want the prefix in ``path``; Falcon and Sanic route on ``path`` as it is and
404 when it holds the prefix. This middleware accepts either form, or a prefix from settings
(for servers that cannot send one), and hands the framework the form it routes on. It also
answers the contract's routing edges the same way for all four frameworks, from one route table:
unknown path (404), wrong method (405 with a full ``Allow``), a trailing slash (307 keeping the
prefix), HEAD on a GET route; and it prefixes path-only ``Location`` headers with the root path,
so handlers never need to know it (FastAPI's ``RedirectResponse("/docs")`` drops it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from core.errors import ApiError, MethodNotAllowed, RouteNotFound, error_response
from core.routes import ROUTES, RouteTable

__all__ = ["ASGIApp", "ContractMiddleware", "Message", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("asgi_compare")


def _strip_root(path: str, root: str) -> str:
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


class ContractMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        root_path: str = "",
        path_includes_root: bool = True,
        routes: RouteTable = ROUTES,
    ) -> None:
        self.app = app
        self.root_path = root_path.rstrip("/")
        self.path_includes_root = path_includes_root
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root = self.root_path or scope.get("root_path", "").rstrip("/")
        route_path = _strip_root(scope["path"], root)
        method = scope["method"]

        if route_path != "/" and route_path.endswith("/"):
            bare = route_path.rstrip("/")
            if bare and self.routes.methods(bare) is not None:
                query = scope.get("query_string", b"").decode("latin-1")
                await _redirect(send, root + bare + (f"?{query}" if query else ""))
                return
        allowed = self.routes.methods(route_path)
        if allowed is None:
            await _send_error(send, RouteNotFound())
            return
        as_method = "GET" if method == "HEAD" else method
        if as_method not in allowed:
            await _send_error(send, MethodNotAllowed(allowed))
            return

        inner = dict(scope)
        inner["root_path"] = root
        inner["path"] = root + route_path if self.path_includes_root else route_path
        inner["method"] = as_method
        raw = scope.get("raw_path")
        if raw is not None:
            raw_route = _strip_root(raw.decode("latin-1"), root)
            inner["raw_path"] = (
                (root + raw_route) if self.path_includes_root else raw_route
            ).encode("latin-1")

        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if root:
                    message["headers"] = [
                        (k, _prefixed(v, root) if k.lower() == b"location" else v)
                        for k, v in message.get("headers", [])
                    ]
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(inner, receive, send_wrapper)
        except Exception as exc:
            if started:
                raise
            if not isinstance(exc, ApiError):
                logger.exception("unhandled error in %s %s", method, route_path)
            await _send_error(send, exc)


def _prefixed(location: bytes, root: str) -> bytes:
    """A path-only Location gets the root path; absolute and protocol-relative ones do not."""
    if location.startswith(b"/") and not location.startswith(b"//"):
        return root.encode("latin-1") + location
    return location


async def _redirect(send: Send, location: str) -> None:
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 307, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _send_error(send: Send, exc: BaseException) -> None:
    answer = error_response(exc)
    body = answer.json_bytes()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in answer.headers.items()),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
