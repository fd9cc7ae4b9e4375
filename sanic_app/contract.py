"""The contract on Sanic's own server, which runs no ASGI middleware, and what Sanic asks of a
process that creates several apps. ``sanic_app.app`` is Sanic as its docs write it; this is
the bridge it needs beyond that.

- :class:`ContractRequest`: the body limit, the path Sanic routes on, and the prefix on a
  ``Location`` (its ``respond``);
- :class:`ApiRequest`: the query and the body as FastAPI reads them, for sanic-ext;
- :func:`decide`: the same :class:`core.asgi.Contract` as over ASGI, before Sanic routes;
- :func:`offloaded`: /fit's large body to a worker process, as core's ASGI layer does;
- :class:`ContractSanic`: an app's name and Sanic's own body limit, core's ASGI middleware
  in front of Sanic's ASGI entrypoint, the decision in ``handle_request``, and TouchUp once
  a process (by Sanic's own mark);
- :class:`ClosingConnection`: over ASGI, a WebSocket whose ``close`` closes;
- :func:`unused_name`: an app name Sanic's registry has not seen in this process.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from functools import partial
from typing import Any, cast

from sanic import Request, Sanic
from sanic.exceptions import PayloadTooLarge, SanicException
from sanic.helpers import has_message_body
from sanic.request import RequestParameters
from sanic.response import json
from sanic.server.websockets.connection import WebSocketConnection

from core.asgi import (
    DRAIN_BYTES,
    Contract,
    ContractMiddleware,
    Receive,
    RequestHead,
    Scope,
    Send,
    read_body,
)
from core.body import BODYLESS
from core.errors import BodyTooLarge
from core.forwarded import ForwardedFacts
from core.head import FORWARDED_PREFIX, forwarded_headers
from core.offload import FitPool
from core.prefix import location_root, prefixed
from core.service import Service
from core.validation import body_value

__all__ = [
    "NAME",
    "ApiRequest",
    "ClosingConnection",
    "ContractRequest",
    "ContractSanic",
    "decide",
    "offloaded",
    "unused_name",
]


class ContractRequest(Request):
    """Sanic's request, with the two parts of the contract that live in the request on Sanic's
    own server (a custom ``request_class`` is public Sanic API):

    - ``receive_body``, Sanic's documented hook for custom body handling: core's ``read_body``,
      which refuses a body past ``max_body_bytes`` (over ASGI the middleware refuses it first);
    - ``path``, the path Sanic routes on (``Sanic.handle_request`` routes on ``request.path``,
      sanic/app.py, Sanic 25.12): the path below the prefix once the contract has decided it.
      Sanic has no root-path setting and ``Request.path`` no setter (it reads the URL parsed
      when the request was made); overriding the property keeps off Sanic's private
      ``_parsed_url``.
    """

    route_path: str | None = None
    # On Sanic's own server, what decide() found: the prefix, and whether the proxy puts it
    # on a redirect itself. Class defaults, so the common request (no prefix) sets neither.
    decided_root: str = ""
    proxy_prefixes_redirects: bool = False

    @property
    def path(self) -> str:
        return super().path if self.route_path is None else self.route_path

    @property
    def root_path(self) -> str:
        """The prefix the request came under: over ASGI, the one core's middleware put in the
        scope; on Sanic's own server, the one :func:`decide` found. Read when a handler asks
        (/docs, /openapi.json, /about), not made for every request."""
        if self.app.asgi:
            root: str = self.scope.get("root_path", "")
            return root
        return self.decided_root

    @property
    def forwarded(self) -> Any:
        """What ``request.scheme``, ``.host`` and ``.client_ip`` read. On Sanic's own server
        :func:`decide` has set it by the contract's trust rule. Over ASGI the middleware has
        put a trusted proxy's scheme, host and client in the scope, and Sanic ignores the
        scope's scheme (sanic/models/asgi.py MockTransport answers "sslcontext"; ConnInfo
        asks for "ssl_object", Sanic 25.12): it is said here, when first read."""
        if self.parsed_forwarded is None and self.app.asgi:
            self.parsed_forwarded = {"proto": self.scope.get("scheme", "http")}
        return super().forwarded

    async def respond(self, response: Any = None, **kwargs: Any) -> Any:
        """Where every answer passes, the error handler's too:

        - over ASGI, an answer with its whole body gets its ``Content-Length``, which Sanic's
          own server sets (sanic/http/http1.py) and its ASGI side does not. Without it the
          ASGI server sends it chunked, and Go's ``httputil.ReverseProxy`` (Traefik) now and
          then cuts such an answer to a request with a body short (golang/go#40747);
        - on Sanic's own server, a path-only ``Location`` gets the prefix (over ASGI the
          middleware adds it).
        """
        if response is not None:
            if self.app.asgi:
                if response.body is not None and has_message_body(response.status):
                    response.headers.setdefault("content-length", str(len(response.body)))
            elif (at := self.decided_root) and (location := response.headers.get("location")):
                root = location_root(response.status, at, self.proxy_prefixes_redirects)
                response.headers["location"] = prefixed(location, root)
        return await super().respond(response, **kwargs)

    async def receive_body(self) -> None:
        if self.body:
            return
        limit: int = self.app.ctx.service.settings.max_body_bytes
        try:
            # Sanic's Http object at run time; its type stub declares no iteration.
            self.body = await read_body(cast(AsyncIterable[bytes], self.stream), limit)
        except PayloadTooLarge:  # Sanic's own REQUEST_MAX_SIZE, past what read_body drains
            raise BodyTooLarge(limit) from None


class ApiRequest(ContractRequest):
    """The query and the body as FastAPI reads them, for sanic-ext's ``@validate``."""

    @property
    def args(self) -> RequestParameters:
        # Blanks kept, as Starlette reads a query: /add?x= is an x that is not an int.
        return self.get_args(keep_blank_values=True)

    def load_json(self, loads: Any = None) -> Any:
        self.parsed_json = body_value(self.body, self.headers.get("content-type"))
        return self.parsed_json


def decide(request: ContractRequest, contract: Contract) -> None:
    """The contract on Sanic's own server, which runs no ASGI middleware, with the same
    :class:`core.asgi.Contract` as over ASGI, before Sanic routes the request
    (:meth:`ContractSanic.handle_request`); ``Location`` is prefixed as the request responds
    (:meth:`ContractRequest.respond`). Over ASGI, the middleware in front of Sanic has done
    both, and :class:`ContractRequest` reads what it left in the scope.
    """
    forwarded = False
    for name in request.headers:  # as core.head.forwards: a short name is not looked into
        if len(name) >= _AFTER and name[:_AFTER].lower() == FORWARDED_PREFIX:
            forwarded = True
            break
    # A WebSocket handshake (Sanic routes it to a websocket route as a GET): the contract's
    # handshake rules, never the route table's shortcut.
    handshake = request.headers.get("upgrade", "").lower() == "websocket"
    if not handshake and contract.leaves_alone(request.method, request.path, "", forwarded):
        # The common request, which the decision below would leave as it came: skip
        # building its head (a seventh of the adapter's time on GET /hello, py-spy).
        request.parsed_forwarded = {}
        return
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()]
    head = RequestHead(
        request.method,
        request.path,
        None,
        request.query_string.encode("latin-1"),
        "",  # Sanic's own server has no root path; ASGI_COMPARE_ROOT_PATH gives one
        headers,
        request.ip,
        forwarded_headers(headers),
    )
    d = contract.decide_handshake(head) if handshake else contract.decide(head)
    request.decided_root = d.root
    request.proxy_prefixes_redirects = d.proxy_prefixes_redirects
    if d.answer is not None:
        raise d.answer
    # Sanic's HTTP layer decided at parse time that a HEAD answer has no body; route as GET.
    request.method = d.method
    if d.route_path != head.path:
        request.route_path = d.route_path
    # What request.scheme, .host and .client_ip read (Request.forwarded caches Sanic's own
    # parse in the public parsed_forwarded, Sanic 25.12): the contract's trust rule instead.
    facts = d.forwarded or ForwardedFacts()
    sent = {"proto": facts.scheme, "host": facts.host, "for": facts.client}
    request.parsed_forwarded = {k: v for k, v in sent.items() if v}


_AFTER = len(FORWARDED_PREFIX)


async def offloaded(request: Request) -> bool:
    """On Sanic's own server, /fit's large body read and fitted in a worker process
    (``core.offload``), as core's ASGI layer does over ASGI: answered here, before sanic-ext
    decodes and validates it on the event loop. The body is read first; Sanic then finds it
    read (``ContractRequest.receive_body``). Called only for a method with a body
    (:meth:`ContractSanic.handle_request` tests it)."""
    pool: FitPool = request.app.ctx.service.fit_pool
    if not pool.offloads(request.method, request.path):
        return False
    await request.receive_body()
    if not pool.takes(request.body):
        return False
    coefs = await pool.fit(request.body, request.headers.get("content-type"))
    # As Sanic's handle_request ends with a handler's answer (sanic/app.py, Sanic 25.12).
    response = await request.respond(json(coefs.model_dump()))
    await response.send(end_stream=True)
    return True


class ClosingConnection(WebSocketConnection):
    """Sanic's WebSocket over ASGI (``WebSocketConnection``, sanic/server/websockets/
    connection.py, Sanic 25.12), mended in the two places where it does not do what Sanic's
    own server does:

    - ``close`` sends the close, with its code: Sanic's does nothing (``pass``), so a
      handler's ``ws.close(1009)`` never reached the client, and the connection stayed open
      after the handler returned. Sanic calls ``close()`` itself once the handler has
      returned: the first close counts;
    - ``recv`` returns a binary message's bytes when the server sends ``"text": None``
      beside them, as hypercorn does (the ASGI spec allows it): Sanic's returns the None,
      which reads as a closed connection.

    Once the server has said the client is gone (``websocket.disconnect``), nothing more is
    sent: there is no connection left to close.
    """

    closed = False

    async def recv(self, *args: Any, **kwargs: Any) -> str | bytes | None:
        message = await self._receive()
        if message["type"] != "websocket.receive":
            self.closed = True  # websocket.disconnect
            return None
        text: str | None = message.get("text")
        return message.get("bytes") if text is None else text

    receive = recv

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    @classmethod
    def put_in(cls, request: Request) -> None:
        """In place of the connection Sanic's ASGI transport made for this request (Sanic's
        ``MockTransport.create_websocket_connection``, sanic/models/asgi.py), which its
        WebSocket handler then takes (``get_websocket_connection``)."""
        transport: Any = request.transport
        made = getattr(transport, "_websocket_connection", None)
        if made is not None:
            transport._websocket_connection = cls(made._send, made._receive, made.subprotocols)


class ContractSanic(Sanic):  # type: ignore[type-arg]
    """Sanic with core's ASGI middleware in front of its ASGI entrypoint, a name of its own
    (:func:`unused_name`), and Sanic's own body limit where the contract's is.

    Sanic takes no ASGI middleware of its own: ``app.__call__`` is where an ASGI server enters.
    """

    def __init__(self, service: Service, **kwargs: Any) -> None:
        super().__init__(unused_name(), **kwargs)
        # Sanic's own server stops reading a body past this; ContractRequest refuses one past
        # max_body_bytes (over ASGI, the contract's middleware refuses it first).
        self.config.REQUEST_MAX_SIZE = service.settings.max_body_bytes + DRAIN_BYTES
        # Sanic routes on the path as the server sent it, so it gets the path without the
        # prefix.
        self.ctx.contract = ContractMiddleware(
            partial(Sanic.__call__, self),
            service.settings,
            path_includes_root=False,
            fit_pool=service.fit_pool,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.ctx.contract(scope, receive, send)

    async def handle_request(self, request: Request) -> None:
        """The contract's decision first, then Sanic's own handling. Here rather than in the
        ``http.routing.before`` signal, which Sanic dispatches inside ``handle_request`` at
        the same point: a signal with a handler costs every request its dispatch (15% of
        GET /hello's requests a second on uvicorn). An answer the contract raises goes to
        the error handler, as it would from the signal. Over ASGI, core's middleware in front
        has decided the request, and offloaded /fit's large bodies: Sanic handles it as it
        came."""
        if self.asgi:
            await super().handle_request(request)
            return
        try:
            decide(cast(ContractRequest, request), self.ctx.contract.contract)
            # Only a request with a body may be offloaded: a GET awaits nothing more here.
            if request.method not in BODYLESS and await offloaded(request):
                return
        except Exception as exc:
            await self.handle_exception(request, exc)
            return
        await super().handle_request(request)

    async def _websocket_handler(
        self, handler: Any, request: Request, *args: Any, subprotocols: Any = None, **kwargs: Any
    ) -> None:
        """Sanic's WebSocket handling (``Sanic._websocket_handler``, sanic/app.py, Sanic
        25.12), told only the route's subprotocols the client offered. A route's
        ``subprotocols=`` makes one mandatory on Sanic's own server: its handshake goes to
        websockets' ``ServerProtocol``, whose ``select_subprotocol`` answers 400 to a client
        that offers none of them (websockets 17), while over ASGI Sanic selects one only if
        offered. With this, both select it when offered, and accept the client otherwise.
        Over ASGI, the connection is first mended (:class:`ClosingConnection`): only a
        WebSocket's request comes here, so an HTTP request pays nothing for it."""
        if self.asgi:
            ClosingConnection.put_in(request)
        offered = {p.strip() for p in request.headers.get("sec-websocket-protocol", "").split(",")}
        chosen = [p for p in subprotocols or () if p in offered] or None
        await super()._websocket_handler(handler, request, *args, subprotocols=chosen, **kwargs)

    async def _startup(self) -> None:
        """Sanic's start-up (``Sanic._startup``, sanic/app.py, Sanic 25.12), which runs TouchUp
        when ``config.TOUCHUP`` is on: a rewrite of Sanic's request handling, in place for the
        whole process, that drops the dispatch of every signal no handler listens to. Run a
        second time in a process it fails (``KeyError: 'http1_request_header'``), so an app
        runs it only while Sanic's own mark says no app of the process has, whichever app
        that was (this one, another of ours, or any other Sanic app): ``TouchUp.run`` sets
        ``__touched__`` on every class it rewrites (sanic/touchup/service.py, Sanic 25.12).
        The apps started after it share the rewritten methods, which dispatch only the signals
        some app listens to; the adapter listens to none of Sanic's ``http.`` signals. Measured:
        without it the adapter served about half of bare Sanic's requests per second."""
        self.config.TOUCHUP = not getattr(Sanic, "__touched__", False)
        await super()._startup()


NAME = "asgi_compare"


def unused_name() -> str:
    """Sanic refuses two apps of one name in a process (its app registry); the first app keeps
    ``NAME``, the next ones (a test suite's) are ``asgi_compare_1``, ``asgi_compare_2``..."""
    name, n = NAME, 0
    while True:
        try:
            Sanic.get_app(name)
        except SanicException:
            return name
        n += 1
        name = f"{NAME}_{n}"
