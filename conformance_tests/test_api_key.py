"""The optional API key (``ASGI_COMPARE_API_KEY``).

With a key set, every route but the docs (/, /docs, its files, /openapi.json) needs
``Authorization: Key <key>`` (Posit Connect's scheme) or ``Bearer <key>``; anything else gets
401 JSON with ``WWW-Authenticate``, for unknown paths too, so the route table is not revealed.
The key appears in no answer and in no server log.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketUpgradeError, aconnect_ws
from openapi_spec_validator import validate

from asgi_compare.harness import FRAMEWORKS, REFERENCE
from conformance_tests._data import normalised
from conformance_tests.plugin import Api, Target, open_in_process, own_server
from core.routes import OPERATIONS
from core.settings import Settings

pytestmark = pytest.mark.anyio

KEY = "k3y-Th4t-must-n0t-leak"
OPEN = {"/", "/docs", "/openapi.json", "/docs/static/swagger-ui.css"}
UNAUTHORIZED = {"detail": "Missing or invalid API key"}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "0", path).replace("/docs/static/0", "/docs/static/swagger-ui.css")


ROUTES = sorted({(op.method, concrete(op.path)) for op in OPERATIONS})


@pytest.fixture
async def keyed(framework: str) -> AsyncIterator[Api]:
    async with AsyncExitStack() as stack:
        yield await open_in_process(stack, framework, "prefix-in-path", Settings(api_key=KEY))


def assert_refused(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == 'Key realm="asgi-compare", Bearer realm="asgi-compare"'
    assert KEY not in r.text


@pytest.mark.in_process
async def test_every_route_but_the_docs_needs_the_key(keyed: Api) -> None:
    for method, path in ROUTES:
        r = await keyed.client.request(method, path)
        if path in OPEN:
            assert r.status_code in (200, 307), f"{method} {path}: {r.status_code}"
        else:
            assert_refused(r)
    assert_refused(await keyed.client.get("/no/such/path"))  # 401, not 404: nothing revealed
    assert_refused(await keyed.client.request("FOO", "/items"))


@pytest.mark.in_process
@pytest.mark.parametrize(
    "authorization",
    [f"Key {KEY}", f"Bearer {KEY}", f"key {KEY}", f"BEARER  {KEY} "],
    ids=["key", "bearer", "lower-case", "spaces"],
)
async def test_the_key_opens_every_route(keyed: Api, authorization: str) -> None:
    client = keyed.client
    headers = {"authorization": authorization}
    created = await client.post("/items", json={"name": "a", "price": 1}, headers=headers)
    assert created.status_code == 201, created.text
    assert (await client.get("/items/0", headers=headers)).status_code == 200
    assert (await client.get("/no/such/path", headers=headers)).status_code == 404


@pytest.mark.in_process
@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        KEY,
        f"Basic {KEY}",
        f"Key {KEY}x",
        f"Key {KEY[:-1]}",
        "Key",
        "Bearer ",
        f"Key {KEY.upper()}",
    ],
    ids=["none", "empty", "no-scheme", "basic", "longer", "shorter", "no-key", "blank", "case"],
)
async def test_anything_but_the_key_is_refused(keyed: Api, authorization: str | None) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    assert_refused(
        await keyed.client.post("/items", json={"name": "a", "price": 1}, headers=headers)
    )
    assert_refused(await keyed.client.get("/items", headers=headers))


@pytest.mark.in_process
@pytest.mark.parametrize("authorization", [None, f"Key {KEY}x"], ids=["none", "wrong"])
async def test_a_websocket_without_the_key_is_refused_before_it_is_accepted(
    keyed: Api, authorization: str | None
) -> None:
    """403 before the handshake is accepted: nothing of the app is reached without the key."""
    headers = {} if authorization is None else {"authorization": authorization}
    with pytest.raises(WebSocketUpgradeError) as refused:
        async with aconnect_ws("/ws", keyed.client, headers=headers):
            pass
    assert refused.value.response.status_code == 403
    assert KEY not in refused.value.response.text


@pytest.mark.in_process
async def test_the_key_opens_the_websocket(keyed: Api) -> None:
    headers = {"authorization": f"Bearer {KEY}"}
    ws: AsyncWebSocketSession
    async with aconnect_ws("/ws", keyed.client, headers=headers) as ws:
        assert json.loads(await ws.receive_text(timeout=60))["type"] == "hello"


@pytest.mark.in_process
async def test_no_key_set_means_no_key_needed(framework: str) -> None:
    async with AsyncExitStack() as stack:
        api = await open_in_process(stack, framework, settings=Settings())
        assert (await api.client.get("/items")).status_code == 200


@pytest.mark.starts_servers
@pytest.mark.targets(modes=("none",))
def test_the_key_is_in_no_log(framework: str, target: Target, tmp_path: Path) -> None:
    """With access logs on, right and wrong keys and errors leave no trace of the key."""
    env = {"ASGI_COMPARE_API_KEY": KEY}
    with own_server(framework, target.server, tmp_path, env, lean=False) as d:
        with httpx.Client(base_url=d.base_url, timeout=30) as client:
            good = {"authorization": f"Key {KEY}"}
            assert client.get("/hello", headers=good).status_code == 200
            assert client.post("/items", content=b"{bad", headers=good).status_code == 422
            assert (
                client.get("/nope", headers={"authorization": f"Bearer {KEY}"}).status_code == 404
            )
            assert_refused(client.get("/hello", headers={"authorization": f"Key {KEY}!"}))
            assert_refused(client.get("/items", headers={"authorization": KEY}))
        log = d.log.read_text(errors="replace")
    assert "/nope" in log, log[-2000:]  # the access log is on
    assert KEY not in log


@pytest.mark.in_process
async def test_with_a_key_every_document_declares_it_alike() -> None:
    """So that Swagger UI offers "Authorize" and sends the key with "Try it out"."""
    documents = {}
    async with AsyncExitStack() as stack:
        for framework in FRAMEWORKS:
            api = await open_in_process(stack, framework, settings=Settings(api_key=KEY))
            r = await api.client.get("/openapi.json")  # open: the docs need it to load
            assert r.status_code == 200
            documents[framework] = r.json()
            plain = await open_in_process(stack, framework, settings=Settings())
            assert "security" not in (await plain.client.get("/openapi.json")).json()
    for framework, document in documents.items():
        validate(document)
        assert document["security"] == [{"ApiKey": []}], framework
        schemes = document["components"]["securitySchemes"]
        assert schemes["ApiKey"]["type"] == "http" and schemes["ApiKey"]["scheme"] == "bearer"
        assert normalised(document) == normalised(documents[REFERENCE]), framework
    assert KEY not in json.dumps(documents)
