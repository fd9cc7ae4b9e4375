"""A plain ASGI app with neither an OpenAPI document nor ``/``: only what ``--probe`` names."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:  # nothing to start or stop: acknowledge both
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    found = scope["path"] == "/health"
    await send(
        {
            "type": "http.response.start",
            "status": 200 if found else 404,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok" if found else b"not found"})
