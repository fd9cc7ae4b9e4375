"""The adapters behind every proxy in every mode, for real, against a client that lies.

A client sends its own ``X-Forwarded-Prefix``, ``-Host``, ``-Proto`` and ``-For``. The prefix,
the redirects and the docs page must be what the proxy alone makes them, behind every proxy,
hardened or configured as its docs show: the operator's prefix (the server's root path, or
``ASGI_COMPARE_ROOT_PATH``) is never overridden by a header. The scheme, host and client
``/about`` reports must be what the proxy alone makes them wherever the proxy sets (or appends
to) the header; where it passes a client's header on untouched (``pass`` in its ``Behaviour``),
the app, which trusts its peer, cannot tell the two apart and believes it: that is why
docs/proxy.md gives each proxy the lines that clear them, and the hardened variant
(``clear=True``) runs with them, where no header is passed any more (jupyter-server-proxy
has no such setting: it passes the client's ``-Host``, ``-Proto`` and ``-For``). A client may
also pose as jupyter-server-proxy, sending ``X-Forwarded-Prefix``, ``X-Forwarded-Context`` and
``X-ProxyContextPath`` with one value: where its proxy passes the last two on, the app leaves
the prefix off its redirects, as declared; behind a hardened proxy they keep it exactly.

The client connects from 127.0.0.2, an address the app does not trust (it trusts 127.0.0.1,
where the proxies connect from), as a real client would be. One server per adapter, server
and mode serves every proxy's route (jupyter-server-proxy starts a server of its own); all
start in parallel. Also here: HTTP/1.0 (nginx's default to its upstream) on every server,
and the redirects behind jupyter-server-proxy, which prefixes them itself.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from asgi_compare.harness import FRAMEWORKS, PREFIX, SERVERS, Deployment, applies
from asgi_compare.harness.processes import tail
from asgi_compare.harness.proxies import (
    CONTEXT,
    PROXIES,
    Behaviour,
    JupyterServerProxy,
    Nginx,
    NginxDefault,
    Proxy,
    ProxyProcess,
)

SPOOFED = FRAMEWORKS  # every adapter
SERVERS_HERE = ("uvicorn", "hypercorn", "native")  # native: Sanic's own, not over ASGI
JUPYTER_SERVERS = ("uvicorn", "native")  # it starts a server per route: fewer keep time down
SPOOF = {
    "X-Forwarded-Prefix": "/evil",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.9",
}
# What /about shows of a spoofed header the proxy passes on.
BELIEVED = {h.lower(): v for h, v in SPOOF.items()}
ABOUT = {"x-forwarded-host": "host", "x-forwarded-proto": "scheme", "x-forwarded-for": "client"}
CLIENT = "127.0.0.2"  # not the proxy: the app trusts only 127.0.0.1 (its default)
# What jupyter-server-proxy sends, all three set to its context path; from a trusted peer the
# app then leaves the prefixing of redirects to the proxy. A client sends them with the prefix
# the proxy serves under (the value jupyter-server-proxy would send) or with its own.
REWRITER = ("x-forwarded-prefix", *CONTEXT)
REWRITER_VALUES = (PREFIX, "/evil")

VARIANTS = [
    (name, mode, clear)
    for name, cls in PROXIES.items()
    for clear in ((False, True) if cls.clear_syntax else (False,))
    for mode in cls.modes
]
CELLS = [
    (name, mode, clear, framework, server)
    for name, mode, clear in VARIANTS
    for framework in SPOOFED
    for server in (JUPYTER_SERVERS if name == JupyterServerProxy.name else SERVERS_HERE)
    if applies(framework, server)
]
EVERY_CELL = pytest.mark.parametrize(
    ("name", "mode", "clear", "framework", "server"),
    CELLS,
    ids=[f"{n}{'-hardened' if c else ''}-{m}-{f}-{s}" for n, m, c, f, s in CELLS],
)
JUPYTER_CELLS = [
    (f, s, m) for f in FRAMEWORKS for s in JUPYTER_SERVERS for m in ("strip", "forwarded")
]
JUPYTER_CELLS = [(f, s, m) for f, s, m in JUPYTER_CELLS if applies(f, s)]


@dataclass
class Answer:
    status: int
    location: str | None
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: Any = None,
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(CLIENT, 0))
    try:
        payload = None if body is None else json.dumps(body)
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if body else {})}
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return Answer(response.status, response.getheader("location"), response.read())
    finally:
        conn.close()


def redirects(port: int, sent: list[tuple[str, dict[str, str]]]) -> list[str | None]:
    """The ``Location`` each GET (path, headers) is redirected to, over one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(CLIENT, 0))
    try:
        found = []
        for path, headers in sent:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 307, (path, response.status)
            found.append(response.getheader("location"))
        return found
    finally:
        conn.close()


def spec_url(page: bytes) -> str:
    """Where the docs page (Swagger UI) loads the OpenAPI document from."""
    found = re.search(rb"""\burl: ["']([^"']+)["']""", page)
    assert found is not None, page
    return found[1].decode()


def http_1_0(port: int, path: str) -> int:
    """The status of a bare HTTP/1.0 request, as ``curl --http1.0`` or ApacheBench send it."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@dataclass
class Stack:
    """Every proxy variant's route to each adapter, by (proxy, mode, clear, framework, server)."""

    listen: dict[tuple[str, str, bool, str, str], int] = field(default_factory=dict)
    proxies: dict[tuple[str, bool], Proxy] = field(default_factory=dict)
    servers: dict[tuple[str, str, str], Deployment] = field(default_factory=dict)
    jupyter: dict[tuple[str, str, str], Deployment] = field(default_factory=dict)
    granian: dict[str, Deployment] = field(default_factory=dict)  # behind nginx's defaults


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("spoofing")
    s = Stack()
    for name, cls in PROXIES.items():
        if cls.install.find() is None:
            pytest.fail(f"{name} is not installed: {cls.install.command}")
        for clear in (False, True) if cls.clear_syntax else (False,):
            (work / f"{name}-{clear}").mkdir()
            s.proxies[name, clear] = cls(work / f"{name}-{clear}", clear=clear)
    first = s.proxies[Nginx.name, False]  # each shared server's own route; the rest add theirs
    for framework in SPOOFED:
        for server in [server for server in SERVERS_HERE if applies(framework, server)]:
            for mode in Nginx.modes:
                d = Deployment(framework, server, mode, workdir=work, proxy=first)
                s.servers[framework, server, mode] = d
    jupyter = s.proxies[JupyterServerProxy.name, False]
    for name, mode, clear, framework, server in CELLS:
        proxy = s.proxies[name, clear]
        if proxy is jupyter:
            d = Deployment(framework, server, mode, workdir=work, proxy=jupyter)
            s.jupyter[framework, server, mode] = d
            assert d.proxy_port is not None
            s.listen[name, mode, clear, framework, server] = d.proxy_port
        elif proxy is first:
            port = s.servers[framework, server, mode].proxy_port
            assert port is not None
            s.listen[name, mode, clear, framework, server] = port
        else:
            listen = proxy.add(mode, s.servers[framework, server, mode].port)
            s.listen[name, mode, clear, framework, server] = listen
    for framework, server, mode in JUPYTER_CELLS:  # the redirects behind it, every adapter
        if (framework, server, mode) not in s.jupyter:
            d = Deployment(framework, server, mode, workdir=work, proxy=jupyter)
            s.jupyter[framework, server, mode] = d
    defaults = s.proxies[NginxDefault.name, False]
    for framework in FRAMEWORKS:
        if applies(framework, "granian"):
            d = Deployment(framework, "granian", "strip", workdir=work, proxy=defaults)
            s.granian[framework] = d
    deployments = [*s.servers.values(), *s.jupyter.values(), *s.granian.values()]

    def start(d: Deployment) -> None:
        d.start()
        d.wait_ready()

    processes = [p for p in s.proxies.values() if isinstance(p, ProxyProcess)]

    def serve(proxy: ProxyProcess) -> None:  # started with every route, then each is served
        for listen in proxy.routes:
            proxy.serve(listen)

    with ThreadPoolExecutor(max_workers=8) as pool:
        try:
            # Proxies first: a port handed out binds soon, before another process is offered it.
            list(pool.map(serve, processes))
            list(pool.map(start, deployments))
            for proxy in processes:
                if proxy.proc is None or proxy.proc.poll() is not None:
                    pytest.fail(f"{proxy.name} exited:\n{tail(proxy.log)}")
            yield s
        finally:
            list(pool.map(Deployment.stop, deployments))
            list(pool.map(lambda p: p.stop(), s.proxies.values()))


@EVERY_CELL
def test_a_client_sets_only_what_its_proxy_passes_on(
    stack: Stack, name: str, mode: str, clear: bool, framework: str, server: str
) -> None:
    port = stack.listen[name, mode, clear, framework, server]
    behaviour = stack.proxies[name, clear].behaviour(mode)
    plain = request(port, f"{PREFIX}/about")
    assert plain.status == 200, plain.body
    about = plain.json()
    assert (about["root_path"], about["scheme"]) == (PREFIX, "http")
    # The prefix, the redirects and the docs: never the client's, behind any proxy.
    spoofed = request(port, f"{PREFIX}/about", SPOOF)
    assert spoofed.status == 200, spoofed.body
    seen = spoofed.json()
    assert seen["root_path"] == PREFIX
    docs = request(port, f"{PREFIX}/", SPOOF)
    assert (docs.status, docs.location) == (307, f"{PREFIX}/docs")
    slash = request(port, f"{PREFIX}/hello/", SPOOF)
    assert (slash.status, slash.location) == (307, f"{PREFIX}/hello")
    page = request(port, f"{PREFIX}/docs", SPOOF)
    assert (page.status, spec_url(page.body)) == (200, f"{PREFIX}/openapi.json")
    assert b"/evil" not in page.body
    # Scheme, host, client: the proxy's own, or the client's where the proxy passes it on.
    expected = {
        ABOUT[h]: BELIEVED[h] if behaviour.forwarded[h] == "pass" else about[ABOUT[h]]
        for h in ABOUT
    }
    assert {k: seen[k] for k in expected} == expected


def app_leaves_redirects_to_the_proxy(behaviour: Behaviour, sent: str) -> bool:
    """Whether a client's ``REWRITER`` headers, all ``sent``, reach the app as
    jupyter-server-proxy's would: each there (passed on, or set by the proxy) with one value."""
    arriving: set[str] = set()
    for header in REWRITER:
        how = behaviour.handling(header)
        if how == "clear":
            return False
        # A proxy that sets or appends to X-Forwarded-Prefix is the nearest: its value counts.
        arriving.add((sent if how == "pass" else behaviour.prefix_value).rstrip("/"))
    return len(arriving) == 1


@EVERY_CELL
def test_a_client_posing_as_jupyter_server_proxy_moves_redirects_only_where_declared(
    stack: Stack, name: str, mode: str, clear: bool, framework: str, server: str
) -> None:
    """Redirects keep exactly the prefix behind every hardened proxy, and behind
    jupyter-server-proxy (which prefixes them itself) carry it once. Configured as their docs
    show, the proxies that pass the client's headers on lose it, as declared."""
    port = stack.listen[name, mode, clear, framework, server]
    behaviour = stack.proxies[name, clear].behaviour(mode)
    paths = (f"{PREFIX}/", f"{PREFIX}/hello/")
    sent = [(path, dict.fromkeys(REWRITER, value)) for value in REWRITER_VALUES for path in paths]
    found = redirects(port, sent)
    seen = {value: (found[2 * i], found[2 * i + 1]) for i, value in enumerate(REWRITER_VALUES)}
    expected: dict[str, tuple[str, str]] = {}
    for value in REWRITER_VALUES:
        # The app's prefix, unless it takes the proxy for one that adds it; then the proxy's.
        at = "" if app_leaves_redirects_to_the_proxy(behaviour, value) else PREFIX
        at = (PREFIX if behaviour.location == "prefixed" else "") + at
        expected[value] = (f"{at}/docs", f"{at}/hello")
    assert seen == expected
    if clear or (name == JupyterServerProxy.name and mode != "keep"):
        assert seen == dict.fromkeys(REWRITER_VALUES, (f"{PREFIX}/docs", f"{PREFIX}/hello"))


def test_a_client_posing_as_jupyter_server_proxy_moves_redirects_behind_these() -> None:
    """What the test above proves of each proxy as its docs configure it, in one table:
    docs/proxy.md and docs/proxies.md say so."""
    moved = {
        value: {
            (name, mode)
            for name, mode, clear in VARIANTS
            if not clear
            and app_leaves_redirects_to_the_proxy(PROXIES[name].modes[mode], value)
            and PROXIES[name].modes[mode].location == "kept"
        }
        for value in REWRITER_VALUES
    }
    every = {(name, mode) for name, mode, clear in VARIANTS if not clear}
    # The proxy's own prefix: wherever the two context headers pass, but Traefik's keep mode,
    # where Traefik removes the client's X-Forwarded-Prefix.
    assert moved[PREFIX] == every - {
        ("traefik", "keep"),
        ("jupyter-server-proxy", "strip"),
        ("jupyter-server-proxy", "forwarded"),
    }
    # A prefix of its own: where X-Forwarded-Prefix passes too.
    assert moved["/evil"] == {
        (name, mode)
        for name, mode in every
        if PROXIES[name].modes[mode].passes("x-forwarded-prefix")
    }
    assert ("nginx", "forwarded") in moved[PREFIX] and ("nginx", "strip") in moved["/evil"]


def test_the_hardened_variants_pass_nothing_on() -> None:
    """What the test above expects of a hardened proxy: no client's header is believed."""
    for name, mode, clear in VARIANTS:
        if clear:
            behaviour = PROXIES[name](Path(), clear=True).behaviour(mode)
            assert "pass" not in behaviour.forwarded.values(), (name, mode)
            assert "pass" != behaviour.context, (name, mode)


@pytest.mark.parametrize("framework", [f for f in FRAMEWORKS if applies(f, "granian")])
def test_http_1_0_from_nginx_defaults_reaches_granian(stack: Stack, framework: str) -> None:
    """nginx speaks HTTP/1.0 to its upstream unless told ``proxy_http_version 1.1``; granian
    then says ``http_version`` "1", which Falcon refused with a 500."""
    d = stack.granian[framework]
    assert d.proxy_port is not None
    about = request(d.proxy_port, f"{PREFIX}/about")
    assert (about.status, about.json()["root_path"]) == (200, PREFIX)
    assert http_1_0(d.proxy_port, f"{PREFIX}/hello") == 200


def test_http_1_0_reaches_every_server_directly(stack: Stack) -> None:
    told_nothing = [d for d in stack.servers.values() if d.mode == "forwarded"]
    answers = {d.id: http_1_0(d.port, "/hello") for d in told_nothing}
    answers |= {d.id: http_1_0(d.port, f"{PREFIX}/hello") for d in stack.granian.values()}
    servers = {d.server for d in [*told_nothing, *stack.granian.values()]}
    assert servers == set(SERVERS) and len(answers) == len(told_nothing) + len(stack.granian)
    assert answers == dict.fromkeys(answers, 200)


@pytest.mark.parametrize(
    ("framework", "server", "mode"), JUPYTER_CELLS, ids=["-".join(c) for c in JUPYTER_CELLS]
)
def test_jupyter_server_proxy_gets_redirects_it_can_prefix_itself(
    stack: Stack, framework: str, server: str, mode: str
) -> None:
    """It prefixes a redirect's path-only Location itself; the app must not add it again
    (``GET /prefix/`` answered ``307 /prefix/prefix/docs``). A 201's Location it leaves alone.
    Its default mode, as the suite's ``forwarded`` mode and its ``strip`` mode run it (the
    server told the prefix too)."""
    d = stack.jupyter[framework, server, mode]
    assert d.proxy_port is not None
    docs = request(d.proxy_port, f"{PREFIX}/")
    assert (docs.status, docs.location) == (307, f"{PREFIX}/docs")
    slash = request(d.proxy_port, f"{PREFIX}/hello/?name=x")
    assert (slash.status, slash.location) == (307, f"{PREFIX}/hello?name=x")
    page = request(d.proxy_port, f"{PREFIX}/docs")
    assert (page.status, spec_url(page.body)) == (200, f"{PREFIX}/openapi.json")
    created = request(
        d.proxy_port, f"{PREFIX}/items", method="POST", body={"name": "n", "price": 1}
    )
    assert created.status == 201
    assert str(created.location).startswith(f"{PREFIX}/items/")
