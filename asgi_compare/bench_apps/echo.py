"""Answers with what reached it: the scope's path, root_path, HTTP version, client and headers.

What a proxy does to a request, seen from the app. ``.../redirect`` answers 307 to the
path-only ``/target``; ``.../upstream-redirect`` to ``/target`` on the Host it was sent.

``.../events`` answers ``text/event-stream``: ``count`` events (3), ``interval`` seconds (1)
apart, each made only when it is sent and saying when (``time.monotonic()``, one clock for every
process of the machine), so that a client can tell whether the proxy passed the first on before
the app made the second; with ``X-Accel-Buffering: no``, which asks nginx not to buffer it,
unless ``hint=0``. A WebSocket is accepted with the last subprotocol the client offers (so
that a proxy which chooses one itself shows), told what reached the app, and then echoed.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs

from asgi_compare.bench_apps import lifespan


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    path: str = scope["path"]
    seen = {
        "path": path,
        "raw_path": scope.get("raw_path", b"").decode("latin-1"),
        "root_path": scope.get("root_path", ""),
        "http_version": scope.get("http_version", "1.1"),
        "scheme": scope.get("scheme", "http"),
        "client": list(scope["client"]) if scope.get("client") else None,
        "headers": headers,
    }
    if scope["type"] == "websocket":
        await _websocket(scope, receive, send, seen)
        return
    if path.endswith("/redirect"):
        await _answer(send, 307, b"", [(b"location", b"/target")])
        return
    if path.endswith("/upstream-redirect"):
        host = dict(headers).get("host", "")
        await _answer(send, 307, b"", [(b"location", f"http://{host}/target".encode())])
        return
    if path.endswith("/events"):
        await _events(scope, send, seen)
        return
    body = json.dumps(seen).encode()
    await _answer(send, 200, body, [(b"content-type", b"application/json")])


async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _events(scope: dict[str, Any], send: Any, seen: dict[str, Any]) -> None:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    count = int(query.get("count", ["3"])[0])
    interval = float(query.get("interval", ["1"])[0])
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    if query.get("hint", ["1"])[0] != "0":
        headers.append((b"x-accel-buffering", b"no"))  # nginx: pass this answer on unbuffered
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for n in range(1, count + 1):
        if n > 1:
            await asyncio.sleep(interval)
        data = json.dumps({"n": n, "made": time.monotonic(), "path": seen["path"]})
        event = f"id: {n}\ndata: {data}\n\n".encode()
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _websocket(scope: dict[str, Any], receive: Any, send: Any, seen: dict[str, Any]) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    offered: list[str] = list(scope.get("subprotocols", []))
    chosen = offered[-1] if offered else None
    await send({"type": "websocket.accept", "subprotocol": chosen})
    await send({"type": "websocket.send", "text": json.dumps({**seen, "subprotocol": chosen})})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        elif message.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
