"""Falcon as its docs write it. Falcon ships no OpenAPI document or docs page."""

from __future__ import annotations

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


app = falcon.asgi.App()
items = Items()
app.add_route("/", Root())
app.add_route("/greetings/{lang}", Greetings())
app.add_route("/items", items)
app.add_route("/items/{item_id:int}", items, suffix="item")
app.add_route("/about", About())
