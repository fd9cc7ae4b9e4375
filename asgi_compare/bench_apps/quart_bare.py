"""GET /hello on Quart built as the adapter is: a blueprint, quart-schema attached, and a
pydantic model returned for quart-schema to turn into JSON. ``WS /ws`` and ``GET /events`` in
the API the adapter uses for them (``@bp.websocket`` and ``websocket``; a streamed
``Response`` of a generator, its query validated by quart-schema), answering the live
contract's messages as the adapter does but for the hello (no ``about``) and
``Last-Event-ID`` (no resume)."""

import asyncio
import json
from collections.abc import AsyncIterator

from quart import Blueprint, Quart, Response, websocket
from quart_schema import QuartSchema, validate_querystring

from asgi_compare.bench_apps.models import (
    MAX_MESSAGE_BYTES,
    SUBPROTOCOL,
    EventsQuery,
    Message,
    Tick,
)

bp = Blueprint("api", __name__)


@bp.get("/hello")
async def hello() -> Message:
    return Message(message="Hello World")


@bp.get("/events")
@validate_querystring(EventsQuery)
async def events(query_args: EventsQuery) -> Response:
    async def send_events() -> AsyncIterator[bytes]:
        for n in range(1, query_args.count + 1):
            if n > 1:
                await asyncio.sleep(query_args.interval)
            data = Tick(n=n, count=query_args.count).model_dump_json()
            yield f"id: {n}\nevent: tick\ndata: {data}\n\n".encode()

    headers = {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
    }
    response = Response(send_events(), headers=headers)
    response.timeout = None  # Quart's RESPONSE_TIMEOUT would end a long stream
    return response


@bp.websocket("/ws")
async def ws() -> None:
    offered = websocket.requested_subprotocols
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    await websocket.send(json.dumps({"type": "hello", "about": {}}))
    while True:
        message = await websocket.receive()  # the client gone: Quart ends the handler
        if len(message if isinstance(message, bytes) else message.encode()) > MAX_MESSAGE_BYTES:
            await websocket.close(1009)
            return
        if isinstance(message, bytes):
            await websocket.send(message)
        elif message == "close":
            await websocket.close(1000)
            return
        else:
            await websocket.send(json.dumps({"type": "echo", "text": message}))


app = Quart(__name__, static_folder=None)  # as the adapter: no /static route
# quart-schema wraps the app's make_response: every answer passes its conversion, which dumps
# a model with model_dump (wrap_make_response, quart_schema/extension.py, and model_dump,
# quart_schema/conversion.py, quart-schema 0.25).
QuartSchema(app, openapi_path=None)
app.register_blueprint(bp)
