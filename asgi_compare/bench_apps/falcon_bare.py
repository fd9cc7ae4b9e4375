"""GET /hello on Falcon built as the adapter is: a resource with a suffixed responder, and a
pydantic model dumped into ``resp.media``. ``WS /ws`` and ``GET /events`` in the API the
adapter uses for them (a resource's ``on_websocket_ws``, with media handlers that read a
message as it was sent; ``resp.sse``, its query validated with a pydantic model in a
``@falcon.before`` hook), answering the live contract's messages as the adapter does but for
the hello (no ``about``) and ``Last-Event-ID`` (no resume)."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, cast

import falcon
import falcon.asgi
import falcon.media
from pydantic import ValidationError

from asgi_compare.bench_apps.models import (
    MAX_MESSAGE_BYTES,
    SUBPROTOCOL,
    EventsQuery,
    Message,
    Tick,
)


async def events_query(
    req: falcon.asgi.Request, resp: falcon.asgi.Response, resource: object, params: dict[str, Any]
) -> None:
    try:
        params["query"] = EventsQuery.model_validate(req.params)
    except ValidationError as exc:
        raise falcon.HTTPUnprocessableEntity(description=str(exc)) from None


class Demo:
    async def on_get_hello(self, req: falcon.asgi.Request, resp: falcon.asgi.Response) -> None:
        resp.media = Message(message="Hello World").model_dump()


class Live:
    @falcon.before(events_query)
    async def on_get_events(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, query: EventsQuery
    ) -> None:
        async def emitter() -> AsyncIterator[falcon.asgi.SSEvent]:
            for n in range(1, query.count + 1):
                if n > 1:
                    await asyncio.sleep(query.interval)
                data = Tick(n=n, count=query.count).model_dump_json()
                yield falcon.asgi.SSEvent(event="tick", event_id=str(n), text=data)

        resp.set_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        resp.sse = emitter()

    async def on_websocket_ws(self, req: falcon.asgi.Request, ws: falcon.asgi.WebSocket) -> None:
        await ws.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in ws.subprotocols else None)
        await ws.send_text(json.dumps({"type": "hello", "about": {}}))
        while True:
            message = await ws.receive_media()  # the client gone: Falcon ends the responder
            size = len(message) if isinstance(message, bytes) else len(str(message).encode())
            if size > MAX_MESSAGE_BYTES:
                await ws.close(1009)
                return
            if isinstance(message, bytes):
                await ws.send_data(message)
            elif message == "close":
                await ws.close(1000)
                return
            else:
                await ws.send_text(json.dumps({"type": "echo", "text": message}))


class TextAsSent(falcon.media.TextBaseHandlerWS):
    def serialize(self, media: object) -> str:
        return str(media)

    def deserialize(self, payload: str) -> object:
        return payload


class BytesAsSent(falcon.media.BinaryBaseHandlerWS):
    def serialize(self, media: object) -> bytes:
        return bytes(cast(bytes, media))

    def deserialize(self, payload: bytes) -> object:
        return payload


app = falcon.asgi.App()
app.add_route("/hello", Demo(), suffix="hello")
live = Live()
app.add_route("/events", live, suffix="events")
app.add_route("/ws", live, suffix="ws")
# Falcon's "WebSocket media handlers": ``ws.receive_media()`` then returns a text message as
# its str and a binary one as its bytes (its defaults decode JSON and MessagePack).
app.ws_options.media_handlers.update(
    {
        falcon.WebSocketPayloadType.TEXT: TextAsSent(),
        falcon.WebSocketPayloadType.BINARY: BytesAsSent(),
    }
)
