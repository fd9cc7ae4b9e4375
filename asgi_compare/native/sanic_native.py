"""Sanic as its docs write it; sanic-ext, once installed, adds OpenAPI and docs by itself."""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any

from sanic import Request, Sanic, Websocket
from sanic.response import HTTPResponse, json, redirect

app = Sanic("native_sanic")
items: list[dict[str, Any]] = []


@app.get("/")
async def root(request: Request) -> HTTPResponse:
    return redirect(app.url_for("openapi.index"))


@app.get("/greetings/<lang>")
async def greeting(request: Request, lang: str) -> HTTPResponse:
    return json({"lang": lang, "text": "Hello"})


@app.post("/items")
async def create_item(request: Request) -> HTTPResponse:
    items.append(request.json)
    location = app.url_for("get_item", item_id=len(items) - 1)
    return json(items[-1], status=201, headers={"Location": location})


@app.get("/items/<item_id:int>")
async def get_item(request: Request, item_id: int) -> HTTPResponse:
    return json(items[item_id])


@app.get("/about")
async def about(request: Request) -> HTTPResponse:
    root = request.scope.get("root_path", "") if app.asgi else ""
    return json({"root_path": root, "url_for": app.url_for("greeting", lang="en")})


@app.get("/events")
async def events(request: Request) -> None:
    count = int(request.args.get("count", 3))
    interval = float(request.args.get("interval", 1.0))
    response = await request.respond(content_type="text/event-stream")
    for n in range(1, count + 1):
        if n > 1:
            await asyncio.sleep(interval)
        await response.send(f"data: {jsonlib.dumps({'n': n})}\n\n")
    await response.eof()


@app.websocket("/ws", subprotocols=["asgi-compare.v1"])  # type: ignore[untyped-decorator]
async def feed(request: Request, ws: Websocket) -> None:
    root = request.scope.get("root_path", "") if app.asgi else ""
    await ws.send(jsonlib.dumps({"type": "hello", "root_path": root}))
    while True:
        data = await ws.recv()
        if data is None:  # the client has gone
            break
        await ws.send(f"Message text was: {data!s}")
