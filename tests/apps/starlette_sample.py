"""Starlette as its docs write it: no OpenAPI document, a trailing-slash redirect of its own,
a WebSocket in a mount and an event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket


async def homepage(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


async def users(request: Request) -> JSONResponse:
    return JSONResponse({"users": ["tom", "lucy"]})


async def login(request: Request) -> RedirectResponse:
    return RedirectResponse(url="/users")


async def events(request: Request) -> StreamingResponse:
    async def ticks() -> AsyncIterator[str]:
        for n in range(1, 4):
            if n > 1:
                await asyncio.sleep(1)
            yield f"data: {n}\n\n"

    return StreamingResponse(ticks(), media_type="text/event-stream")


async def echo(websocket: WebSocket) -> None:
    # The last subprotocol offered: a proxy that chooses one itself shows.
    offered = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol=offered[-1] if offered else None)
    async for message in websocket.iter_text():
        await websocket.send_text(message)


app = Starlette(
    routes=[
        Route("/", homepage),
        Route("/users/", users),
        Route("/login", login),
        Route("/events", events),
        Mount("/live", routes=[WebSocketRoute("/echo", echo)]),
    ]
)
