"""Quart as its docs write it, with quart-schema for OpenAPI and docs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from quart import Quart, redirect, request, url_for, websocket
from quart_schema import QuartSchema, validate_request
from werkzeug.wrappers import Response

app = Quart(__name__)
QuartSchema(app)
items: list[dict[str, Any]] = []


@dataclass
class Item:
    name: str
    price: float


@app.get("/")
async def root() -> Response:
    return redirect(url_for("swagger_ui"))


@app.get("/greetings/<lang>")
async def greeting(lang: str) -> dict[str, str]:
    return {"lang": lang, "text": "Hello"}


@app.post("/items")
@validate_request(Item)
async def create_item(data: Item) -> tuple[dict[str, Any], int, dict[str, str]]:
    items.append(asdict(data))
    return items[-1], 201, {"Location": url_for("get_item", item_id=len(items) - 1)}


@app.get("/items/<int:item_id>")
async def get_item(item_id: int) -> dict[str, Any]:
    return items[item_id]


@app.get("/about")
async def about() -> dict[str, str]:
    return {"root_path": request.root_path, "url_for": url_for("greeting", lang="en")}


@app.get("/events")
async def events() -> tuple[AsyncIterator[bytes], dict[str, str]]:
    count = request.args.get("count", 3, type=int)
    interval = request.args.get("interval", 1.0, type=float)

    async def send_events() -> AsyncIterator[bytes]:
        for n in range(1, count + 1):
            if n > 1:
                await asyncio.sleep(interval)
            yield f"data: {json.dumps({'n': n})}\n\n".encode()

    return send_events(), {"Content-Type": "text/event-stream"}


@app.websocket("/ws")
async def ws() -> None:
    offered = websocket.requested_subprotocols
    await websocket.accept(subprotocol="asgi-compare.v1" if "asgi-compare.v1" in offered else None)
    await websocket.send_json({"type": "hello", "root_path": websocket.root_path})
    while True:
        data = await websocket.receive()
        await websocket.send(f"Message text was: {data!s}")
