"""Settings read from the environment when an app is created, for every adapter."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from conformance_tests.plugin import MOUNTS, Mount, open_api

pytestmark = pytest.mark.anyio


async def test_greetings_file_replaces_the_shipped_greetings(
    framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "greetings.json"
    path.write_text(json.dumps({"fr": "Bonjour", "de": "Hallo"}), encoding="utf-8")
    monkeypatch.setenv("GREETINGS_FILE", str(path))
    async with AsyncExitStack() as stack:
        api = await open_api(stack, framework, MOUNTS[0])
        r = await api.client.get("/greetings")
        assert r.json() == [{"lang": "de", "text": "Hallo"}, {"lang": "fr", "text": "Bonjour"}]
        assert (await api.client.get("/greetings/en")).status_code == 404


@pytest.mark.parametrize("path_has_root", [True, False], ids=["prefix-in-path", "prefix-stripped"])
async def test_root_path_setting_serves_under_a_prefix_the_server_does_not_send(
    framework: str, path_has_root: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sanic's own server has no root-path option, and uvicorn's would repeat the prefix when
    # a proxy keeps it: the app is told the prefix instead, and the scope's root_path is "".
    monkeypatch.setenv("ASGI_COMPARE_ROOT_PATH", "/px/")
    base = Mount("setting", "", True)
    async with AsyncExitStack() as stack:
        api = await open_api(stack, framework, base)
        prefix = "/px" if path_has_root else ""
        r = await api.client.get(f"{prefix}/")
        assert (r.status_code, r.headers["location"]) == (307, "/px/docs")
        assert (await api.client.get(f"{prefix}/about")).json()["root_path"] == "/px"
        r = await api.client.post(f"{prefix}/items", json={"name": "n", "price": 1})
        assert r.headers["location"] == "/px/items/0"
        doc = (await api.client.get(f"{prefix}/openapi.json")).json()
        assert doc["servers"] == [{"url": "/px"}]
