"""Answers with what reached it: the scope's path, root_path, HTTP version, client and headers.

What a proxy does to a request, seen from the app. ``.../redirect`` answers 307 to the
path-only ``/target``; ``.../upstream-redirect`` to ``/target`` on the Host it was sent.
"""

from __future__ import annotations

import json
from typing import Any

from asgi_compare.bench_apps import lifespan


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    path: str = scope["path"]
    if path.endswith("/redirect"):
        await _answer(send, 307, b"", [(b"location", b"/target")])
        return
    if path.endswith("/upstream-redirect"):
        host = dict(headers).get("host", "")
        await _answer(send, 307, b"", [(b"location", f"http://{host}/target".encode())])
        return
    seen = {
        "path": path,
        "raw_path": scope.get("raw_path", b"").decode("latin-1"),
        "root_path": scope.get("root_path", ""),
        "http_version": scope["http_version"],
        "scheme": scope.get("scheme", "http"),
        "client": list(scope["client"]) if scope.get("client") else None,
        "headers": headers,
    }
    body = json.dumps(seen).encode()
    await _answer(send, 200, body, [(b"content-type", b"application/json")])


async def _answer(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
