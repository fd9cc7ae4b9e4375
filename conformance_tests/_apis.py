"""How a test reaches an adapter: in-process over ASGI, on a real server, or a server of its own."""

from __future__ import annotations

import asyncio
import functools
import importlib
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from httpx_ws.transport import ASGIWebSocketTransport

from asgi_compare.harness import Deployment
from conformance_tests._data import FIT
from conformance_tests._options import MOUNTS
from core.head import Message, Receive, Scope, Send
from core.postgres import WAIT_S
from core.settings import Settings


@dataclass(frozen=True, slots=True)
class Api:
    """What a test gets: the client, the adapter's id and the prefix it is served under."""

    framework: str
    root: str
    client: httpx.AsyncClient
    local: bool = True  # started by this run (so its framework and versions are known)


def load_app(framework: str, settings: Settings | None = None) -> Any:
    """A fresh app of this adapter, from its own ``create_app()``; settings from the
    environment unless given."""
    module = importlib.import_module(f"{framework}_app.app")
    factory: Callable[[Settings | None], Any] = module.create_app
    return factory(settings)


# The contract answers a database outage within core.postgres.WAIT_S. A test asserting WAIT_S
# itself would race a loaded machine; three times it still tells a bounded wait from
# psycopg-pool's default of 30 s (and 20 requests at once from 20 waits in a row).
OUTAGE_BOUND_S = 3 * WAIT_S

# A hang guard, not a deadline. A start-up on a loaded 2-core machine takes seconds: importing a
# framework, and the warm-up importing NumPy, scikit-learn and matplotlib beside it (holding the
# GIL for long stretches). A hang (an app that never answers the lifespan, as Falcon once did)
# takes forever, and still fails here. asgi-lifespan's own default is 5 s.
LIFESPAN_GUARD_S = 120.0


@asynccontextmanager
async def started(app: Any) -> AsyncIterator[Any]:
    """``app`` with its lifespan started by asgi-lifespan's ``LifespanManager``, as users test
    an app; yields what to call (the app, with the lifespan's state)."""
    async with LifespanManager(
        app, startup_timeout=LIFESPAN_GUARD_S, shutdown_timeout=LIFESPAN_GUARD_S
    ) as manager:
        yield manager.app


class AsServersSpeak:
    """An app, as httpx-ws's ASGI transport (0.9) calls it, spoken to as a server would:

    - the scope announces the ASGI ``websocket.http.response`` extension, which the transport
      implements (a handshake refused with an HTTP answer reaches the client as that answer,
      as from uvicorn or hypercorn) but leaves out of the scope;
    - a ``websocket.close`` gets a ``reason`` when the app sent none: the ASGI spec makes it
      optional, the transport reads it as required (a ``KeyError`` in its read).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "extensions": {**scope.get("extensions", {}), WS_DENIAL: {}}}

        async def send_with_reason(message: Message) -> None:
            if message["type"] == "websocket.close":
                message = {"reason": "", **message}
            await send(message)

        await self.app(scope, receive, send_with_reason)


WS_DENIAL = "websocket.http.response"


@asynccontextmanager
async def client_of(
    app: Any,
    base_url: str = "http://testserver",
    headers: dict[str, str] | None = None,
    **transport: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """``app`` started, and an httpx client over ASGI for it, WebSockets included (httpx-ws;
    ``transport``: ``httpx.ASGITransport``'s ``root_path`` or ``client``)."""
    async with started(app) as running:
        asgi = ASGIWebSocketTransport(
            app=AsServersSpeak(running),
            # The transport's own wait for the app's accept is 1 s: a deadline a loaded
            # machine can miss. This is a hang guard.
            initial_receive_timeout=LIFESPAN_GUARD_S,
            **transport,
        )
        async with httpx.AsyncClient(transport=asgi, base_url=base_url, headers=headers) as client:
            yield client


async def open_in_process(
    stack: AsyncExitStack,
    framework: str,
    mount: str = "no-prefix",
    settings: Settings | None = None,
) -> Api:
    """A fresh app with its lifespan started, and a client for it at ``mount``."""
    root, path_has_root = MOUNTS[mount]
    base = "http://testserver" + (root if path_has_root else "")
    app = load_app(framework, settings)
    client = await stack.enter_async_context(client_of(app, base, root_path=root))
    return Api(framework, root, client)


@functools.cache
def tls() -> ssl.SSLContext:
    """httpx's own verification, made once for every client of the run: each client made its
    own, reading the machine's CA bundle (60 ms of CPU) for every test on a real server."""
    return httpx.create_ssl_context()


async def open_deployed(stack: AsyncExitStack, d: Deployment) -> Api:
    client = httpx.AsyncClient(base_url=d.base_url, timeout=30.0, verify=tls())
    await stack.enter_async_context(client)
    return Api(d.framework, d.root, client)


@contextmanager
def own_server(
    framework: str,
    server: str,
    workdir: Path,
    env: dict[str, str] | None = None,
    *,
    workers: int = 1,
    lean: bool = True,
) -> Iterator[Deployment]:
    """A server of a test's own (no proxy), with settings for the app, stopped afterwards."""
    d = Deployment(framework, server, workdir=workdir, env=env or {}, workers=workers, lean=lean)
    d.start()
    try:
        d.wait_ready(timeout=60.0)
        yield d
    finally:
        d.stop()


def warm(base_url: str) -> None:
    """Wait until the app has loaded NumPy, scikit-learn and matplotlib, as it does at start.

    The load is meant for the app at work, not for its first seconds, while that import holds
    the interpreter and new connections queue up in the listen backlog.
    """
    with httpx.Client(base_url=base_url, timeout=60) as client:
        assert client.post("/fit", json=FIT).status_code == 200
        assert client.get("/plot").status_code == 200
        assert client.get("/reset").status_code == 200


async def patch_rounds(urls: list[str], item_id: int, rounds: int) -> list[str]:
    """Each round PATCHes four fields of one item at once, spread over the servers at ``urls``,
    then reads the item back; returns every field a PATCH lost."""
    lost = []
    async with httpx.AsyncClient(timeout=60) as client:
        for n in range(rounds):
            changes: list[dict[str, Any]] = [
                {"name": f"name {n}"},
                {"description": f"description {n}"},
                {"price": float(n)},
                {"tax": n / 100},
            ]
            answers = await asyncio.gather(
                *(
                    client.patch(f"{urls[i % len(urls)]}/items/{item_id}", json=c)
                    for i, c in enumerate(changes)
                )
            )
            assert {r.status_code for r in answers} == {200}
            item = (await client.get(f"{urls[n % len(urls)]}/items/{item_id}")).json()
            for change in changes:
                for field, value in change.items():
                    if item[field] != value:
                        lost.append(f"round {n}: {field} is {item[field]!r}, not {value!r}")
    return lost
