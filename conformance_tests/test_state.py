"""Durable, shared state (``ASGI_COMPARE_STORE=sqlite:///PATH``), load, and graceful shutdown,
on real servers.

- kill -9 the server after N acknowledged POST /items and a fit; restart it: all N items,
  the coefficients and the plot are there.
- Two worker processes: an item or a fit made through one is seen through the other. Which
  worker holds a connection is read from the operating system (the process that owns the
  accepted socket), so the test knows it crossed workers. With the memory store the same test
  shows the workers diverging, which is why the SQLite store exists.
- 1,000 concurrent POST /items get 1,000 distinct ids and a list of 1,000, with either store;
  PATCHes of one item's four fields, sent together, lose none of them.
- SIGTERM to the server while a request is in flight: the request completes with its 200.
- SIGTERM to the server with a WebSocket and an event stream open: both are closed, and the
  server has exited within its graceful-shutdown timeout plus 2 s.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, WebSocketNetworkError, aconnect_ws

from asgi_compare.harness import Deployment, group_alive
from conformance_tests._apis import patch_rounds, warm
from conformance_tests._data import FIT
from conformance_tests.plugin import Target, own_server
from core.live import NORMAL_CLOSURE

pytestmark = [pytest.mark.starts_servers, pytest.mark.targets(modes=("none",))]

STORES = ["memory", "sqlite"]


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"ASGI_COMPARE_STORE": f"sqlite:///{tmp_path / 'api.db'}"}


def test_acknowledged_writes_survive_kill_9(framework: str, target: Target, tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    sent = [
        {"name": f"item {i}", "price": i + 0.5, "tax": None, "description": "d"} for i in range(50)
    ]
    with own_server(framework, target.server, tmp_path, env) as d:
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            acknowledged = []
            for item in sent:
                r = client.post("/items", json=item)
                assert r.status_code == 201, r.text
                acknowledged.append(r.json())
            fit = client.post("/fit", json=FIT)
            assert fit.status_code == 200, fit.text
            plot = client.get("/plot").content
        d.kill()
        d.start()
        d.wait_ready(timeout=60.0)
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            assert client.get("/items", params={"limit": 1000}).json() == acknowledged
            assert client.get("/coefs").json() == fit.json()
            assert client.get("/plot").content == plot
            after = client.post("/items", json=sent[0])
            assert after.json()["id"] == len(sent)  # ids go on; none is handed out twice


# --- two workers -------------------------------------------------------------------------------


def accepted(d: Deployment) -> tuple[http.client.HTTPConnection, int | None]:
    """A new connection, served once so that some worker owns it, and that worker's pid."""
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
    conn.connect()
    assert conn.sock is not None
    port = conn.sock.getsockname()[1]
    conn.request("GET", "/hello")
    conn.getresponse().read()
    # A server may close a connection (granian did once, starting); then none owns it.
    return conn, owner_of(d, port) if conn.sock is not None else None


def owner_of(d: Deployment, client_port: int) -> int | None:
    assert d.proc is not None
    leader = psutil.Process(d.proc.pid)
    for proc in [leader, *leader.children(recursive=True)]:
        for c in proc.net_connections(kind="tcp"):
            if c.laddr and c.raddr and c.laddr.port == d.port and c.raddr.port == client_port:
                return proc.pid
    return None


def connections_by_owner(
    d: Deployment, wanted: int, pids: frozenset[int] = frozenset(), patience: float = 60.0
) -> dict[int, http.client.HTTPConnection]:
    """Connections, opened eight at a time, until ``wanted`` worker processes (or those of
    ``pids``) each hold one; the others are closed.

    The server listens as soon as its first worker does, while the second may still be loading
    the app. A worker that never serves (it crashed at start) fails the test, with the count of
    connections each process held.
    """
    held: dict[int, http.client.HTTPConnection] = {}
    owners: Counter[int | None] = Counter()  # None: the server closed it, or no process held it
    deadline = time.monotonic() + patience
    with ThreadPoolExecutor(8) as pool:
        while len(held) < wanted and time.monotonic() < deadline:
            for conn, pid in pool.map(lambda _: accepted(d), range(8)):
                owners[pid] += 1
                if pid is not None and pid not in held and (not pids or pid in pids):
                    held[pid] = conn
                else:
                    conn.close()
            time.sleep(0.1)
    if len(held) < wanted:
        for conn in held.values():
            conn.close()
        raise AssertionError(
            f"no {wanted} workers in {patience:.0f}s; connections by owner: {owners}"
        )
    return held


class Worker:
    """One worker process of a server, reached on connections it accepted.

    Each request goes on a connection of its own, opened just before: one held idle across a
    slow step (the first /fit in a worker imports the scientific stack, seconds on a loaded
    machine) outlives the server's keep-alive timeout (5 s on uvicorn and hypercorn), and the
    server closes it under the client (``RemoteDisconnected``, ``BrokenPipeError``).
    """

    def __init__(self, d: Deployment, pid: int) -> None:
        self.d, self.pid = d, pid

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        [conn] = connections_by_owner(self.d, 1, frozenset({self.pid})).values()
        data = None if body is None else json.dumps(body)
        headers = {} if body is None else {"content-type": "application/json"}
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            content = r.read()
        finally:
            conn.close()
        is_json = r.getheader("content-type", "").startswith("application/json")
        return r.status, json.loads(content) if is_json else content


def two_workers(d: Deployment) -> tuple[Worker, Worker]:
    """The server's two worker processes, each known by a connection it accepted."""
    held = connections_by_owner(d, 2)
    for conn in held.values():
        conn.close()
    a, b = (Worker(d, pid) for pid in held)
    return a, b


def test_two_workers_share_items_and_the_fit(
    framework: str, target: Target, tmp_path: Path
) -> None:
    env = sqlite_env(tmp_path)
    with own_server(framework, target.server, tmp_path, env, workers=2) as d:
        a, b = two_workers(d)
        status, created = a.request("POST", "/items", {"name": "shared", "price": 2.5})
        assert status == 201
        assert b.request("GET", f"/items/{created['id']}") == (200, created)
        status, coefs = b.request("POST", "/fit", FIT)
        assert status == 200
        assert a.request("GET", "/coefs") == (200, coefs)
        assert a.request("POST", "/predict", {"X": [[1.0, 1.0]]})[0] == 200
        assert a.request("GET", "/plot")[1] == b.request("GET", "/plot")[1]
        assert a.request("PATCH", f"/items/{created['id']}", {"price": 3.0})[0] == 200
        assert b.request("GET", f"/items/{created['id']}")[1]["price"] == 3.0
        assert b.request("GET", "/reset")[0] == 200
        assert a.request("GET", "/coefs") == (200, {"intercept": None, "coef": None})
        # PATCHes of one item's fields, together, through both workers (kernel's choice).
        lost = asyncio.run(patch_rounds([d.base_url], created["id"], rounds=10))
    assert not lost, "\n".join(lost)


@pytest.mark.targets(servers=("uvicorn",), modes=("none",))
def test_with_the_memory_store_two_workers_diverge(
    framework: str, target: Target, tmp_path: Path
) -> None:
    """Why the SQLite store exists: each worker process has its own items and fit."""
    with own_server(framework, target.server, tmp_path, workers=2) as d:
        a, b = two_workers(d)
        status, created = a.request("POST", "/items", {"name": "mine", "price": 1.0})
        assert status == 201
        assert b.request("GET", f"/items/{created['id']}")[0] == 404
        assert b.request("POST", "/fit", FIT)[0] == 200
        assert a.request("GET", "/coefs") == (200, {"intercept": None, "coef": None})


# --- load --------------------------------------------------------------------------------------

CONCURRENT = 1000


async def post_all(base_url: str, n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        return await asyncio.gather(
            *(client.post("/items", json={"name": f"n{i}", "price": i}) for i in range(n))
        )


@pytest.mark.targets(servers=("uvicorn",), modes=("none",))
@pytest.mark.parametrize("store", STORES)
def test_1000_concurrent_posts_and_patches_lose_nothing(
    framework: str, target: Target, tmp_path: Path, store: str
) -> None:
    env = sqlite_env(tmp_path) if store == "sqlite" else {}
    with own_server(framework, target.server, tmp_path, env) as d:
        warm(d.base_url)
        started = time.monotonic()
        answers = asyncio.run(post_all(d.base_url, CONCURRENT))
        took = time.monotonic() - started
        statuses = {r.status_code for r in answers}
        assert statuses == {201}, statuses
        ids = sorted(r.json()["id"] for r in answers)
        assert ids == list(range(CONCURRENT))
        listed = httpx.get(f"{d.base_url}/items", params={"limit": 1000}, timeout=30).json()
        assert sorted(i["id"] for i in listed) == ids
        assert {i["name"] for i in listed} == {f"n{i}" for i in range(CONCURRENT)}
        lost = asyncio.run(patch_rounds([d.base_url], ids[0], rounds=25))
    assert not lost, "\n".join(lost)
    print(f"{CONCURRENT} POSTs in {took:.2f}s")  # noqa: T201 (shown with -s)


# --- graceful shutdown -------------------------------------------------------------------------


STARTED_S = 2.0
PARSED_S = 1.0


def unread_by_server(server_port: int, client_port: int) -> int | None:
    """Bytes the client sent on this connection that no server process has read yet (the
    server side's receive queue in ``/proc/net/tcp``); None while no such socket exists."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, _state, queues = line.split()[1:5]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            return int(queues.split(":")[1], 16)
    return None


def test_sigterm_lets_requests_in_flight_complete(
    framework: str, target: Target, tmp_path: Path
) -> None:
    """As a platform stops a server (Kubernetes, systemd, Connect): SIGTERM to its main process,
    once the server has read the request, which then completes with its 200."""
    with own_server(framework, target.server, tmp_path) as d:
        assert d.proc is not None
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60)
        try:
            # Listening is not serving: Sanic's main process binds the socket before its
            # worker has loaded the app, and a SIGTERM then finds no request in flight. The
            # first answer says the app serves.
            conn.request("GET", "/hello")
            assert json.loads(conn.getresponse().read()) == {"message": "Hello World"}
            # Serving is not started, on Sanic's own server: its manager collects its workers'
            # acks (a poll every 0.1 s) after they serve, and a SIGTERM before it has them
            # leaves it waiting for them forever once they exit (sanic/worker/manager.py
            # wait_for_ack, Sanic 25.12; sanic-org/sanic#2997, docs/reliability.md). Nothing
            # outside the manager tells when it has them: this waits twenty of its polls.
            time.sleep(STARTED_S)
            # The pending request closes the connection: an idle one would hold Sanic's worker
            # for its 15 s GRACEFUL_SHUTDOWN_TIMEOUT.
            conn.request("GET", "/async-route?delay=2", headers={"Connection": "close"})
            assert conn.sock is not None
            client_port = conn.sock.getsockname()[1]
            # In flight once a server process has read it: a fixed sleep instead raced a
            # loaded machine (SIGTERM before the request arrived, and nothing to wait for).
            deadline = time.monotonic() + 60  # a hang guard, far past a loaded machine's pace
            while unread_by_server(d.port, client_port) != 0:
                assert time.monotonic() < deadline, "the server never read the request"
                time.sleep(0.01)
            # Read is not parsed, on Sanic: it parses in a task of its own, and its shutdown
            # closes a connection whose request it has read but not parsed yet (its stage is
            # still IDLE: HttpProtocol.close_if_idle, sanic/server/protocols/http_protocol.py),
            # which one run in twenty met under two CPU hogs. The others parse as they read.
            time.sleep(PARSED_S)
            d.proc.send_signal(signal.SIGTERM)
            answer = conn.getresponse()
            status, body = answer.status, answer.read()
        finally:
            conn.close()
        exited = d.proc.wait(timeout=60)
    assert (status, json.loads(body)) == (200, {"message": "This is an asynchronous route"}), (
        f"server exited with {exited}"
    )


# What bounds each server's graceful shutdown: the option on its command line, or the
# environment variable it reads, and the bound it has without them (None: it waits as long as
# a connection lasts). Read from the command line the harness runs (servers.py), so that the
# test follows the harness. docs/reliability.md, "Graceful shutdown", says where each is used.
GRACEFUL_OPTIONS: dict[str, tuple[str, str, float | None]] = {
    # uvicorn/server.py Server.shutdown: asyncio.timeout(config.timeout_graceful_shutdown)
    "uvicorn": ("--timeout-graceful-shutdown", "", None),
    # hypercorn/asyncio/run.py worker_serve: wait_for(server tasks, config.graceful_timeout)
    "hypercorn": ("--graceful-timeout", "", 3.0),
    # granian/server/common.py _stop_workers: join(workers_kill_timeout), then SIGKILL
    "granian": ("--workers-kill-timeout", "GRANIAN_WORKERS_KILL_TIMEOUT", None),
    # sanic/server/runners.py _serve_http_1 _cleanup: GRACEFUL_SHUTDOWN_TIMEOUT (sanic/config.py)
    "native": ("", "SANIC_GRACEFUL_SHUTDOWN_TIMEOUT", 15.0),
}
EXIT_SLACK_S = 2.0  # the contract: exited within the graceful timeout plus this
SHUTDOWN_GUARD_S = 60.0  # a hang guard for each read, and past the bound for the exit

NETWORK_CLOSE = None  # no close frame: the connection ends (a browser's close event says 1006)


def graceful_timeout(d: Deployment) -> float | None:
    """The bound on ``d``'s graceful shutdown, as its command line and environment set it
    (the server inherits this process's environment, as processes.spawn starts it)."""
    option, variable, default = GRACEFUL_OPTIONS[d.server]
    argv, env = d.command()
    env = {**os.environ, **env}
    if option and option in argv:
        return float(argv[argv.index(option) + 1])
    if variable and variable in env:
        return float(env[variable])
    return default


# What an open ``WS /ws`` gets from a SIGTERM: the close code, or NETWORK_CLOSE. No server
# sends 1001 ("going away", core.live.GOING_AWAY): uvicorn sends 1012 ("service restart") at
# once, itself; hypercorn 1011 ("internal error") once its graceful timeout cancels the
# handler; granian drops the connection and tells the app it has gone; Sanic's own server
# sends 1000 at once, as it cancels the handler (its 1001 is for handlers that outlive that).
CLOSE_AT_SHUTDOWN: dict[str, int | None] = {
    "uvicorn": 1012,
    "hypercorn": 1011,
    "granian": NETWORK_CLOSE,
    "native": NORMAL_CLOSURE,
}


async def live_through_sigterm(d: Deployment) -> dict[str, Any]:
    """A WebSocket and an event stream of 100 events, each open and spoken on, then SIGTERM to
    the server's main process: when each ended, and how, in seconds after the signal."""
    assert d.proc is not None
    proc = d.proc
    seen: dict[str, Any] = {}
    timeout = httpx.Timeout(SHUTDOWN_GUARD_S)
    async with httpx.AsyncClient(base_url=d.base_url, timeout=timeout) as client:
        # Past Sanic's start-up window (its manager has its worker's ack), as in the SIGTERM
        # test above.
        await asyncio.sleep(STARTED_S)
        websocket_to: AbstractAsyncContextManager[AsyncWebSocketSession] = aconnect_ws(
            "/ws", client
        )
        async with websocket_to as ws:
            hello = json.loads(await ws.receive_text(timeout=SHUTDOWN_GUARD_S))
            assert hello["type"] == "hello"
            params = {"count": 100, "interval": 1}
            headers = {"Accept": "text/event-stream"}
            async with client.stream("GET", "/events", params=params, headers=headers) as r:
                assert r.status_code == 200
                chunks = r.aiter_text()
                text = ""
                while "\n\n" not in text.replace("\r\n", "\n"):
                    text += await anext(chunks)
                first = text.replace("\r\n", "\n").split("\n\n")[0].split("\n")
                assert "id: 1" in first, first
                proc.send_signal(signal.SIGTERM)
                signalled = time.monotonic()

                async def websocket() -> None:
                    try:
                        message = await ws.receive(timeout=SHUTDOWN_GUARD_S)
                    except WebSocketDisconnect as closed:
                        seen["close"] = closed.code
                    except WebSocketNetworkError:
                        seen["close"] = NETWORK_CLOSE
                    else:
                        seen["close"] = f"a message instead of a close: {message!r}"
                    seen["closed_s"] = time.monotonic() - signalled

                async def stream() -> None:
                    events = text.count("\n\n")
                    try:
                        async for chunk in chunks:
                            events += chunk.count("\n\n")
                    except (httpx.RemoteProtocolError, httpx.ReadError) as cut:
                        seen["stream"] = type(cut).__name__  # closed in mid-body
                    else:
                        seen["stream"] = "ended"
                    seen["events"] = events
                    seen["stream_s"] = time.monotonic() - signalled

                async def exited() -> None:
                    deadline = signalled + SHUTDOWN_GUARD_S + (graceful_timeout(d) or 0)
                    while proc.poll() is None or group_alive(proc.pid):
                        if time.monotonic() > deadline:
                            seen["exit_s"] = None  # still running: the hang guard
                            return
                        await asyncio.sleep(0.02)
                    seen["exit_s"] = time.monotonic() - signalled

                await asyncio.gather(websocket(), stream(), exited())
    return seen


def test_sigterm_closes_websockets_and_event_streams(
    framework: str, target: Target, tmp_path: Path
) -> None:
    """SIGTERM to a server's main process with ``WS /ws`` and ``GET /events`` open: the
    WebSocket is closed (with the code the server sends, CLOSE_AT_SHUTDOWN), the stream ends
    (the connection is closed in mid-body: no server finishes a streamed body), and every
    process of the server has exited within its graceful timeout plus EXIT_SLACK_S."""
    with own_server(framework, target.server, tmp_path) as d:
        bound = graceful_timeout(d)
        option, variable, _ = GRACEFUL_OPTIONS[target.server]
        assert bound is not None, (
            f"{target.server} runs without {option or variable}: it waits for an open event "
            "stream as long as it lasts (100 s here)"
        )
        # Serving, with its libraries loaded: an import still under way when the signal
        # comes (the app's warm-up, on a loaded machine) would hold up the exit for as long as
        # it takes, which is not the shutdown's doing.
        warm(d.base_url)
        seen = asyncio.run(live_through_sigterm(d))
    print(f"{target.server} {framework}: {seen}")  # noqa: T201 (shown with -s)
    limit = bound + EXIT_SLACK_S
    assert seen["exit_s"] is not None and seen["exit_s"] <= limit, (seen, limit)
    assert seen["close"] == CLOSE_AT_SHUTDOWN[target.server], seen
    assert seen["closed_s"] <= limit, (seen, limit)
    assert seen["stream"] != "ended" and seen["events"] < 100, seen
    assert seen["stream_s"] <= limit, (seen, limit)
