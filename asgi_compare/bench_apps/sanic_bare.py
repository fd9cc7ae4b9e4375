"""GET /hello on Sanic built as the adapter is: a blueprint, sanic-ext installed but not
attached (``AUTO_EXTEND = False``), and a pydantic model dumped into ``json()``. ``WS /ws`` and
``GET /events`` in the API the adapter uses for them (``@bp.websocket`` with its
subprotocols; ``request.respond()``, ``send()`` and ``eof()``, the query validated by
sanic-ext's ``@validate``), answering the live contract's messages as the adapter does but
for the hello (no ``about``), ``Last-Event-ID`` (no resume), and, over ASGI, a close: Sanic's
WebSocket over ASGI sends none (docs/contract.md), which the adapter mends."""

import asyncio
import json

from sanic import Blueprint, Request, Sanic, Websocket
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from sanic_ext import validate

from asgi_compare.bench_apps.models import (
    MAX_MESSAGE_BYTES,
    SUBPROTOCOL,
    EventsQuery,
    Message,
    Tick,
)

bp = Blueprint("api")


@bp.get("/hello", name="hello")
async def hello(request: Request) -> HTTPResponse:
    return json_response(Message(message="Hello World").model_dump())


@bp.get("/events", name="events")
@validate(query=EventsQuery)
async def events(request: Request, query: EventsQuery) -> None:
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    response = await request.respond(content_type="text/event-stream", headers=headers)
    for n in range(1, query.count + 1):
        if n > 1:
            await asyncio.sleep(query.interval)
        data = Tick(n=n, count=query.count).model_dump_json()
        await response.send(f"id: {n}\nevent: tick\ndata: {data}\n\n".encode())
    await response.eof()


@bp.websocket("/ws", name="ws", subprotocols=[SUBPROTOCOL])
async def ws(request: Request, ws: Websocket) -> None:
    await ws.send(json.dumps({"type": "hello", "about": {}}))
    while True:
        message = await ws.recv()
        if message is None:
            return  # the client has gone (Sanic over ASGI; its own server raises)
        if len(message if isinstance(message, bytes) else message.encode()) > MAX_MESSAGE_BYTES:
            await ws.close(1009)
            return
        if isinstance(message, bytes):
            await ws.send(message)
        elif message == "close":
            await ws.close(1000)
            return
        else:
            await ws.send(json.dumps({"type": "echo", "text": message}))


app = Sanic("bare_sanic")
# As the adapter: sanic-ext is not attached (setup_ext returns at once when AUTO_EXTEND is off,
# sanic/application/ext.py, Sanic 25.12), and its ``@validate`` is a plain decorator that runs
# only on the routes it wraps (sanic_ext/extras/validation/decorator.py, sanic-ext 25.12),
# which GET /hello is not; so on this route sanic-ext costs nothing, here as in the adapter.
app.config.AUTO_EXTEND = False
app.blueprint(bp)
