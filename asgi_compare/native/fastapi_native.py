"""FastAPI as its tutorial writes it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from typing import Any

from fastapi import FastAPI, Request, Response, WebSocket
from fastapi.responses import RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

app = FastAPI()
items: list[dict[str, Any]] = []


class Item(BaseModel):
    name: str
    price: float


@app.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse(url="/docs")


@app.get("/greetings/{lang}")
async def greeting(lang: str) -> dict[str, str]:
    return {"lang": lang, "text": "Hello"}


@app.post("/items", status_code=201)
async def create_item(item: Item, request: Request, response: Response) -> dict[str, Any]:
    items.append(item.model_dump())
    response.headers["Location"] = str(request.url_for("get_item", item_id=len(items) - 1))
    return items[-1]


@app.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, Any]:
    return items[item_id]


@app.get("/about")
async def about(request: Request) -> dict[str, str]:
    return {
        "root_path": request.scope.get("root_path", ""),
        "url_for": str(request.url_for("greeting", lang="en")),
    }


@app.get("/events", response_class=EventSourceResponse)
async def events(count: int = 3, interval: float = 1.0) -> AsyncIterable[ServerSentEvent]:
    for n in range(1, count + 1):
        if n > 1:
            await asyncio.sleep(interval)
        yield ServerSentEvent(data={"n": n})


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    offered = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol="asgi-compare.v1" if "asgi-compare.v1" in offered else None)
    await websocket.send_json({"type": "hello", "root_path": websocket.scope.get("root_path", "")})
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Message text was: {data}")
