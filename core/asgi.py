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

With ``ASGI_COMPARE_API_KEY`` set, the contract also answers 401 to any request outside the docs
that lacks the key, before routing, so that unknown paths reveal nothing.

:class:`ContractMiddleware` applies it to every adapter served over ASGI, and reads request
bodies up to ``ASGI_COMPARE_MAX_BODY_BYTES``, refusing longer ones with 413. Sanic's own server
runs no ASGI middleware; ``sanic_app`` applies the same :class:`Contract` through Sanic's hooks,
and the same limit through its request class.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    Awaitable,
    Callable,
    Iterable,
    MutableMapping,
)
from contextlib import aclosing
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from core.errors import (
    ApiError,
    BodyTooLarge,
    MethodNotAllowed,
    RouteNotFound,
    TrailingSlash,
    Unauthorized,
    error_response,
)
from core.routes import ROUTES, RouteTable
from core.settings import Settings, normalise_prefix

__all__ = [
    "DRAIN_BYTES",
    "ASGIApp",
    "Contract",
    "ContractMiddleware",
    "Message",
    "Receive",
    "Resolution",
    "Scope",
    "Send",
    "read_body",
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


# What a client may load without the API key: the redirect to the docs, the docs page, its
# files and the OpenAPI document it renders.
_OPEN_PATHS = frozenset(("/", "/docs", "/openapi.json"))
_OPEN_PREFIX = "/docs/static/"
_KEY_SCHEMES = ("key", "bearer")  # Posit Connect's "Key <key>", and the usual "Bearer <key>"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest()


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
        forwarded, credentials = self._scan(headers)
        if forwarded and not self.trusts(peer):
            forwarded = {}
        root = self.settings.root_path or forwarded.get("prefix") or normalise_prefix(scope_root)
        route_path = _strip_root(path, root)
        as_method = "GET" if method == "HEAD" else method
        answer: ApiError | None
        if self._key is not None and not self._open(route_path) and not self._admits(credentials):
            answer = Unauthorized()
        else:
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

    @cached_property
    def _key(self) -> bytes | None:
        key = self.settings.api_key
        return None if key is None else _digest(key)

    @staticmethod
    def _open(route_path: str) -> bool:
        path = route_path.rstrip("/") or "/"
        return path in _OPEN_PATHS or route_path.startswith(_OPEN_PREFIX)

    def _admits(self, credentials: str | None) -> bool:
        """``Key <key>`` or ``Bearer <key>``, compared in constant time (as digests)."""
        assert self._key is not None
        scheme, _, token = (credentials or "").strip().partition(" ")
        if scheme.lower() not in _KEY_SCHEMES:
            token = ""  # still compared, so that a wrong scheme takes as long as a wrong key
        return hmac.compare_digest(_digest(token.strip()), self._key)

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

    def _scan(self, headers: Iterable[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None]:
        """One pass over the headers: X-Forwarded-*, and Authorization when a key is set."""
        found: dict[str, str] = {}
        credentials = None
        wants_key = self.settings.api_key is not None
        for name, raw in headers:
            if name[:12].lower() != b"x-forwarded-":
                if wants_key and name.lower() == b"authorization":
                    credentials = raw.decode("latin-1")
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
        return found, credentials

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
        self.max_body_bytes = self.contract.settings.max_body_bytes

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

        if method not in _BODYLESS:
            try:
                receive = await _limited(receive, scope["headers"], self.max_body_bytes)
            except BodyTooLarge as exc:
                await _send_error(send_wrapper, exc)
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


_BODYLESS = frozenset(("GET", "HEAD", "OPTIONS"))  # no route here reads a body for these
# A body over the limit is still read, and thrown away, up to this many bytes before the 413 is
# sent: a server that closes a connection with unread bytes makes the kernel reset it, and a
# client (or nginx) still sending then loses the answer (a ReadError, or nginx's 502). Past
# this, the server closes the connection, as nginx does after its own lingering close.
DRAIN_BYTES = 64 * 1024 * 1024


async def read_body(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """A request body, as its chunks arrive, refused with :class:`BodyTooLarge` past ``limit``.

    Nothing past ``limit`` bytes is kept. A longer body is read on and thrown away, up to
    ``DRAIN_BYTES`` more, before the refusal, so that its answer reaches a client still sending.
    Used over ASGI by :class:`ContractMiddleware`, and by ``sanic_app`` on Sanic's own server.
    """
    kept: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size <= limit:
            kept.append(chunk)
        elif size > limit + DRAIN_BYTES:
            break
    if size > limit:
        raise BodyTooLarge(limit)
    return b"".join(kept)


async def _limited(receive: Receive, headers: Iterable[tuple[bytes, bytes]], limit: int) -> Receive:
    """``receive`` with the body read up front by :func:`read_body`, handed on as one message."""
    for name, value in headers:
        if name.lower() == b"content-length":
            if value.strip() == b"0":
                return receive  # nothing to read: leave the server's messages alone
            break
    gone: Message | None = None  # the client went away mid-body: passed on as it came

    async def chunks() -> AsyncGenerator[bytes, None]:
        nonlocal gone
        while True:
            message = await receive()
            if message["type"] != "http.request":
                gone = message
                return
            yield message.get("body", b"")
            if not message.get("more_body", False):
                return

    async with aclosing(chunks()) as body_chunks:
        body = await read_body(body_chunks, limit)
    first = gone or {"type": "http.request", "body": body, "more_body": False}
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()  # after the body: the server's http.disconnect
        replayed = True
        return first

    return replay


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
