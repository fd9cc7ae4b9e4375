"""The PostgreSQL store (``ASGI_COMPARE_STORE=postgresql://...``) against a real PostgreSQL
server, started once for the session, for every adapter.

- In-process: the same requests to an app with the memory store and to one with PostgreSQL get
  the same status, headers and body bytes (/coefs, /predict and /plot included).
- Across hosts, simulated by two server processes that share nothing but the database (their
  own working directories, different servers): an item, a PATCH, a fit and a reset made through
  one are seen through the other; 1,000 concurrent POSTs split across both get 1,000 distinct
  ids and a list of 1,000; concurrent PATCHes through both lose no field; kill -9 of one while
  it acknowledges POSTs loses none of them.
- The database stopped mid-run: requests that need it get a 503 JSON error with Retry-After,
  each within the pool's wait and never a 500; /hello still answers; when the database is back
  the same server process recovers, with every acknowledged item.
- A URL that cannot be used, or a database that cannot be reached, stops the server at start
  with a message naming ASGI_COMPARE_STORE (and not the password).
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from asgi_compare.harness import Deployment, applies, free_port
from asgi_compare.harness.postgres import PostgresServer
from conformance_tests._apis import OUTAGE_BOUND_S, client_of, patch_rounds, warm
from conformance_tests._data import FIT
from conformance_tests.plugin import Target
from core.postgres import PostgresItemStore
from core.service import Service
from core.settings import Settings

CONCURRENT = 1000


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session; each test makes its own database on it."""
    with PostgresServer(tmp_path_factory.mktemp("postgres"), durable=False) as server:
        yield server


# --- in-process: the same bytes as the memory store -------------------------------------------


@asynccontextmanager
async def client_with(framework: str, service: Service) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh app of ``framework`` on ``service``, its lifespan started."""
    app = importlib.import_module(f"{framework}_app.app").create_app(service=service)
    async with client_of(app) as client:
        yield client


SEQUENCE: list[tuple[str, str, Any]] = [
    ("GET", "/items", None),
    ("POST", "/items", {"name": "a", "price": 1.5}),
    ("POST", "/items", {"name": "b", "price": 0.1, "tax": 1e-7, "description": "é"}),
    ("POST", "/items", {"name": "c", "price": 123456789.123456789}),
    ("GET", "/items?offset=1&limit=5", None),
    ("GET", "/items/1", None),
    ("PUT", "/items/0", {"name": "a2", "price": 2.5, "tax": 0.2}),
    ("PATCH", "/items/1", {"description": None, "price": 3.3}),
    ("DELETE", "/items/2", None),
    ("GET", "/items/2", None),
    ("GET", "/items/9223372036854775808", None),
    ("POST", "/items", {"name": "d", "price": 4.0}),
    ("GET", "/items", None),
    ("GET", "/coefs", None),
    ("GET", "/plot", None),
    ("POST", "/fit", FIT),
    ("GET", "/coefs", None),
    ("POST", "/predict", {"X": [[1.0, 1.0], [0.1, 1e6]]}),
    ("GET", "/plot", None),
    ("POST", "/fit", {"X": [[0.1], [0.2], [0.7]], "y": [1.0 / 3, 2.0 / 3, 0.9]}),
    ("GET", "/plot", None),
    ("GET", "/reset", None),
    ("GET", "/coefs", None),
    ("POST", "/predict", {"X": [[1.0]]}),
]


async def transcript(client: httpx.AsyncClient) -> list[tuple[int, str | None, bytes]]:
    answers = []
    for method, path, body in SEQUENCE:
        r = await client.request(method, path, json=body)
        answers.append((r.status_code, r.headers.get("content-type"), r.content))
    return answers


@pytest.mark.anyio
@pytest.mark.in_process
async def test_answers_are_the_memory_stores_byte_for_byte(
    framework: str, postgres: PostgresServer
) -> None:
    memory = Service.create(Settings())
    stored = Service.create(Settings(store=postgres.create_database()))
    try:
        async with client_with(framework, memory) as client:
            expected = await transcript(client)
        async with client_with(framework, stored) as client:
            got = await transcript(client)
    finally:
        assert isinstance(stored.items, PostgresItemStore)
        stored.items.db.close()
    for step, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, f"{SEQUENCE[step][:2]}"


# --- across hosts ------------------------------------------------------------------------------


def peer_server(framework: str, server: str) -> str:
    """The other host's server: the framework's own if it has one, else hypercorn (uvicorn
    when the first is hypercorn)."""
    for candidate in ("native", "hypercorn", "uvicorn"):
        if candidate != server and applies(framework, candidate):
            return candidate
    raise AssertionError(f"no second server for {framework}")


class Host(Deployment):
    """A server run in its own working directory (``env --chdir`` execs: same process)."""

    def command(self) -> tuple[list[str], dict[str, str]]:
        argv, env = super().command()
        return ["env", f"--chdir={self.workdir}", *argv], env


def two_hosts(framework: str, server: str, tmp_path: Path, url: str) -> list[Deployment]:
    """Two servers that share nothing but the database: each its own folder and server."""
    env = {"ASGI_COMPARE_STORE": url}
    hosts: list[Deployment] = []
    for name, kind in (("host-a", server), ("host-b", peer_server(framework, server))):
        (tmp_path / name).mkdir()
        hosts.append(Host(framework, kind, workdir=tmp_path / name, env=env))
    return hosts


def started(hosts: list[Deployment]) -> None:
    for d in hosts:  # both start, then both are waited for: their start-ups overlap
        d.start()
    for d in hosts:
        d.wait_ready(timeout=60.0)


async def post_split(urls: list[str], n: int) -> list[httpx.Response]:
    """``n`` POST /items at once, alternately to each host.

    Over at most 50 connections per host: hypercorn's listen backlog is 100, and more
    connections opened at once are reset by the kernel before the server sees them; and
    hypercorn closes a connection whose next request it has not read within its keep-alive
    timeout (5 s: the idle timer of ``TCPServer.run``, hypercorn/asyncio/tcp_server.py, runs
    from the accept, and again after each answer), which a loop busy with 100 connections'
    requests on a loaded machine once missed (httpx.ReadError). The requests wait at a gate
    of 50 a host, not in httpx's pool: a pool with requests queued for its connections spends
    four times the CPU (31 s against 7 s for 1,000 POSTs over 50 connections, measured).
    """
    most = 50
    limits = httpx.Limits(max_connections=most, max_keepalive_connections=most)
    clients = [httpx.AsyncClient(base_url=url, timeout=120, limits=limits) for url in urls]
    gates = [asyncio.Semaphore(most) for _ in urls]

    async def post(i: int) -> httpx.Response:
        async with gates[i % len(urls)]:
            return await clients[i % len(urls)].post("/items", json={"name": f"n{i}", "price": i})

    try:
        return await asyncio.gather(*(post(i) for i in range(n)))
    finally:
        for client in clients:
            await client.aclose()


def post_until_refused(base_url: str, answers: list[httpx.Response]) -> None:
    """POST /items one after another until the server stops answering."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for i in range(900):  # fewer than a page of /items, which holds 1,000
            try:
                answers.append(client.post("/items", json={"name": f"k{i}", "price": i}))
            except httpx.HTTPError:
                return


@pytest.mark.starts_servers
@pytest.mark.targets(servers=("uvicorn",), modes=("none",))
def test_two_hosts_share_everything_through_the_database(
    framework: str, target: Target, tmp_path: Path, postgres: PostgresServer
) -> None:
    hosts = two_hosts(framework, target.server, tmp_path, postgres.create_database())
    a, b = (httpx.Client(base_url=d.base_url, timeout=60) for d in hosts)
    try:
        started(hosts)
        for d in hosts:
            warm(d.base_url)  # the app at work, not importing its libraries

        answers = asyncio.run(post_split([d.base_url for d in hosts], CONCURRENT))
        assert {r.status_code for r in answers} == {201}
        ids = sorted(r.json()["id"] for r in answers)
        assert ids == list(range(CONCURRENT))
        listed = a.get("/items", params={"limit": CONCURRENT}).json()
        assert sorted(i["id"] for i in listed) == ids
        assert {i["name"] for i in listed} == {f"n{i}" for i in range(CONCURRENT)}
        assert b.get("/items", params={"limit": CONCURRENT}).json() == listed
        lost = asyncio.run(patch_rounds([d.base_url for d in hosts], ids[0], rounds=10))
        assert not lost, "\n".join(lost)

        created = a.post("/items", json={"name": "shared", "price": 2.5})
        assert created.status_code == 201
        assert b.get(f"/items/{created.json()['id']}").json() == created.json()
        assert a.patch(f"/items/{created.json()['id']}", json={"tax": 0.5}).status_code == 200
        assert b.get(f"/items/{created.json()['id']}").json()["tax"] == 0.5
        fit = b.post("/fit", json=FIT)
        assert fit.status_code == 200
        assert a.get("/coefs").content == fit.content
        predict = {"X": [[1.0, 1.0]]}
        assert a.post("/predict", json=predict).content == b.post("/predict", json=predict).content
        assert a.get("/plot").content == b.get("/plot").content
        assert a.get("/reset").status_code == 200
        assert b.get("/coefs").json() == {"intercept": None, "coef": None}
        assert b.get("/plot").status_code == 400

        # kill -9 of host b while it acknowledges POSTs: host a has every one of them.
        posted: list[httpx.Response] = []
        writer = threading.Thread(target=post_until_refused, args=(hosts[1].base_url, posted))
        writer.start()
        while len(posted) < 200 and writer.is_alive():  # killed mid-stream, well before the end
            time.sleep(0.005)
        hosts[1].kill()
        writer.join(timeout=30)
        assert {r.status_code for r in posted} == {201}
        acknowledged = [r.json() for r in posted]
        assert 0 < len(acknowledged) < 900, "host b was not killed while it wrote"
        after = a.get("/items", params={"offset": CONCURRENT + 1, "limit": 1000}).json()
        kept = {i["id"]: i for i in after}
        assert [kept.get(i["id"]) for i in acknowledged] == acknowledged
    finally:
        a.close()
        b.close()
        for d in hosts:
            d.stop()


# --- the database going away -------------------------------------------------------------------


def timed(client: httpx.Client, method: str, path: str, body: Any = None) -> httpx.Response:
    started_at = time.monotonic()
    r = client.request(method, path, json=body)
    took = time.monotonic() - started_at
    assert took < OUTAGE_BOUND_S, f"{method} {path} took {took:.1f}s"
    return r


@pytest.mark.starts_servers
@pytest.mark.targets(servers=("uvicorn",), modes=("none",))
def test_a_database_outage_is_a_503_and_the_app_recovers(
    framework: str, target: Target, tmp_path: Path, postgres: PostgresServer
) -> None:
    env = {"ASGI_COMPARE_STORE": postgres.create_database()}
    d = Deployment(framework, target.server, workdir=tmp_path, env=env)
    try:
        d.start()
        d.wait_ready(timeout=60.0)
        assert d.proc is not None
        pid = d.proc.pid
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            acknowledged = [
                client.post("/items", json={"name": f"n{i}", "price": i}).json() for i in range(20)
            ]
            assert client.post("/fit", json=FIT).status_code == 200
            coefs = client.get("/coefs").content

            postgres.stop()
            try:
                for method, path, body in [
                    ("GET", "/items/0", None),
                    ("POST", "/items", {"name": "refused", "price": 1.0}),
                    ("GET", "/items", None),
                    ("PATCH", "/items/1", {"price": 9.0}),
                    ("DELETE", "/items/2", None),
                    ("GET", "/coefs", None),
                    ("POST", "/predict", {"X": [[1.0, 1.0]]}),
                    ("GET", "/plot", None),
                    ("GET", "/reset", None),
                ]:
                    r = timed(client, method, path, body)
                    assert r.status_code == 503, (method, path, r.status_code, r.text)
                    assert r.headers["retry-after"] == "5"
                    assert r.headers["content-type"].startswith("application/json")
                    assert r.json() == {
                        "detail": "The database is not available; try again shortly"
                    }
                assert timed(client, "GET", "/hello").status_code == 200  # needs no database
                burst = asyncio.run(burst_of_gets(d.base_url, 20))
                assert burst == [503] * 20
            finally:
                postgres.start()

            deadline = time.monotonic() + 60  # a restart on a loaded machine takes seconds
            while (r := timed(client, "GET", "/items?limit=100")).status_code != 200:
                assert r.status_code == 503, r.text
                assert time.monotonic() < deadline, "not recovered 60 s after the database"
                time.sleep(0.25)
            assert r.json() == acknowledged  # none lost, none of the refused writes applied
            assert client.get("/coefs").content == coefs
            assert client.post("/items", json={"name": "x", "price": 1}).status_code == 201
        assert d.proc is not None and d.proc.pid == pid and d.proc.poll() is None  # no restart
    finally:
        d.stop()


async def burst_of_gets(base_url: str, n: int) -> list[int]:
    """``n`` requests at once: an outage must not make them queue behind each other's waits."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        started_at = time.monotonic()
        answers = await asyncio.gather(*(client.get(f"/items/{i}") for i in range(n)))
        took = time.monotonic() - started_at
    assert took < 2 * OUTAGE_BOUND_S, f"{n} requests at once took {took:.1f}s"
    return [r.status_code for r in answers]


@pytest.mark.starts_servers
@pytest.mark.targets(servers=("uvicorn",), modes=("none",))
@pytest.mark.parametrize("problem", ["unreachable", "bad-url"])
def test_a_database_that_cannot_be_used_stops_the_server(
    framework: str, target: Target, tmp_path: Path, problem: str
) -> None:
    url = {
        "unreachable": f"postgresql://app:hunter2@127.0.0.1:{free_port()}/db",
        "bad-url": "postgresql://app:hunter2@127.0.0.1/db?sslmod=require",
    }[problem]
    d = Deployment(framework, target.server, workdir=tmp_path, env={"ASGI_COMPARE_STORE": url})
    d.start()
    with pytest.raises(RuntimeError, match="exited with"):
        d.wait_ready(timeout=60.0)
    log = d.log.read_text()
    assert "ASGI_COMPARE_STORE" in log
    assert "hunter2" not in log
