"""Settings read from the environment when an app is created, for every adapter."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from conformance_tests._apis import client_of
from conformance_tests.plugin import load_app

pytestmark = [pytest.mark.anyio, pytest.mark.in_process]


@asynccontextmanager
async def fresh_client(
    framework: str, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh app built now (so it reads the environment now), with no root_path in its scope."""
    async with client_of(load_app(framework), base_url) as client:
        yield client


async def test_greetings_file_replaces_the_shipped_greetings(
    framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "greetings.json"
    path.write_text(json.dumps({"fr": "Bonjour", "de": "Hallo"}), encoding="utf-8")
    monkeypatch.setenv("GREETINGS_FILE", str(path))
    async with fresh_client(framework) as client:
        r = await client.get("/greetings")
        assert r.json() == [{"lang": "de", "text": "Hallo"}, {"lang": "fr", "text": "Bonjour"}]
        assert (await client.get("/greetings/en")).status_code == 404


@pytest.mark.parametrize("path_has_root", [True, False], ids=["prefix-in-path", "prefix-stripped"])
async def test_root_path_setting_serves_under_a_prefix_the_server_does_not_send(
    framework: str, path_has_root: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sanic's own server has no root-path option, and uvicorn's would repeat the prefix when
    # a proxy keeps it: the app is told the prefix instead, and the scope's root_path is "".
    monkeypatch.setenv("ASGI_COMPARE_ROOT_PATH", "/px/")
    base = "http://testserver" + ("/px" if path_has_root else "")
    async with fresh_client(framework, base) as client:
        r = await client.get("/")
        assert (r.status_code, r.headers["location"]) == (307, "/px/docs")
        assert (await client.get("/about")).json()["root_path"] == "/px"
        r = await client.post("/items", json={"name": "n", "price": 1})
        assert r.headers["location"] == "/px/items/0"
        doc = (await client.get("/openapi.json")).json()
        assert doc["servers"] == [{"url": "/px"}]


FORWARDED = {
    "X-Forwarded-Prefix": "/ext/",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "api.example.org",
    "X-Forwarded-For": "203.0.113.7",
}


@pytest.mark.parametrize(
    ("peer", "allow", "honoured"),
    [
        ("127.0.0.1", None, True),  # the default: trust the local proxy
        ("203.0.113.9", None, False),  # anyone else is ignored
        ("10.1.2.3", "10.0.0.0/8", True),  # a trusted network
        ("10.1.2.3", "*", True),
    ],
    ids=["local-proxy", "stranger", "trusted-network", "trust-all"],
)
async def test_forwarded_headers_are_honoured_only_from_trusted_proxies(
    framework: str, peer: str, allow: str | None, honoured: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if allow is not None:
        monkeypatch.setenv("ASGI_COMPARE_FORWARDED_ALLOW_IPS", allow)
    async with client_of(load_app(framework), headers=FORWARDED, client=(peer, 40000)) as client:
        r = await client.get("/")
        assert r.headers["location"] == ("/ext/docs" if honoured else "/docs")
        assert (await client.get("/about")).json()["root_path"] == ("/ext" if honoured else "")


async def test_an_unsafe_forwarded_prefix_is_ignored(framework: str) -> None:
    async with client_of(load_app(framework)) as client:
        r = await client.get("/", headers={"X-Forwarded-Prefix": "/a b/<script>"})
        assert r.headers["location"] == "/docs"
