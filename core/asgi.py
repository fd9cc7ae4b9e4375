"""The contract's request-level rules, composed once, and the ASGI middleware every adapter
served over ASGI sits behind.

Each rule is a small named piece, reading one :class:`~core.head.RequestHead`:

- :class:`~core.prefix.Prefix`: the prefix (configured, the scope's ``root_path``, or a trusted
  ``X-Forwarded-Prefix``), the path in the form the framework routes on, and the prefix on
  path-only ``Location`` headers (:class:`~core.prefix.PrefixMiddleware` for any ASGI app);
- :class:`~core.forwarded.Forwarded`: a trusted peer's scheme, host and client;
- :class:`~core.apikey.ApiKey`: with ``ASGI_COMPARE_API_KEY`` set, 401 without it;
- :class:`~core.route_answers.RouteAnswers`: 404, 405, 307 for a trailing slash, HEAD as GET;
- :mod:`core.body`: the body limit, 413 while reading;
- :func:`~core.errors.server_error`: one log record and the bare 500, for anything unexpected.

:class:`Contract` decides a request with them; :class:`ContractMiddleware` applies the decision
over ASGI. Sanic's own server runs no ASGI middleware; ``sanic_app`` applies the same
:class:`Contract` to Sanic's request.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from core.apikey import ApiKey
from core.body import BODYLESS, DRAIN_BYTES, limited, read_body
from core.errors import ApiError, BodyTooLarge, ErrorResponse, error_response, server_error
from core.forwarded import Forwarded, ForwardedFacts
from core.head import ASGIApp, Message, Receive, RequestHead, Scope, Send
from core.prefix import (
    Prefix,
    PrefixMiddleware,
    location_root,
    prefix_locations,
    strip_root,
    with_prefix,
)
from core.route_answers import RouteAnswers
from core.routes import ROUTES, RouteTable
from core.settings import Settings
from core.trust import TrustedPeers

__all__ = [
    "DRAIN_BYTES",
    "ASGIApp",
    "Contract",
    "ContractMiddleware",
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

    def passes(self, scope: Scope) -> bool:
        """Whether the middleware may hand this request on exactly as it came: what
        :meth:`leaves_alone` says, with an ASCII query and an HTTP version every framework
        reads. Most requests are; they then skip the head, the decision and the copy of the
        scope (measured in-process, 3.5 of Falcon's 11.5 us on GET /hello; now 1.7)."""
        return (
            scope.get("http_version") != "1"
            and scope.get("query_string", b"").isascii()
            and self.leaves_alone(
                scope.get("method", ""),
                scope["path"],
                scope.get("root_path"),
                any(name[:12].lower() == b"x-forwarded-" for name, _ in scope.get("headers", ())),
            )
        )

    def leaves_alone(self, method: str, path: str, root_path: str | None, forwarded: bool) -> bool:
        """Whether :meth:`decide` would change nothing: a routed GET with no prefix
        (configured, ``root_path`` or forwarded), no ``X-Forwarded-*`` header and no key."""
        return (
            method in _PASSING_METHODS
            and self.key is None
            and not self.prefix.root_path
            and root_path == ""
            and not forwarded
            and self.answers.answer(method, path, b"") is None
        )

    def decide(self, head: RequestHead) -> Decision:
        root = self.prefix.of(head)
        route_path = strip_root(head.path, root)
        method = RouteAnswers.method(head.method)
        answer: ApiError | None = None if self.key is None else self.key.refuses(head, route_path)
        if answer is None:
            answer = self.answers.answer(method, route_path, head.query_string)
        rewrites = bool(root) and self.prefix.proxy_prefixes_redirects(head)
        if answer is not None:
            return Decision(root, route_path, method, answer, proxy_prefixes_redirects=rewrites)
        return Decision(root, route_path, method, None, self.forwarded.of(head), rewrites)


class ContractMiddleware:
    """Applies :class:`Contract` around an ASGI app; ``path_includes_root`` is the form the
    wrapped framework routes on. It is the outermost layer, so an unexpected error that
    reaches it is logged once and answered with the bare 500."""

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
        if "asgi" not in scope:
            # Whoever calls app(scope, receive, send) speaks ASGI 3 (an ASGI 2 app is called as
            # app(scope) first). httpx's ASGITransport and asgi-lifespan leave "asgi" out, and
            # Falcon then takes the spec's default, 2.0, and fails the lifespan startup
            # ("Falcon requires ASGI version 3.x": falcon/asgi/app.py, App.__call__ and
            # App._call_lifespan_handlers, Falcon 4.4).
            scope["asgi"] = {"version": "3.0"}
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.contract.passes(scope):
            await self._pass(scope, receive, send)
            return
        head = RequestHead.from_scope(scope)
        d = self.contract.decide(head)
        root, bodyless_answer = d.root, head.method == "HEAD"
        rewrites = d.proxy_prefixes_redirects
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if root:
                    at = location_root(message["status"], root, rewrites)
                    message["headers"] = prefix_locations(message.get("headers", ()), at)
            elif bodyless_answer and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if d.answer is not None:
            await send_error(send_wrapper, error_response(d.answer))
            return
        if head.method not in BODYLESS:
            try:
                receive = await limited(receive, head.headers, self.max_body_bytes)
            except BodyTooLarge as exc:
                await send_error(send_wrapper, error_response(exc))
                return
        inner = with_prefix(scope, root, d.route_path, self.path_includes_root)
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
        try:
            await self.app(inner, receive, send_wrapper)
        except Exception as exc:
            if started:
                raise  # too late for a 500: the server logs it and drops the connection
            await answer_error(exc, send_wrapper, head.method, d.route_path)

    async def _pass(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request the contract leaves as it came (:meth:`Contract.passes`): the server's
        own scope and receive go to the app; an unexpected error is still answered here."""
        started = False

        async def send_started(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        method, path = scope["method"], scope["path"]
        try:
            await self.app(scope, receive, send_started)
        except Exception as exc:
            if started:
                raise  # too late for a 500: the server logs it and drops the connection
            await answer_error(exc, send, method, path)


_NON_ASCII = re.compile(rb"[\x80-\xff]")


async def send_error(send: Send, answer: ErrorResponse) -> None:
    body = answer.json_bytes()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers.items()),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def answer_error(exc: Exception, send: Send, method: str, path: str) -> None:
    """The answer to an exception raised before the response started: an ``ApiError``'s own,
    else the one logged 500."""
    answer = error_response(exc) if isinstance(exc, ApiError) else server_error(exc, method, path)
    await send_error(send, answer)
