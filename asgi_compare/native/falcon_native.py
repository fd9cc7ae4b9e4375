"""Falcon as its docs write it. Falcon ships no OpenAPI document or docs page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import falcon
import falcon.asgi


class Root:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        raise falcon.HTTPTemporaryRedirect("/docs")


class Greetings:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response, lang: str) -> None:
        resp.media = {"lang": lang, "text": "Hello"}


class Items:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    async def on_post(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        self.items.append(await req.get_media())
        resp.status = falcon.HTTP_201
        resp.location = f"/items/{len(self.items) - 1}"
        resp.media = self.items[-1]

    async def on_get_item(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, item_id: int
    ) -> None:
        resp.media = self.items[item_id]


class About:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        # Falcon has no URL builder; req.prefix is scheme, host and root path.
        resp.media = {"root_path": req.root_path, "url_for": f"{req.prefix}/greetings/en"}


class Events:
    async def on_get(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        count = req.get_param_as_int("count", default=3)
        interval = req.get_param_as_float("interval", default=1.0)

        async def emitter() -> AsyncIterator[falcon.asgi.SSEvent]:
            for n in range(1, count + 1):
                if n > 1:
                    await asyncio.sleep(interval)
                yield falcon.asgi.SSEvent(json={"n": n})

        resp.sse = emitter()


class Chat:
    async def on_websocket(self, req: falcon.asgi.Request, ws: falcon.asgi.WebSocket) -> None:
        offered = ws.subprotocols
        await ws.accept(subprotocol="asgi-compare.v1" if "asgi-compare.v1" in offered else None)
        await ws.send_media({"type": "hello", "root_path": req.root_path})
        while True:
            data = await ws.receive_text()
            await ws.send_text(f"Message text was: {data}")


app = falcon.asgi.App()
items = Items()
app.add_route("/", Root())
app.add_route("/greetings/{lang}", Greetings())
app.add_route("/items", items)
app.add_route("/items/{item_id:int}", items, suffix="item")
app.add_route("/about", About())
app.add_route("/events", Events())
app.add_route("/ws", Chat())
