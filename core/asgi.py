"""The contract's request-level rules, decided once, and the ASGI middleware that applies them.

Servers disagree on what ASGI's ``root_path`` means for ``path``: uvicorn >= 0.26 puts the
prefix into ``path`` ("/px/items"), hypercorn leaves it out ("/items"). Frameworks disagree too:
Starlette and Quart want the prefix in ``path`` (Quart 404s without it); Falcon and Sanic route
on ``path`` as it is and 404 when it holds the prefix. No server or framework reads
``X-Forwarded-Prefix``. :class:`Contract` decides, for any request, the prefix (from settings,
a trusted proxy's ``X-Forwarded-Prefix``, or the scope), the path the framework routes on, and
the answers the contract gives before any handler runs: 404 for an unknown path, 405 with a
full ``Allow``, 307 for a trailing slash (prefix kept), HEAD served as GET. Handlers write
``Location`` relative to the app ("/items/3"); :meth:`Contract.location` adds the prefix, since
FastAPI's ``RedirectResponse("/docs")`` and the others' redirects drop it.

:class:`ContractMiddleware` applies it to every adapter served over ASGI. Sanic's own server
runs no ASGI middleware; ``sanic_app`` applies the same :class:`Contract` through Sanic's hooks.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from core.errors import ApiError, MethodNotAllowed, RouteNotFound, TrailingSlash, error_response
from core.routes import ROUTES, RouteTable
from core.settings import Settings, normalise_prefix

__all__ = [
    "ASGIApp",
    "Contract",
    "ContractMiddleware",
    "Message",
    "Receive",
    "Resolution",
    "Scope",
    "Send",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("asgi_compare")

_SAFE_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")


@functools.lru_cache(maxsize=4096)
def _trusts(
    peer: str, anyone: bool, nets: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    if anyone:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in net for net in nets)


def _strip_root(path: str, root: str) -> str:
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the contract makes of one request before any framework sees it."""

    root: str  # the prefix the app is served under, "" for none
    route_path: str  # the path below the prefix
    method: str  # the method to route on: GET for HEAD
    answer: ApiError | None = None  # answer this instead of calling the framework
    scheme: str | None = None  # from a trusted X-Forwarded-Proto
    client: str | None = None  # from a trusted X-Forwarded-For
    host: str | None = None  # from a trusted X-Forwarded-Host


class Contract:
    def __init__(self, settings: Settings, routes: RouteTable = ROUTES) -> None:
        self.settings = settings
        self.routes = routes

    @cached_property
    def _trusted(self) -> tuple[bool, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
        allow = self.settings.forwarded_allow_ips
        nets = []
        for entry in allow:
            if entry != "*":
                try:
                    nets.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    logger.warning("ignoring forwarded-allow entry %r: not an IP or network", entry)
        return "*" in allow, tuple(nets)

    def trusts(self, peer: str | None) -> bool:
        return _trusts(peer or "", *self._trusted)

    def resolve(
        self,
        method: str,
        path: str,
        query_string: bytes,
        scope_root: str,
        headers: Iterable[tuple[bytes, bytes]],
        peer: str | None,
    ) -> Resolution:
        # Most requests carry no X-Forwarded-*: the peer's address is only looked at when one does.
        forwarded = self._forwarded(headers)
        if forwarded and not self.trusts(peer):
            forwarded = {}
        root = self.settings.root_path or forwarded.get("prefix") or normalise_prefix(scope_root)
        route_path = _strip_root(path, root)
        as_method = "GET" if method == "HEAD" else method
        answer = self._answer(as_method, route_path, root, query_string)
        if answer is not None:
            return Resolution(root, route_path, as_method, answer)
        return Resolution(
            root,
            route_path,
            as_method,
            scheme=forwarded.get("proto"),
            client=forwarded.get("for"),
            host=forwarded.get("host"),
        )

    def location(self, value: str, root: str) -> str:
        """A path-only Location gets the prefix; absolute and protocol-relative ones do not."""
        if root and value.startswith("/") and not value.startswith("//"):
            return root + value
        return value

    def _answer(
        self, method: str, route_path: str, root: str, query_string: bytes
    ) -> ApiError | None:
        if route_path != "/" and route_path.endswith("/"):
            bare = route_path.rstrip("/")
            if bare and self.routes.methods(bare) is not None:
                query = query_string.decode("latin-1")
                return TrailingSlash(bare + (f"?{query}" if query else ""))  # prefixed later
        allowed = self.routes.methods(route_path)
        if allowed is None:
            return RouteNotFound()
        if method not in allowed:
            return MethodNotAllowed(allowed)
        return None

    def _forwarded(self, headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, raw in headers:
            if name[:12].lower() != b"x-forwarded-":
                continue
            key = name.lower()
            value = raw.decode("latin-1").strip()
            if key == b"x-forwarded-prefix":
                prefix = normalise_prefix(value)
                if _SAFE_PREFIX.match(prefix):
                    found["prefix"] = prefix
            elif key == b"x-forwarded-proto" and value in ("http", "https"):
                found["proto"] = value
            elif key == b"x-forwarded-host" and value:
                found["host"] = value
            elif key == b"x-forwarded-for" and value:
                found["for"] = self._client_of(value)
        return found

    def _client_of(self, chain: str) -> str:
        """The nearest address in the chain that is not a trusted proxy (uvicorn's rule)."""
        hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else ""


class ContractMiddleware:
    """Applies :class:`Contract` around an ASGI app; ``path_includes_root`` is the form the
    wrapped framework routes on."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings | None = None,
        *,
        path_includes_root: bool = True,
        routes: RouteTable = ROUTES,
    ) -> None:
        self.app = app
        self.contract = Contract(settings or Settings(), routes)
        self.path_includes_root = path_includes_root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        method = scope["method"]
        r = self.contract.resolve(
            method,
            scope["path"],
            scope.get("query_string", b""),
            scope.get("root_path", ""),
            scope.get("headers", ()),
            client[0] if client else None,
        )
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if r.root:
                    message["headers"] = [
                        (k, self._location(v, r.root) if k.lower() == b"location" else v)
                        for k, v in message.get("headers", [])
                    ]
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        if r.answer is not None:
            await _send_error(send_wrapper, r.answer)
            return

        inner = dict(scope)
        inner["root_path"] = r.root
        inner["path"] = r.root + r.route_path if self.path_includes_root else r.route_path
        inner["method"] = r.method
        raw = scope.get("raw_path")
        if raw is not None:
            raw_route = _strip_root(raw.decode("latin-1"), r.root)
            inner["raw_path"] = (
                (r.root + raw_route) if self.path_includes_root else raw_route
            ).encode("latin-1")
        if r.scheme:
            inner["scheme"] = r.scheme
        if r.client:
            inner["client"] = (r.client, 0)
        if r.host:
            inner["headers"] = [
                (k, r.host.encode("latin-1") if k == b"host" else v) for k, v in scope["headers"]
            ]
        try:
            await self.app(inner, receive, send_wrapper)
        except Exception as exc:
            if started:
                raise
            if not isinstance(exc, ApiError):
                logger.exception("unhandled error in %s %s", method, r.route_path)
            await _send_error(send_wrapper, exc)

    def _location(self, value: bytes, root: str) -> bytes:
        return self.contract.location(value.decode("latin-1"), root).encode("latin-1")


async def _send_error(send: Send, exc: BaseException) -> None:
    answer = error_response(exc)
    body = answer.json_bytes()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers.items()),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
