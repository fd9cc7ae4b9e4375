"""GET /hello on FastAPI built as the adapter is: an ``APIRouter`` included in the app, the
routes the adapter declares before /hello in the same order, and a pydantic response model.
``WS /ws`` and ``GET /events`` in the API the adapter uses for them (``@router.websocket`` and
``WebSocket``; ``EventSourceResponse`` with ``ServerSentEvent``, a pydantic model as data),
answering the live contract's messages as the adapter does but for the hello (no ``about``)
and ``Last-Event-ID`` (no resume)."""

import asyncio
import json
from collections.abc import AsyncIterable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from asgi_compare.bench_apps.models import (
    MAX_MESSAGE_BYTES,
    SUBPROTOCOL,
    EventsQuery,
    Message,
    Tick,
)

router = APIRouter()


# Starlette tries an app's routes in order until one matches (Router.app, starlette/routing.py,
# Starlette 1.10), so the routes declared before /hello are part of what GET /hello costs: the
# adapter's are / and /docs, and these two keep that cost in the baseline (their answers are
# not measured).
@router.get("/", include_in_schema=False, name="root")
async def root() -> RedirectResponse:
    return RedirectResponse("/docs")


@router.get("/docs", include_in_schema=False, name="docs")
async def docs() -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>docs</title>")


# The return annotation is the response model: FastAPI validates and serialises the answer
# through it (serialize_response, fastapi/routing.py, FastAPI 0.165).
@router.get("/hello", name="hello")
async def hello() -> Message:
    return Message(message="Hello World")


@router.get("/events", response_class=EventSourceResponse, include_in_schema=False, name="events")
async def events(q: Annotated[EventsQuery, Query()]) -> AsyncIterable[ServerSentEvent]:
    for n in range(1, q.count + 1):
        if n > 1:
            await asyncio.sleep(q.interval)
        yield ServerSentEvent(id=str(n), event="tick", data=Tick(n=n, count=q.count))


@router.websocket("/ws", name="ws")
async def ws(websocket: WebSocket) -> None:
    offered = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    await websocket.send_text(json.dumps({"type": "hello", "about": {}}))
    while True:
        message = await websocket.receive()
        text: str | None = message.get("text")
        data: bytes | None = message.get("bytes")
        if text is not None:
            if len(text.encode()) > MAX_MESSAGE_BYTES:
                await websocket.close(1009)
                return
            if text == "close":
                await websocket.close(1000)
                return
            await websocket.send_text(json.dumps({"type": "echo", "text": text}))
        elif data is not None:
            if len(data) > MAX_MESSAGE_BYTES:
                await websocket.close(1009)
                return
            await websocket.send_bytes(data)
        else:
            return  # websocket.disconnect: the client has gone


app = FastAPI(docs_url=None, redoc_url=None)
# As "Bigger Applications" teaches. FastAPI 0.165 keeps the router as one route of the app
# (_IncludedRouter, fastapi/routing.py) and matches each request again over its routes.
app.include_router(router)
