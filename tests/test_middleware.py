"""core.asgi.ContractMiddleware, and core.prefix.PrefixMiddleware on its own, against a recording
ASGI app: no framework involved."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from core.asgi import ContractMiddleware, Message, Receive, Scope, Send
from core.prefix import PrefixMiddleware
from core.settings import Settings

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(
        self, location: bytes | None = None, fail: bool = False, status: int = 200
    ) -> None:
        self.scopes: list[Scope] = []
        self.location = location
        self.fail = fail
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        if self.fail:
            raise RuntimeError("secret internals")
        headers = [(b"content-type", b"application/json")]
        if self.location:
            headers.append((b"location", self.location))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})


async def call(
    app: Any,
    method: str,
    path: str,
    root: str = "",
    headers: list[tuple[bytes, bytes]] | None = None,
    peer: str = "127.0.0.1",
    http_version: str = "1.1",
) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": root,
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": (peer, 50000),
        "scheme": "http",
        "http_version": http_version,
    }
    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("path", ["/px/items/3", "/items/3"], ids=["prefix-in-path", "stripped"])
@pytest.mark.parametrize("includes", [True, False])
async def test_the_framework_gets_the_path_form_it_routes_on(path: str, includes: bool) -> None:
    inner = Recorder()
    await call(ContractMiddleware(inner, path_includes_root=includes), "GET", path, "/px")
    [scope] = inner.scopes
    assert scope["root_path"] == "/px"
    assert scope["path"] == ("/px/items/3" if includes else "/items/3")
    assert scope["raw_path"] == scope["path"].encode()


async def test_location_gets_the_prefix_and_head_loses_the_body() -> None:
    app = ContractMiddleware(Recorder(location=b"/items/3"), Settings(root_path="/px"))
    start, body = await call(app, "HEAD", "/hello")
    assert dict(start["headers"])[b"location"] == b"/px/items/3"
    assert body["body"] == b""
    absolute = ContractMiddleware(Recorder(location=b"http://h/x"), Settings(root_path="/px"))
    start, _ = await call(absolute, "GET", "/hello")
    assert dict(start["headers"])[b"location"] == b"http://h/x"


async def test_an_unhandled_error_is_a_bare_json_500(caplog: pytest.LogCaptureFixture) -> None:
    start, body = await call(ContractMiddleware(Recorder(fail=True)), "GET", "/hello")
    assert start["status"] == 500
    assert body["body"] == b'{"detail": "Internal Server Error"}'
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "asgi_compare"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


async def test_lifespan_passes_through_untouched() -> None:
    inner = Recorder()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await ContractMiddleware(inner, Settings(root_path="/px"))(scope, receive, send)
    assert inner.scopes == [{"type": "lifespan", "asgi": {"version": "3.0"}}]


async def test_a_scope_without_an_asgi_version_says_3() -> None:
    """Whoever calls app(scope, receive, send) speaks ASGI 3; Falcon reads a missing version
    as 2.0 and refuses to start (httpx's ASGITransport and asgi-lifespan leave it out)."""
    inner = Recorder()

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await ContractMiddleware(inner)({"type": "lifespan"}, receive, send)
    assert inner.scopes == [{"type": "lifespan", "asgi": {"version": "3.0"}}]


FORWARDED = [
    (b"x-forwarded-proto", b"https"),
    (b"x-forwarded-host", b"api.example.org"),
    (b"x-forwarded-for", b"203.0.113.7"),
]


async def test_a_trusted_peer_forwards_scheme_host_and_client() -> None:
    inner = Recorder()
    await call(ContractMiddleware(inner), "GET", "/about", headers=FORWARDED)
    [scope] = inner.scopes
    assert scope["scheme"] == "https"
    assert dict(scope["headers"])[b"host"] == b"api.example.org"
    assert scope["client"] == ("203.0.113.7", 0)


async def test_an_untrusted_peer_forwards_nothing() -> None:
    inner = Recorder()
    headers = [*FORWARDED, (b"x-forwarded-prefix", b"/evil")]
    await call(ContractMiddleware(inner), "GET", "/about", headers=headers, peer="198.51.100.2")
    [scope] = inner.scopes
    assert (scope["scheme"], scope["client"], scope["root_path"]) == (
        "http",
        ("198.51.100.2", 50000),
        "",
    )
    assert dict(scope["headers"])[b"host"] == b"testserver"


# --- PrefixMiddleware: the prefix for any ASGI app, without the contract's route table --------

PREFIX_CASES = {
    # name: (settings of the middleware, path, scope root_path, X-Forwarded-Prefix, peer, root)
    "scope-prefix-in-path": ({}, "/px/anything/3", "/px", None, "127.0.0.1", "/px"),
    "scope-prefix-stripped": ({}, "/anything/3", "/px", None, "127.0.0.1", "/px"),
    "trusted-header": ({}, "/anything/3", "", b"/px/", "127.0.0.1", "/px"),
    "untrusted-header": ({}, "/anything/3", "", b"/evil", "198.51.100.2", ""),
    "configured-wins": ({"root_path": "/px"}, "/anything/3", "", b"/evil", "127.0.0.1", "/px"),
    # The server's --root-path is configured too: a header a proxy passes on from its client
    # (nginx, Caddy, Apache, HAProxy in strip mode) must not replace it.
    "server-root-wins": ({}, "/px/anything/3", "/px", b"/evil", "127.0.0.1", "/px"),
    "server-root-wins-stripped": ({}, "/anything/3", "/px", b"/evil", "127.0.0.1", "/px"),
    "appended-header": ({}, "/anything/3", "", b"/evil, /px", "127.0.0.1", "/px"),
    "unsafe-header": ({}, "/anything/3", "", b"/a b<script>", "127.0.0.1", ""),
    "any-peer": ({"forwarded_allow_ips": ["*"]}, "/anything/3", "", b"/px", "10.9.9.9", "/px"),
}


@pytest.mark.parametrize("case", PREFIX_CASES.values(), ids=PREFIX_CASES.keys())
@pytest.mark.parametrize("includes", [True, False], ids=["path-includes-root", "path-below-root"])
async def test_prefix_middleware_on_any_app(case: tuple[Any, ...], includes: bool) -> None:
    options, path, scope_root, sent, peer, root = case
    inner = Recorder(location=b"/anything/4")
    app = PrefixMiddleware(inner, path_includes_root=includes, **options)
    headers = [] if sent is None else [(b"x-forwarded-prefix", sent)]
    start, _ = await call(app, "GET", path, scope_root, headers=headers, peer=peer)
    [scope] = inner.scopes
    assert scope["root_path"] == root
    assert scope["path"] == (root + "/anything/3" if includes else "/anything/3")
    assert scope["raw_path"] == scope["path"].encode()
    assert dict(start["headers"])[b"location"] == (root + "/anything/4").encode()


async def test_prefix_middleware_leaves_absolute_locations_and_lifespan_alone() -> None:
    app = PrefixMiddleware(Recorder(location=b"https://elsewhere/x"), root_path="/px")
    start, _ = await call(app, "GET", "/x")
    assert dict(start["headers"])[b"location"] == b"https://elsewhere/x"
    inner = Recorder()

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await PrefixMiddleware(inner, root_path="/px")({"type": "lifespan"}, receive, send)
    assert inner.scopes == [{"type": "lifespan"}]


# --- What real proxies send: lists, HTTP/1.0, a proxy that prefixes redirects itself -----------


async def test_of_a_forwarded_list_the_app_takes_what_its_peer_added() -> None:
    """Apache appends its X-Forwarded-Host to the client's; HAProxy adds a line of its own to
    X-Forwarded-For. The scheme and host are the last element, the client the nearest address
    that is not a trusted proxy."""
    inner = Recorder()
    headers = [
        (b"x-forwarded-host", b"evil.example, api.example.org"),
        (b"x-forwarded-proto", b"gopher, https"),
        (b"x-forwarded-for", b"198.51.100.66, 203.0.113.7"),
        (b"x-forwarded-for", b"10.1.2.3"),
    ]
    settings = Settings(forwarded_allow_ips=("127.0.0.1", "10.0.0.0/8"))
    await call(ContractMiddleware(inner, settings), "GET", "/about", headers=headers)
    [scope] = inner.scopes
    assert dict(scope["headers"])[b"host"] == b"api.example.org"
    assert (scope["scheme"], scope["client"]) == ("https", ("203.0.113.7", 0))


async def test_http_1_0_reaches_the_app_as_asgi_spells_it() -> None:
    """granian sends http_version "1" for HTTP/1.0 (nginx's default upstream protocol); Falcon
    answers anything but "1.0", "1.1", "2", "3" with a 500."""
    inner = Recorder()
    await call(ContractMiddleware(inner), "GET", "/hello", http_version="1")
    await call(ContractMiddleware(inner), "GET", "/hello", http_version="1.1")
    assert [s["http_version"] for s in inner.scopes] == ["1.0", "1.1"]


# What jupyter-server-proxy sends without --absolute-url, when it prefixes redirects itself.
JUPYTER = [
    (b"x-forwarded-prefix", b"/px/"),
    (b"x-forwarded-context", b"/px/"),
    (b"x-proxycontextpath", b"/px/"),
]
LOCATION_CASES = {
    # name: (headers, scope root_path, status, the Location the app's "/docs" goes out as)
    "jupyter-redirect": (JUPYTER, "", 307, b"/docs"),
    "jupyter-redirect-server-root": (JUPYTER, "/px", 307, b"/docs"),
    "jupyter-created": (JUPYTER, "", 201, b"/px/docs"),  # it rewrites redirects only
    "forwarded-prefix-alone": (JUPYTER[:1], "", 307, b"/px/docs"),  # nginx: no rewrite
    "context-for-another-prefix": (
        [JUPYTER[0], (b"x-forwarded-context", b"/a"), (b"x-proxycontextpath", b"/a")],
        "",
        307,
        b"/px/docs",
    ),
}


@pytest.mark.parametrize("case", LOCATION_CASES.values(), ids=LOCATION_CASES.keys())
@pytest.mark.parametrize("contract", [True, False], ids=["contract", "prefix-only"])
async def test_a_proxy_that_prefixes_redirects_itself_gets_them_unprefixed(
    case: tuple[Any, ...], contract: bool
) -> None:
    headers, scope_root, status, expected = case
    inner = Recorder(location=b"/docs", status=status)
    app: Any = ContractMiddleware(inner) if contract else PrefixMiddleware(inner)
    path = scope_root + "/hello"
    start, _ = await call(app, "GET", path, scope_root, headers=headers)
    assert (start["status"], dict(start["headers"])[b"location"]) == (status, expected)
    [scope] = inner.scopes
    assert scope["root_path"] == "/px"  # the docs page still loads /px/openapi.json


async def test_the_contracts_own_redirect_is_left_to_such_a_proxy_too() -> None:
    start, _ = await call(ContractMiddleware(Recorder()), "GET", "/hello/", headers=JUPYTER)
    assert (start["status"], dict(start["headers"])[b"location"]) == (307, b"/hello")
    stranger = ContractMiddleware(Recorder())
    start, _ = await call(stranger, "GET", "/hello/", headers=JUPYTER, peer="198.51.100.2")
    assert (start["status"], dict(start["headers"])[b"location"]) == (307, b"/hello")
    nginx = ContractMiddleware(Recorder())
    start, _ = await call(nginx, "GET", "/hello/", headers=JUPYTER[:1])
    assert (start["status"], dict(start["headers"])[b"location"]) == (307, b"/px/hello")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/hello", []),
        ("/items/7", []),  # a route with a parameter: the route table's answer() decides
        ("/hello", [(b"content-type", b"text/plain"), (b"x-forwarded", b"1"), (b"x", b"1")]),
    ],
    ids=["static", "parameter", "names-near-x-forwarded-"],
)
async def test_a_request_the_contract_leaves_alone_reaches_the_app_untouched(
    path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    """The common request (a routed GET, no prefix, no forwarded headers) costs no copy of the
    scope and no decision: the app gets the server's own scope."""
    seen: list[Scope] = []
    inner = Recorder()

    async def server_side(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await ContractMiddleware(inner)(scope, receive, send)

    start, _ = await call(server_side, "GET", path, headers=headers)
    assert start["status"] == 200
    assert inner.scopes[0] is seen[0]


@pytest.mark.parametrize(
    ("method", "path", "root", "headers", "version"),
    [
        ("HEAD", "/hello", "", [], "1.1"),
        ("GET", "/hello", "/px", [], "1.1"),
        ("GET", "/hello", "", [(b"x-forwarded-proto", b"https")], "1.1"),
        ("GET", "/hello", "", [(b"X-Forwarded-Prefix", b"/px")], "1.1"),
        ("GET", "/items/7", "", [(b"X-FORWARDED-HOST", b"a.example")], "1.1"),
        ("GET", "/hello", "", [], "1"),
        ("POST", "/items", "", [], "1.1"),
    ],
    ids=[
        "head",
        "root-path",
        "forwarded",
        "forwarded-mixed-case",
        "forwarded-parameter-route",
        "http-1",
        "post",
    ],
)
async def test_a_request_the_contract_changes_gets_a_scope_of_its_own(
    method: str, path: str, root: str, headers: list[tuple[bytes, bytes]], version: str
) -> None:
    seen: list[Scope] = []
    inner = Recorder()

    async def server_side(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await ContractMiddleware(inner)(scope, receive, send)

    await call(server_side, method, path, root, headers, http_version=version)
    assert inner.scopes[0] is not seen[0]


@pytest.mark.parametrize("path", ["/nowhere", "/hello/"], ids=["unknown", "slash"])
async def test_a_route_the_table_lacks_is_answered_before_the_app(path: str) -> None:
    inner = Recorder()
    start, _ = await call(ContractMiddleware(inner), "GET", path)
    assert start["status"] in (307, 404)
    assert inner.scopes == []


async def test_an_error_after_the_answer_started_is_raised_on() -> None:
    async def breaks_midway(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("midway")

    with pytest.raises(RuntimeError, match="midway"):
        await call(ContractMiddleware(breaks_midway), "GET", "/hello")


class Handshakes:
    """A WebSocket app that accepts, and records the scope it was given."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        await receive()
        await send({"type": "websocket.accept"})


async def handshake(
    app: Any, path: str, *, extensions: bool, headers: list[tuple[bytes, bytes]] | None = None
) -> list[Message]:
    scope: Scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 5000),
        "subprotocols": [],
    }
    if extensions:
        scope["extensions"] = {"websocket.http.response": {}}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("extensions", [True, False], ids=["http-answer", "close"])
async def test_a_handshake_off_the_websocket_route_is_refused_before_the_app(
    extensions: bool,
) -> None:
    inner = Handshakes()
    sent = await handshake(ContractMiddleware(inner, Settings()), "/hello", extensions=extensions)
    assert inner.scopes == []
    if extensions:  # the contract's JSON 403, where the server takes an HTTP answer
        assert [m["type"] for m in sent] == [
            "websocket.http.response.start",
            "websocket.http.response.body",
        ]
        assert sent[0]["status"] == 403
        assert json.loads(sent[1]["body"]) == {"detail": "WebSocket refused"}
    else:  # a close before the accept, which every server answers with HTTP 403
        assert [m["type"] for m in sent] == ["websocket.close"]


async def test_a_handshake_needs_the_key_and_gets_the_prefix() -> None:
    inner = Handshakes()
    app = ContractMiddleware(inner, Settings(api_key="k", root_path="/px"))
    refused = await handshake(app, "/px/ws", extensions=False)
    assert [m["type"] for m in refused] == ["websocket.close"] and inner.scopes == []
    key = [(b"authorization", b"Bearer k")]
    accepted = await handshake(app, "/px/ws", extensions=False, headers=key)
    assert [m["type"] for m in accepted] == ["websocket.accept"]
    [scope] = inner.scopes
    assert (scope["root_path"], scope["path"], scope["scheme"]) == ("/px", "/px/ws", "ws")


async def test_a_trusted_proxys_https_is_wss_on_a_websocket() -> None:
    inner = Handshakes()
    forwarded = [(b"x-forwarded-proto", b"https"), (b"x-forwarded-host", b"example.org")]
    sent = await handshake(
        ContractMiddleware(inner, Settings()), "/ws", extensions=False, headers=forwarded
    )
    assert [m["type"] for m in sent] == ["websocket.accept"]
    [scope] = inner.scopes
    assert scope["scheme"] == "wss"
    assert (b"host", b"example.org") in scope["headers"]
