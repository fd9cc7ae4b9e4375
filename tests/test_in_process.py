"""Each adapter tested in-process as its users would test it: httpx's ``ASGITransport`` and
asgi-lifespan's ``LifespanManager``, nothing else in between (neither puts ``scope["asgi"]``
in). And what ``/about`` shows of the request: the scheme, host and client a trusted proxy
forwards, and nobody else's."""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest

from asgi_compare.harness import FRAMEWORKS, REFERENCE
from conformance_tests._apis import started
from core.settings import Settings
from tests._in_process import app_client

pytestmark = pytest.mark.anyio

FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.org",
    "X-Forwarded-For": "203.0.113.7",
}


@asynccontextmanager
async def client(
    adapter: str, settings: Settings | None = None, peer: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(adapter, settings, peer) as c:  # its start-up guarded against a hang
        yield c


async def test_hello_with_httpx_and_asgi_lifespan(adapter: str) -> None:
    async with client(adapter) as c:
        r = await c.get("/hello")
    assert r.status_code == 200
    assert r.json() == {"message": "Hello World"}


async def test_about_shows_the_request_as_it_came() -> None:
    for adapter in FRAMEWORKS:
        async with client(adapter) as c:
            about = (await c.get("/about")).json()
        assert (about["scheme"], about["host"], about["client"]) == (
            "http",
            "testserver",
            "127.0.0.1",
        ), adapter


async def test_a_trusted_proxy_sets_the_scheme_host_and_client(adapter: str) -> None:
    async with client(adapter) as c:
        about = (await c.get("/about", headers=FORWARDED)).json()
    assert (about["scheme"], about["host"], about["client"]) == (
        "https",
        "api.example.org",
        "203.0.113.7",
    )


async def test_an_untrusted_peer_sets_nothing(adapter: str) -> None:
    async with client(adapter, peer="198.51.100.2") as c:
        headers = {**FORWARDED, "X-Forwarded-Prefix": "/evil"}
        about = (await c.get("/about", headers=headers)).json()
        docs = await c.get("/")
    assert (about["scheme"], about["host"], about["client"], about["root_path"]) == (
        "http",
        "testserver",
        "198.51.100.2",
        "",
    )
    assert docs.headers["location"] == "/docs"


async def test_the_nearest_untrusted_hop_is_the_client(adapter: str) -> None:
    settings = Settings(forwarded_allow_ips=("127.0.0.1", "10.0.0.0/8"))
    async with client(adapter, settings) as c:
        headers = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7, 10.1.2.3"}
        about = (await c.get("/about", headers=headers)).json()
    assert about["client"] == "203.0.113.7"


async def test_a_configured_prefix_is_never_overridden_by_a_header(adapter: str) -> None:
    async with client(adapter, Settings(root_path="/px")) as c:
        about = (await c.get("/px/about", headers={"X-Forwarded-Prefix": "/evil"})).json()
        docs = await c.get("/px/", headers={"X-Forwarded-Prefix": "/evil"})
    assert about["root_path"] == "/px"
    assert docs.headers["location"] == "/px/docs"


async def raw_get(app: Any, path: str, query: bytes) -> tuple[int, Any]:
    """GET with ``query`` as the scope's bytes, as a server hands on what a client sent: httpx
    would have percent-encoded anything past ASCII."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:  # the client stays: a server would next say http.disconnect, when it goes
            await anyio.sleep_forever()
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    [status] = [m["status"] for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


async def test_a_query_with_raw_bytes_past_ascii_is_answered_as_fastapi_does(adapter: str) -> None:
    answers = {}
    for name in dict.fromkeys((REFERENCE, adapter)):
        create_app: Any = importlib.import_module(f"{name}_app.app").create_app
        async with started(create_app()) as app:
            answers[name] = [
                await raw_get(app, "/add", b"x=\xff"),  # not UTF-8
                await raw_get(app, "/user/1", b"name=\xc3\xa9"),  # UTF-8, unencoded
            ]
    (bad, bad_body), (ok, ok_body) = answers[adapter]
    assert bad == 422 and bad_body["detail"][0]["loc"] == ["query", "x"]
    assert (ok, ok_body) == (200, {"user_id": 1, "name": "é"})
    assert answers[adapter] == answers[REFERENCE]
