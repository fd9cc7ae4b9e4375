"""The path prefix an app is served under, for any ASGI app: :class:`PrefixMiddleware`.

Servers disagree on what ASGI's ``root_path`` means for ``path``: uvicorn >= 0.26 puts the
prefix into ``path`` ("/px/items"), hypercorn leaves it out ("/items"). Frameworks disagree too:
Starlette and Quart want the prefix in ``path`` (Quart 404s without it); Falcon and Sanic route
on ``path`` as it is and 404 when it holds the prefix. No server or framework reads
``X-Forwarded-Prefix``. The prefix is, in this order: the app's setting
(``ASGI_COMPARE_ROOT_PATH``); the scope's ``root_path``, in either form, which only a server
told one (``--root-path``) or a mount sends; a trusted peer's ``X-Forwarded-Prefix``. A prefix
the operator configured is never overridden by a request header: most proxies pass a
client's ``X-Forwarded-Prefix`` on untouched when they do not set one themselves.
The app gets the path in the form it routes on, and a path-only ``Location`` it answers with
gets the prefix (handlers write them relative to the app, as FastAPI's ``RedirectResponse``
and the others' redirects do), unless the proxy adds it to redirects itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.head import ASGIApp, Message, Receive, RequestHead, Scope, Send, nearest
from core.settings import normalise_prefix
from core.trust import TrustedPeers

__all__ = [
    "REDIRECTS",
    "Prefix",
    "PrefixMiddleware",
    "location_root",
    "prefix_locations",
    "prefixed",
    "strip_root",
    "with_prefix",
]

Header = tuple[bytes, bytes]
_SAFE_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$")


# The statuses whose path-only Location jupyter-server-proxy prefixes itself (below).
REDIRECTS = frozenset((301, 302, 303, 307, 308))
# What jupyter-server-proxy sends, each set to its context path ("/user/NAME/proxy/8000"),
# exactly when it also prefixes the path-only Location of a redirect on its way back: both
# happen only without --absolute-url (jupyter_server_proxy/handlers.py 4.6: l. 354-361 set the
# headers, l. 604-612 call _rewrite_location_header, l. 279-316). Were the app to add the
# prefix too, "GET /prefix/" would answer "307 /prefix/prefix/docs". No other proxy the suite
# runs sends X-ProxyContextPath or X-Forwarded-Context, and one that rewrites nothing (nginx
# setting X-Forwarded-Prefix) then gets the prefix from the app, as before. Believed only from
# a trusted peer, like X-Forwarded-*: a proxy that passes a client's on must clear them too.
_REWRITER_HEADERS = (b"x-proxycontextpath", b"x-forwarded-context")


class Prefix:
    """Decides the prefix of a request; ``root_path`` is a configured one ("" for none)."""

    def __init__(self, root_path: str = "", trusted: TrustedPeers | None = None) -> None:
        self.root_path = normalise_prefix(root_path)
        self.trusted = TrustedPeers() if trusted is None else trusted

    def of(self, head: RequestHead) -> str:
        configured = self.root_path or normalise_prefix(head.root_path)
        if configured:
            return configured
        sent = head.forwarded.get("prefix")
        if sent is not None and self.trusted.trusts(head.peer):
            prefix = normalise_prefix(nearest(sent))
            if _SAFE_PREFIX.match(prefix):
                return prefix
        return ""

    def proxy_prefixes_redirects(self, head: RequestHead) -> bool:
        """Whether the peer is a proxy that puts the prefix on a redirect's path-only
        ``Location`` itself: jupyter-server-proxy, told apart by the three headers it sets
        together to one value (``X-Forwarded-Prefix`` with them)."""
        sent = head.forwarded.get("prefix")
        if sent is None or not self.trusted.trusts(head.peer):
            return False
        context = normalise_prefix(nearest(sent))
        values = [head.header(name) for name in _REWRITER_HEADERS]
        return all(v is not None and normalise_prefix(v) == context for v in values)


def location_root(status: int, root: str, proxy_prefixes_redirects: bool) -> str:
    """The prefix a path-only ``Location`` in a ``status`` answer gets."""
    return "" if proxy_prefixes_redirects and status in REDIRECTS else root


def strip_root(path: str, root: str) -> str:
    """The path below ``root``, whether or not the server left ``root`` in it."""
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def with_prefix(scope: Scope, root: str, route_path: str, path_includes_root: bool) -> Scope:
    """A copy of ``scope`` with ``root_path`` = ``root`` and the path in the form asked for."""
    inner = dict(scope)
    inner["root_path"] = root
    inner["path"] = root + route_path if path_includes_root else route_path
    raw = scope.get("raw_path")
    if raw is not None:
        raw_route = strip_root(raw.decode("latin-1"), root)
        raw_route = root + raw_route if path_includes_root else raw_route
        inner["raw_path"] = raw_route.encode("latin-1")
    return inner


def prefixed(location: str, root: str) -> str:
    """A path-only Location gets the prefix; absolute and protocol-relative ones do not."""
    if root and location.startswith("/") and not location.startswith("//"):
        return root + location
    return location


def prefix_locations(headers: Iterable[tuple[bytes, bytes]], root: str) -> list[Header]:
    return [(k, _prefixed(v, root) if k.lower() == b"location" else v) for k, v in headers]


def _prefixed(location: bytes, root: str) -> bytes:
    return prefixed(location.decode("latin-1"), root).encode("latin-1")


class PrefixMiddleware:
    """The prefix part of the contract around any ASGI app, configured as the settings are:
    ``root_path`` (``ASGI_COMPARE_ROOT_PATH``), ``forwarded_allow_ips``
    (``ASGI_COMPARE_FORWARDED_ALLOW_IPS``), and ``path_includes_root``, the path form the app
    routes on (True for Starlette, FastAPI, Quart; False for Falcon, Sanic)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        root_path: str = "",
        forwarded_allow_ips: Iterable[str] = ("127.0.0.1",),
        path_includes_root: bool = True,
    ) -> None:
        self.app = app
        self.prefix = Prefix(root_path, TrustedPeers(forwarded_allow_ips))
        self.path_includes_root = path_includes_root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._no_prefix(scope):
            await self.app(scope, receive, send)
            return
        head = RequestHead.from_scope(scope)
        root = self.prefix.of(head)
        inner = with_prefix(scope, root, strip_root(head.path, root), self.path_includes_root)
        if not root:
            await self.app(inner, receive, send)
            return
        rewrites = self.prefix.proxy_prefixes_redirects(head)

        async def send_prefixed(message: Message) -> None:
            if message["type"] == "http.response.start":
                at = location_root(message["status"], root, rewrites)
                message["headers"] = prefix_locations(message.get("headers", ()), at)
            await send(message)

        await self.app(inner, receive, send_prefixed)

    def _no_prefix(self, scope: Scope) -> bool:
        """A request with no prefix to find (none configured, no ``root_path``, no
        ``X-Forwarded-Prefix``), which the app gets as it came: the common case, checked
        without building its head: around a bare ASGI app, 0.5 to 0.7 us a request against 2.5
        to 3.1 when the head was built for every request."""
        if self.prefix.root_path or scope.get("root_path"):
            return False
        for name, _ in scope.get("headers", ()):
            if len(name) == 18 and name.lower() == b"x-forwarded-prefix":
                return False
        return True
