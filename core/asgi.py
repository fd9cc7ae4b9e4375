"""The contract's request-level rules, composed once, and the ASGI middleware every adapter
served over ASGI sits behind.

Each rule is a small named piece, reading one :class:`~core.head.RequestHead`:

- :class:`~core.prefix.Prefix`: the prefix (configured, the scope's ``root_path``, or a trusted
  ``X-Forwarded-Prefix``), the path in the form the framework routes on, and the prefix on
  path-only ``Location`` headers;
- :class:`~core.forwarded.Forwarded`: a trusted peer's scheme, host and client;
- :class:`~core.apikey.ApiKey`: with ``ASGI_COMPARE_API_KEY`` set, 401 without it;
- :class:`~core.route_answers.RouteAnswers`: 404, 405, 307 for a trailing slash, HEAD as GET;
- :meth:`Contract.decide_handshake`: a WebSocket handshake refused (403) on a path with no
  WebSocket route (:data:`~core.routes.WEBSOCKET_PATHS`) or without the key;
- :mod:`core.body`: the body limit, 413 while reading; :mod:`core.offload`: a large /fit body
  read and fitted in a worker process;
- :func:`~core.errors.server_error`: one log record and the bare 500, for anything unexpected.

:class:`Contract` decides a request with them. Over ASGI, :class:`ContractMiddleware` is a
stack of one-concern layers, as Starlette composes its middlewares: the answer of last resort
(the 500, HEAD's empty body) outermost, then :class:`~core.prefix.PrefixMiddleware` (the very
middleware the proxy report tells users to apply to their own apps), then
:class:`ContractRules`, the rest of the decision, below the prefix. Sanic's own server runs no
ASGI middleware; ``sanic_app.contract`` applies the same :class:`Contract`, prefix included,
to Sanic's request.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, NamedTuple

from core.apikey import ApiKey
from core.body import BODYLESS, DRAIN_BYTES, limited, read_body
from core.errors import (
    ApiError,
    BodyTooLarge,
    ErrorResponse,
    HandshakeRefused,
    error_response,
    server_error,
)
from core.forwarded import Forwarded, ForwardedFacts
from core.head import ASGIApp, Message, Receive, RequestHead, Scope, Send, forwards
from core.prefix import Prefix, PrefixMiddleware, strip_root
from core.route_answers import RouteAnswers
from core.routes import ROUTES, WEBSOCKET_PATHS, RouteTable
from core.settings import Settings
from core.trust import TrustedPeers

if TYPE_CHECKING:  # core.offload brings the stores and the model: only for an app that has them
    from core.offload import FitPool

__all__ = [
    "DRAIN_BYTES",
    "ASGIApp",
    "Contract",
    "ContractMiddleware",
    "ContractRules",
    "Decision",
    "Message",
    "PrefixMiddleware",
    "Receive",
    "RequestHead",
    "Scope",
    "Send",
    "read_body",
    "send_error",
]


class Decision(NamedTuple):  # a NamedTuple for the reason RequestHead is one (core/head.py)
    """What the contract makes of one request before any framework sees it."""

    root: str  # the prefix the app is served under, "" for none
    route_path: str  # the path below the prefix
    method: str  # the method to route on: GET for HEAD
    answer: ApiError | None = None  # answer this instead of calling the framework
    forwarded: ForwardedFacts | None = None  # a trusted peer's scheme, host and client
    # The proxy puts the prefix on a redirect's path-only Location itself (core/prefix.py).
    proxy_prefixes_redirects: bool = False


# Bodyless methods answered as they came: HEAD is routed as GET and sent without a body.
_PASSING_METHODS = BODYLESS - {"HEAD"}


class Contract:
    def __init__(self, settings: Settings, routes: RouteTable = ROUTES) -> None:
        self.settings = settings
        trusted = TrustedPeers(settings.forwarded_allow_ips)
        self.prefix = Prefix(settings.root_path, trusted)
        self.forwarded = Forwarded(trusted)
        self.key = None if settings.api_key is None else ApiKey(settings.api_key)
        self.answers = RouteAnswers(routes)
        # No key to ask for and no prefix configured: what lets a request pass, settled once.
        self._quiet = self.key is None and not self.prefix.root_path
        # The static routes a request may pass on (GET /hello): one set lookup settles the
        # route part of leaves_alone() for them; a path with a parameter asks routed().
        self._passing = frozenset(
            (method, path)
            for method, path in self.answers.static_routed
            if self._quiet and method in _PASSING_METHODS
        )

    def passes(self, scope: Scope) -> bool:
        """Whether the middleware may hand this request on exactly as it came: what
        :meth:`leaves_alone` says, with an ASCII query and an HTTP version every framework
        reads. Most requests are. It runs on every request: a static route's request is
        settled by one set lookup, the scope's root path and one pass over the header names;
        any other asks :meth:`leaves_alone`; then the version and the query."""
        if (scope.get("method"), scope["path"]) in self._passing:
            # leaves_alone() for a static route, without its calls: the common case
            if scope.get("root_path") != "" or forwards(scope.get("headers", ())):
                return False
        elif not self.leaves_alone(
            scope.get("method", ""),
            scope["path"],
            scope.get("root_path"),
            forwards(scope.get("headers", ())),
        ):
            return False
        return scope.get("http_version") != "1" and scope.get("query_string", b"").isascii()

    def leaves_alone(self, method: str, path: str, root_path: str | None, forwarded: bool) -> bool:
        """Whether :meth:`decide` would change nothing: a routed GET with no prefix
        (configured, ``root_path`` or forwarded), no ``X-Forwarded-*`` header and no key."""
        return (
            self._quiet
            and root_path == ""
            and not forwarded
            and method in _PASSING_METHODS
            and self.answers.routed(method, path)
        )

    def decide(self, head: RequestHead, root: str | None = None) -> Decision:
        """The decision on one request. ``root`` is the prefix when a layer in front has
        decided it (over ASGI, :class:`~core.prefix.PrefixMiddleware`, into the scope's
        ``root_path``); None decides it here, from the head (Sanic's own server)."""
        decided = root is not None
        root = self.prefix.of(head) if root is None else root
        route_path = strip_root(head.path, root)
        method = RouteAnswers.method(head.method)
        answer: ApiError | None = None if self.key is None else self.key.refuses(head, route_path)
        if answer is None:
            answer = self.answers.answer(method, route_path, head.query_string)
        rewrites = bool(root) and not decided and self.prefix.proxy_prefixes_redirects(head)
        if answer is not None:
            return Decision(root, route_path, method, answer, proxy_prefixes_redirects=rewrites)
        return Decision(root, route_path, method, None, self.forwarded.of(head), rewrites)

    def decide_handshake(self, head: RequestHead, root: str | None = None) -> Decision:
        """The decision on a WebSocket handshake (``root`` as for :meth:`decide`): the same
        prefix, key and trust, and a refusal (403, before it is accepted) on a path with no
        WebSocket route: an HTTP path's, a client's on the wrong path, a scanner's."""
        root = self.prefix.of(head) if root is None else root
        route_path = strip_root(head.path, root)
        refused = route_path not in WEBSOCKET_PATHS or (
            self.key is not None and self.key.refuses(head, route_path) is not None
        )
        if refused:
            return Decision(root, route_path, "GET", HandshakeRefused())
        return Decision(root, route_path, "GET", None, self.forwarded.of(head))


class ContractMiddleware:
    """The contract around an ASGI app; ``path_includes_root`` is the form the wrapped framework
    routes on, and ``fit_pool`` takes /fit's large bodies (``core.offload``; None: none).

    It is the outermost layer, so an unexpected error that reaches it is logged once and
    answered with the bare 500; a HEAD answer leaves it without a body. Inside it,
    :class:`~core.prefix.PrefixMiddleware` and then :class:`ContractRules` do the rest. A
    request that no layer would change (:meth:`Contract.passes`) goes to the app directly."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings | None = None,
        *,
        path_includes_root: bool = True,
        routes: RouteTable = ROUTES,
        fit_pool: FitPool | None = None,
    ) -> None:
        settings = settings or Settings()
        self.app = app
        self.contract = Contract(settings, routes)
        self.stack = PrefixMiddleware(
            ContractRules(app, self.contract, fit_pool),
            root_path=settings.root_path,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            path_includes_root=path_includes_root,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "asgi" not in scope:
            # Whoever calls app(scope, receive, send) speaks ASGI 3 (an ASGI 2 app is called as
            # app(scope) first). httpx's ASGITransport and asgi-lifespan leave "asgi" out, and
            # Falcon then takes the spec's default, 2.0, and fails the lifespan startup
            # ("Falcon requires ASGI version 3.x": falcon/asgi/app.py, App.__call__ and
            # App._call_lifespan_handlers, Falcon 4.4).
            scope["asgi"] = {"version": "3.0"}
        if scope["type"] == "websocket":
            await self.stack(scope, receive, send)  # the prefix, then the handshake's rules
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Most requests pass: they skip the head, the decision and the copy of the scope
        # (measured in-process, 3.5 of Falcon's 11.5 us on GET /hello; then 1.7).
        app = self.app if self.contract.passes(scope) else self.stack
        method = scope["method"]
        bodyless = method == "HEAD"
        started = False

        # A plain function handing on send's own awaitable, not a coroutine of its own: a
        # message costs one call, not a call and a coroutine to create and run.
        def send_answer(message: Message) -> Awaitable[None]:
            nonlocal started
            started = True  # the first message starts the response: too late for a 500
            if bodyless and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            return send(message)

        try:
            await app(scope, receive, send_answer)
        except Exception as exc:
            if started:
                raise  # too late for a 500: the server logs it and drops the connection
            await answer_error(exc, send_answer, method, scope["path"])


class ContractRules:
    """The contract below the prefix, which :class:`~core.prefix.PrefixMiddleware` in front
    has put in the scope's ``root_path``: the key, the route table's answers, the body limit,
    /fit's large bodies, a trusted peer's scheme, host and client, HEAD routed as GET, and a
    scope every framework reads."""

    def __init__(self, app: ASGIApp, contract: Contract, fit_pool: FitPool | None = None) -> None:
        self.app = app
        self.contract = contract
        self.fit_pool = fit_pool
        self.max_body_bytes = contract.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._handshake(scope, receive, send)
            return
        head = RequestHead.from_scope(scope)
        d = self.contract.decide(head, head.root_path)
        if d.answer is not None:
            await send_error(send, error_response(d.answer))
            return
        if head.method not in BODYLESS:
            try:
                body, receive = await limited(receive, head.headers, self.max_body_bytes)
            except BodyTooLarge as exc:
                await send_error(send, error_response(exc))
                return
            pool = self.fit_pool
            if body is not None and pool is not None and pool.offloads(d.method, d.route_path):
                if pool.takes(body):  # before the framework decodes it, holding up the loop
                    await self._fit(pool, body, head, send)
                    return
        inner = dict(scope)
        inner["method"] = d.method
        query = scope.get("query_string", b"")
        if not query.isascii():
            # Bytes past ASCII, sent unencoded: Quart (werkzeug's URL map), Falcon and Sanic
            # answer them with a 500, Starlette reads them as latin-1 ("é" as "Ã©").
            # Percent-encoded, every framework reads them as a query from a browser: UTF-8.
            inner["query_string"] = _NON_ASCII.sub(lambda m: b"%%%02X" % m[0][0], query)
        if scope.get("http_version") == "1":
            # granian 2.8 says "1" for HTTP/1.0 (nginx's default to its upstream, curl
            # --http1.0); ASGI says "1.0", and Falcon answers anything else with a 500
            # (falcon/asgi/_asgi_helpers.py _validate_asgi_scope, Falcon 4).
            inner["http_version"] = "1.0"
        if d.forwarded is not None:
            Forwarded.apply(inner, d.forwarded)
        await self.app(inner, receive, send)

    async def _handshake(self, scope: Scope, receive: Receive, send: Send) -> None:
        head = RequestHead.from_scope(scope)
        d = self.contract.decide_handshake(head, head.root_path)
        if d.answer is not None:
            await refuse_handshake(scope, receive, send, error_response(d.answer))
            return
        inner = dict(scope)
        if d.forwarded is not None:
            Forwarded.apply(inner, d.forwarded)
        # A WebSocket's scheme is ws or wss (the ASGI spec): wss where a trusted proxy says
        # https, and ws, not http, from a client that says http (httpx-ws's ASGI transport,
        # 0.9): Quart routes a WebSocket by it (werkzeug matches its routes on ws and wss).
        scheme = inner.get("scheme", "ws")
        inner["scheme"] = _WEBSOCKET_SCHEMES.get(scheme, scheme)
        await self.app(inner, receive, send)

    @staticmethod
    async def _fit(pool: FitPool, body: bytes, head: RequestHead, send: Send) -> None:
        """/fit of a large body, answered as the adapters answer it: the coefficients, or the
        error the framework's own validation would have raised, through core's table."""
        try:
            coefs = await pool.fit(body, head.header(b"content-type"))
        except ApiError as exc:
            await send_error(send, error_response(exc))
            return
        data = coefs.model_dump_json().encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": data})


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_WEBSOCKET_SCHEMES = {"http": "ws", "https": "wss"}


async def send_error(send: Send, answer: ErrorResponse) -> None:
    body = answer.json_bytes()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers.items()),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def refuse_handshake(
    scope: Scope, receive: Receive, send: Send, answer: ErrorResponse
) -> None:
    """Refuse a WebSocket handshake before it is accepted: with the contract's JSON answer
    where the server takes one (the ASGI ``websocket.http.response`` extension: uvicorn,
    hypercorn and granian do), else by closing, which a server answers with a bare HTTP 403."""
    await receive()  # websocket.connect
    if "websocket.http.response" not in (scope.get("extensions") or {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    body = answer.json_bytes()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send(
        {"type": "websocket.http.response.start", "status": answer.status, "headers": headers}
    )
    await send({"type": "websocket.http.response.body", "body": body})


async def answer_error(exc: Exception, send: Send, method: str, path: str) -> None:
    """The answer to an exception raised before the response started: an ``ApiError``'s own,
    else the one logged 500."""
    answer = error_response(exc) if isinstance(exc, ApiError) else server_error(exc, method, path)
    await send_error(send, answer)
