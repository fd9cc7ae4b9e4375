"""What the Falcon adapter needs beyond Falcon's idiom, in Falcon's own tools: a hook that
validates a request's parts with core's models, WebSocket media handlers that hand a message
over as it came, and ``sync_to_async`` typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

import falcon.asgi
import falcon.media
from falcon.util import sync_to_async
from pydantic import BaseModel

from core.validation import RequestParser

__all__ = ["AS_SENT", "in_thread", "parsed"]

Req = falcon.asgi.Request
Resp = falcon.asgi.Response
P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``falcon.util.sync_to_async``, typed: it returns what ``func`` returns."""
    return cast(T, await sync_to_async(func, *args, **kwargs))


def parsed(
    path: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
) -> Callable[[Req, Resp, object, dict[str, Any]], Awaitable[None]]:
    """A hook for ``@falcon.before``: core's ``RequestParser`` validates the request's path
    fields, query and body with core's models, in FastAPI's order and with all their errors in
    one 422, and hands the responder ``path``, ``query`` and ``body`` (hooks may change the
    responder's ``params``: Falcon's "Hooks" docs)."""

    async def hook(req: Req, resp: Resp, resource: object, params: dict[str, Any]) -> None:
        parser = RequestParser()
        if path is not None:
            params["path"] = parser.path(
                path, {name: params.pop(name) for name in path.model_fields}
            )
        if query is not None:
            params["query"] = parser.query(query, req.query_string)
        if body is not None:
            params["body"] = parser.body(body, await req.stream.read(), req.content_type)
        parser.check()

    return hook


class _TextAsSent(falcon.media.TextBaseHandlerWS):
    def serialize(self, media: object) -> str:
        return str(media)

    def deserialize(self, payload: str) -> object:
        return payload


class _BytesAsSent(falcon.media.BinaryBaseHandlerWS):
    def serialize(self, media: object) -> bytes:
        return bytes(cast(bytes, media))

    def deserialize(self, payload: bytes) -> object:
        return payload


# For ``app.ws_options.media_handlers`` (Falcon's "WebSocket media handlers"): with them,
# ``ws.receive_media()`` returns a text message as its str and a binary one as its bytes.
# Falcon's own reads one kind only (``receive_text``, ``receive_data``), or decodes JSON and
# MessagePack (the default handlers); the WebSocket route takes both kinds, as they came.
AS_SENT: dict[falcon.WebSocketPayloadType, Any] = {
    falcon.WebSocketPayloadType.TEXT: _TextAsSent(),
    falcon.WebSocketPayloadType.BINARY: _BytesAsSent(),
}
