"""GET /hello with no framework: the same bytes FastAPI sends, straight onto ASGI. And the live
routes' ceiling: ``WS /ws`` accepts ``asgi-compare.v1``, sends a hello and echoes a text as
``{"type": "echo", "text": T}`` (binary as it came); ``GET /events?count=&interval=`` sends
the contract's ``tick`` events. Nothing is validated or limited."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from asgi_compare.bench_apps import lifespan
from asgi_compare.bench_apps.models import SUBPROTOCOL

BODY = b'{"message":"Hello World"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    elif scope["type"] == "websocket":
        await _websocket(scope, receive, send)
    elif scope["path"] == "/hello":
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})
    elif scope["path"] == "/events":
        await _events(scope, send)
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def _events(scope: dict[str, Any], send: Any) -> None:
    query = parse_qs(scope["query_string"].decode("latin-1"))
    count = int(query.get("count", ["5"])[0])
    interval = float(query.get("interval", ["1"])[0])
    await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
    for n in range(1, count + 1):
        if n > 1:
            await asyncio.sleep(interval)
        data = f'{{"n":{n},"count":{count}}}'
        event = f"id: {n}\nevent: tick\ndata: {data}\n\n".encode()
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    chosen = SUBPROTOCOL if SUBPROTOCOL in scope.get("subprotocols", ()) else None
    await send({"type": "websocket.accept", "subprotocol": chosen})
    await send({"type": "websocket.send", "text": '{"type": "hello", "about": {}}'})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None:
            await send(
                {"type": "websocket.send", "text": json.dumps({"type": "echo", "text": text})}
            )
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
