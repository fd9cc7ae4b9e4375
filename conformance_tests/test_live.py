"""The live routes: ``WS /ws`` and ``GET /events`` (server-sent events), on every target.

A WebSocket is opened the way a client opens one (httpx-ws: in-process over its ASGI
transport, elsewhere over the network, through the proxy in front); a stream is read as a
browser's ``EventSource`` reads it, as it arrives. Every read has a hang guard, not a deadline.

Behind a proxy, what the client meets is what the app answers, except where the proxy's class
declares otherwise (``asgi_compare.harness.proxies``): jupyter-server-proxy answers the
handshake itself and drops close codes; a proxy that passes no WebSocket on (nginx's defaults)
runs none of these WebSocket tests (tests/test_proxies.py shows what fails there).
"""

from __future__ import annotations

import json
import time
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from httpx_ws import (
    AsyncWebSocketSession,
    WebSocketDisconnect,
    WebSocketNetworkError,
    WebSocketUpgradeError,
)
from httpx_ws import aconnect_ws as _aconnect_ws

from asgi_compare.harness import PROXIES, Proxy
from conformance_tests.plugin import Api, Target
from core.live import MESSAGE_TOO_BIG, NORMAL_CLOSURE, SUBPROTOCOL, streamed
from core.settings import Settings

pytestmark = pytest.mark.anyio

GUARD_S = 60.0  # a hang guard for each WebSocket read
MAX_MESSAGE = Settings().max_ws_message_bytes
NO_STATUS = 1005  # a close without a code (RFC 6455, 7.4.1)
# What a browser's EventSource sends, and what jupyter-server-proxy streams for (#479).
EVENT_STREAM = {"Accept": "text/event-stream"}


def declared(target: Target) -> type[Proxy]:
    """What the target's proxy declares; the contract as the app answers it, with none."""
    return PROXIES[target.proxy] if target.proxy else Proxy


def close_code(target: Target, code: int) -> int:
    """The close code the client gets when the app closes with ``code``."""
    return code if declared(target).close_code == "app's" else NO_STATUS


def aconnect_ws(
    path: str, api: Api, **kwargs: Any
) -> AbstractAsyncContextManager[AsyncWebSocketSession]:
    """A WebSocket to the app, with the client its tests use (its prefix, over its proxy)."""
    return _aconnect_ws(path, api.client, **kwargs)


def parse_events(text: str) -> list[dict[str, Any]]:
    """A ``text/event-stream`` body as the events a browser's ``EventSource`` dispatches: the
    fields of each, in any order, with ``data`` decoded as JSON; comments left out."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if fields:
            fields["data"] = json.loads(fields["data"])
            events.append(fields)
    return events


def tick(n: int, count: int) -> dict[str, Any]:
    return {"id": str(n), "event": "tick", "data": {"n": n, "count": count}}


async def assert_refused(api: Api, target: Target, path: str, **kwargs: Any) -> None:
    """A WebSocket handshake at ``path`` is refused with 403 before the app accepts it; behind
    a proxy that answers the handshake itself, the client gets no message, only the close."""
    if declared(target).handshake == "proxy's":
        closed = False
        try:
            async with aconnect_ws(path, api, **kwargs) as ws:
                await ws.receive(timeout=GUARD_S)
        except* (WebSocketDisconnect, WebSocketNetworkError):  # a close, or the connection's
            closed = True
        assert closed, "the app's refusal reached the client as a message"
        return
    with pytest.raises(WebSocketUpgradeError) as refused:
        async with aconnect_ws(path, api, **kwargs):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.websocket
async def test_a_websocket_says_hello_echoes_and_closes_when_asked(
    api: Api, target: Target
) -> None:
    about = (await api.client.get("/about")).json()
    async with aconnect_ws("/ws", api, subprotocols=[SUBPROTOCOL]) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        hello = json.loads(await ws.receive_text(timeout=GUARD_S))
        # What GET /about answers for this request: the prefix the client used, included,
        # where the proxy tells the app about it on a WebSocket as on HTTP.
        if target.mode == "forwarded" and not declared(target).forwards_prefix_on_websocket:
            about["root_path"] = ""
        assert hello == {"type": "hello", "about": about}, (hello, about)
        for text in ("hi", "", "é ✓", "close me"):
            await ws.send_text(text)
            assert json.loads(await ws.receive_text(timeout=GUARD_S)) == {
                "type": "echo",
                "text": text,
            }
        # Not an empty one: Quart reads it as text (quart/asgi.py, Quart 0.22: ``bytes or
        # text``) and closes with 1011 (docs/contract.md).
        await ws.send_bytes(b"\x00\xff binary")
        assert await ws.receive_bytes(timeout=GUARD_S) == b"\x00\xff binary"
        await ws.send_text("close")
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive(timeout=GUARD_S)
    assert closed.value.code == close_code(target, NORMAL_CLOSURE)


@pytest.mark.websocket
async def test_no_subprotocol_is_selected_unless_offered(api: Api, target: Target) -> None:
    async with aconnect_ws("/ws", api) as ws:
        assert ws.subprotocol is None
        assert json.loads(await ws.receive_text(timeout=GUARD_S))["type"] == "hello"
    told = "other.v2" if declared(target).subprotocol == "first offered" else None
    async with aconnect_ws("/ws", api, subprotocols=["other.v2"]) as ws:
        assert ws.subprotocol == told
        assert json.loads(await ws.receive_text(timeout=GUARD_S))["type"] == "hello"


@pytest.mark.websocket
async def test_a_message_over_the_limit_closes_with_1009(api: Api, target: Target) -> None:
    at_limit = "x" * MAX_MESSAGE
    for message in (at_limit, at_limit.encode()):  # a text, then a binary message
        async with aconnect_ws("/ws", api) as ws:
            await ws.receive_text(timeout=GUARD_S)  # hello
            if isinstance(message, str):
                await ws.send_text(message)
                assert json.loads(await ws.receive_text(timeout=GUARD_S))["text"] == message
                await ws.send_text(message + "x")
            else:
                await ws.send_bytes(message)
                assert await ws.receive_bytes(timeout=GUARD_S) == message
                await ws.send_bytes(message + b"x")
            with pytest.raises(WebSocketDisconnect) as closed:
                await ws.receive(timeout=GUARD_S)
        assert closed.value.code == close_code(target, MESSAGE_TOO_BIG), type(message)


@pytest.mark.websocket
async def test_a_handshake_on_any_other_path_is_refused_with_403(api: Api, target: Target) -> None:
    for path in ("/hello", "/no/such/path", "/ws/", "/events"):
        await assert_refused(api, target, path)
    # The paths' HTTP answers are unchanged.
    assert (await api.client.get("/hello")).status_code == 200


async def test_a_plain_get_on_the_websocket_path_is_not_found(api: Api) -> None:
    r = await api.client.get("/ws")
    assert r.status_code == 404, r.text
    assert r.json() == {"detail": "Not Found"}


async def test_events_are_ticks_with_their_ids(api: Api, target: Target) -> None:
    params = {"count": 3, "interval": 0}
    r = await api.client.get("/events", params=params, headers=EVENT_STREAM)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].partition(";")[0] == "text/event-stream"
    assert r.headers["cache-control"] == "no-cache"
    if not target.proxy:  # a header for the proxy: nginx's consume it (proxy_hide_header)
        assert r.headers["x-accel-buffering"] == "no"
    assert parse_events(r.text) == [tick(n, 3) for n in (1, 2, 3)]
    default = await api.client.get("/events", params={"interval": 0}, headers=EVENT_STREAM)
    assert parse_events(default.text) == [tick(n, 5) for n in range(1, 6)]


async def test_last_event_id_resumes_after_it(api: Api) -> None:
    params = {"count": 4, "interval": 0}
    # An ID the stream never sent starts it afresh.
    cases = [
        ("2", [3, 4]),
        ("4", []),
        ("0", [1, 2, 3, 4]),
        ("x", [1, 2, 3, 4]),
        ("9", [1, 2, 3, 4]),
    ]
    for last_event_id, resumed in cases:
        headers = {**EVENT_STREAM, "Last-Event-ID": last_event_id}
        r = await api.client.get("/events", params=params, headers=headers)
        assert r.status_code == 200, r.text
        assert parse_events(r.text) == [tick(n, 4) for n in resumed], last_event_id


async def test_an_invalid_events_query_is_a_422(api: Api) -> None:
    invalid: list[dict[str, Any]] = [
        {"count": 0},
        {"count": 101},
        {"count": "x"},
        {"interval": -1},
        {"interval": 10.5},
    ]
    for query in invalid:
        r = await api.client.get("/events", params=query)
        assert r.status_code == 422, (query, r.text)
        [error] = r.json()["detail"]
        assert error["loc"] == ["query", next(iter(query))], query


# In-process, httpx's ASGI transport hands over an answer once it has ended: the stream's
# pace is a server's and a proxy's, seen on their targets.
@pytest.mark.targets(servers=("uvicorn", "hypercorn", "granian", "native", "url"))
async def test_each_event_arrives_as_it_is_made(api: Api) -> None:
    """Unbuffered: with three events a second apart, the first reaches the client well before
    the last is made. A buffering server or proxy delivers all three together, at the end.
    The margin is wide: one full interval of the two between the first and the last."""
    arrived: list[float] = []
    params = {"count": 3, "interval": 1}
    timeout = httpx.Timeout(GUARD_S)
    events = api.client.stream(
        "GET", "/events", params=params, headers=EVENT_STREAM, timeout=timeout
    )
    async with events as r:
        assert r.status_code == 200
        text = ""
        async for chunk in r.aiter_text():
            text += chunk
            while len(arrived) < text.count("\n\n"):
                arrived.append(time.monotonic())
    assert parse_events(text) == [tick(n, 3) for n in (1, 2, 3)]
    assert streamed(arrived, interval=1), f"events arrived at {arrived}"
