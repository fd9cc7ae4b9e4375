"""The asgi-compare API on Falcon, written the way Falcon's docs (asgilook) write it.

Resources are classes that receive their collaborators; related routes share a resource
through suffixed responders (``on_get_item``). Falcon has no validation library of its own:
a hook (``@falcon.before(parsed(...))``, from ``falcon_app.contract``) lets core's
``RequestParser`` validate the path fields, query and body before the responder runs, so
errors read exactly as FastAPI's.
Blocking work (CPU, and the item and model stores, which may be a SQLite file) goes through
``falcon.util.sync_to_async``, which runs it in a thread off the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import falcon
import falcon.asgi

from core import answers, live
from core.about import about as about_app
from core.asgi import ASGIApp, ContractMiddleware
from core.errors import ApiError, error_response, http_error
from core.models import (
    About,
    AddQuery,
    DelayQuery,
    EventsQuery,
    FitData,
    Item,
    ItemPatch,
    ItemRef,
    Page,
    PredictData,
    UserPath,
    UserQuery,
)
from core.openapi import ASSETS_PATH, SWAGGER_UI_DIR, openapi_document, swagger_ui_html
from core.service import Service
from core.settings import Settings
from falcon_app.contract import AS_SENT, in_thread, parsed

Req = falcon.asgi.Request
Resp = falcon.asgi.Response


class DocsResource:
    def __init__(self, settings: Settings) -> None:
        self.keyed = settings.api_key is not None

    async def on_get(self, req: Req, resp: Resp) -> None:
        raise falcon.HTTPTemporaryRedirect("/docs")

    async def on_get_docs(self, req: Req, resp: Resp) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = swagger_ui_html(req.root_path)

    async def on_get_openapi(self, req: Req, resp: Resp) -> None:
        resp.media = openapi_document(req.root_path, api_key=self.keyed)


def _about(req: Req) -> About:
    return about_app(
        "falcon",
        root_path=req.root_path,
        scheme=req.scheme,
        host=req.get_header("Host"),
        client=req.remote_addr,
    )


class DemoResource:
    async def on_get_hello(self, req: Req, resp: Resp) -> None:
        resp.media = answers.hello().model_dump()

    async def on_get_about(self, req: Req, resp: Resp) -> None:
        resp.media = _about(req).model_dump()

    @falcon.before(parsed(query=AddQuery))
    async def on_get_add(self, req: Req, resp: Resp, query: AddQuery) -> None:
        resp.media = answers.add(query.x, query.y).model_dump()

    @falcon.before(parsed(path=UserPath, query=UserQuery))
    async def on_get_user(self, req: Req, resp: Resp, path: UserPath, query: UserQuery) -> None:
        resp.media = answers.user(path.user_id, query.name).model_dump()

    @falcon.before(parsed(query=DelayQuery))
    async def on_get_async(self, req: Req, resp: Resp, query: DelayQuery) -> None:
        resp.media = (await answers.async_route(query.delay)).model_dump()


class LiveResource:
    """``GET /events`` with Falcon's ``resp.sse``, and ``WS /ws`` with its WebSocket API."""

    def __init__(self, settings: Settings) -> None:
        self.max_message_bytes = settings.max_ws_message_bytes

    @falcon.before(parsed(query=EventsQuery))
    async def on_get_events(self, req: Req, resp: Resp, query: EventsQuery) -> None:
        async def emitter() -> AsyncIterator[falcon.asgi.SSEvent]:
            async for event in live.ticks(query, req.get_header("Last-Event-ID")):
                yield falcon.asgi.SSEvent(
                    event=event.event, event_id=event.id, text=event.data.model_dump_json()
                )

        resp.set_headers(live.STREAM_HEADERS)
        resp.sse = emitter()

    async def on_websocket_ws(self, req: Req, ws: falcon.asgi.WebSocket) -> None:
        await ws.accept(subprotocol=live.subprotocol(ws.subprotocols))
        await ws.send_text(live.hello(_about(req)))
        # receive_media(): a text message as its str, a binary one as its bytes (AS_SENT).
        await live.converse(
            ws.receive_media, ws.send_text, ws.send_data, ws.close, self.max_message_bytes
        )


class GreetingsResource:
    def __init__(self, service: Service) -> None:
        self.greetings = service.greetings

    async def on_get(self, req: Req, resp: Resp) -> None:
        resp.media = [g.model_dump() for g in self.greetings.all()]

    async def on_get_lang(self, req: Req, resp: Resp, lang: str) -> None:
        resp.media = self.greetings.get(lang).model_dump()


class ItemsResource:
    def __init__(self, service: Service) -> None:
        self.items = service.items

    @falcon.before(parsed(query=Page))
    async def on_get(self, req: Req, resp: Resp, query: Page) -> None:
        items = await in_thread(self.items.page, query.offset, query.limit)
        resp.media = [i.model_dump() for i in items]

    @falcon.before(parsed(body=Item))
    async def on_post(self, req: Req, resp: Resp, body: Item) -> None:
        stored = await in_thread(self.items.add, body)
        resp.status = falcon.HTTP_201
        resp.location = answers.item_location(stored)
        resp.media = stored.model_dump()

    @falcon.before(parsed(path=ItemRef))
    async def on_get_item(self, req: Req, resp: Resp, path: ItemRef) -> None:
        stored = await in_thread(self.items.get, path.item_id)
        resp.media = stored.model_dump()

    @falcon.before(parsed(path=ItemRef, body=Item))
    async def on_put_item(self, req: Req, resp: Resp, path: ItemRef, body: Item) -> None:
        stored = await in_thread(self.items.replace, path.item_id, body)
        resp.media = stored.model_dump()

    @falcon.before(parsed(path=ItemRef, body=ItemPatch))
    async def on_patch_item(self, req: Req, resp: Resp, path: ItemRef, body: ItemPatch) -> None:
        changes = body.model_dump(exclude_unset=True)
        stored = await in_thread(self.items.update, path.item_id, changes)
        resp.media = stored.model_dump()

    @falcon.before(parsed(path=ItemRef))
    async def on_delete_item(self, req: Req, resp: Resp, path: ItemRef) -> None:
        await in_thread(self.items.delete, path.item_id)
        resp.status = falcon.HTTP_204


class ModelResource:
    def __init__(self, service: Service) -> None:
        self.model = service.model

    @falcon.before(parsed(body=FitData))
    async def on_post_fit(self, req: Req, resp: Resp, body: FitData) -> None:
        coefs = await in_thread(self.model.fit, body)
        resp.media = coefs.model_dump()

    @falcon.before(parsed(body=PredictData))
    async def on_post_predict(self, req: Req, resp: Resp, body: PredictData) -> None:
        prediction = await in_thread(self.model.predict, body)
        resp.media = prediction.model_dump()

    async def on_get_coefs(self, req: Req, resp: Resp) -> None:
        coefs = await in_thread(self.model.coefs)
        resp.media = coefs.model_dump()

    async def on_get_plot(self, req: Req, resp: Resp) -> None:
        png = await in_thread(self.model.plot_png)
        resp.content_type = falcon.MEDIA_PNG
        resp.data = png

    async def on_get_reset(self, req: Req, resp: Resp) -> None:
        await in_thread(self.model.reset)
        resp.media = {}

    on_post_reset = on_get_reset


class WarmUp:
    """Falcon's start-up and shutdown hooks are middleware methods, run on the ASGI lifespan
    events."""

    def __init__(self, service: Service) -> None:
        self.service = service

    async def process_startup(self, scope: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        self.service.warm_up()

    async def process_shutdown(self, scope: Mapping[str, Any], event: Mapping[str, Any]) -> None:
        self.service.close()


async def _reraise(
    req: Req, resp: Resp | None, exc: Exception, params: dict[str, Any], ws: object = None
) -> None:
    """Anything else goes on to the contract's middleware, which logs it once and answers 500.

    Falcon's default handler for ``Exception`` would answer it itself; a handler that raises
    the same exception again hands it "outside of the Falcon app" (``App.add_error_handler``
    and ``set_error_reporter``, falcon/app.py, Falcon 4.x).
    """
    raise exc


async def _handle_error(
    req: Req,
    resp: Resp | None,
    exc: Exception,
    params: dict[str, Any],
    ws: falcon.asgi.WebSocket | None = None,
) -> None:
    """The contract's errors, and Falcon's own (``HTTPError``), through core's table. On a
    WebSocket (``resp`` None), the close code is 3000 plus the status, as Falcon's own."""
    if resp is None:
        assert ws is not None
        await ws.close(3000 + error_response(exc).status)
        return
    resp.content_type = falcon.MEDIA_JSON  # a responder may have set another before it failed
    if isinstance(exc, falcon.HTTPError):
        answer = http_error(exc.status_code, exc.title, exc.headers, exc=exc)
    else:
        answer = error_response(exc)
    resp.status = answer.status
    resp.media = answer.body
    for name, value in answer.headers.items():
        resp.set_header(name, value)


def create_app(settings: Settings | None = None, service: Service | None = None) -> ASGIApp:
    service = Service.create(settings) if service is None else service
    app = falcon.asgi.App(middleware=[WarmUp(service)])
    docs, demo = DocsResource(service.settings), DemoResource()
    app.add_route("/", docs)
    app.add_route("/docs", docs, suffix="docs")
    app.add_static_route(ASSETS_PATH, str(SWAGGER_UI_DIR))
    app.add_route("/openapi.json", docs, suffix="openapi")
    app.add_route("/hello", demo, suffix="hello")
    app.add_route("/about", demo, suffix="about")
    app.add_route("/add", demo, suffix="add")
    app.add_route("/user/{user_id}", demo, suffix="user")
    app.add_route("/async-route", demo, suffix="async")
    greetings = GreetingsResource(service)
    app.add_route("/greetings", greetings)
    app.add_route("/greetings/{lang}", greetings, suffix="lang")
    items = ItemsResource(service)
    app.add_route("/items", items)
    app.add_route("/items/{item_id}", items, suffix="item")
    live_routes = LiveResource(service.settings)
    app.add_route("/events", live_routes, suffix="events")
    app.add_route("/ws", live_routes, suffix="ws")
    app.ws_options.media_handlers.update(AS_SENT)
    model = ModelResource(service)
    for name in ("fit", "predict", "coefs", "plot", "reset"):
        app.add_route(f"/{name}", model, suffix=name)
    app.add_error_handler(Exception, _reraise)
    app.add_error_handler(ApiError, _handle_error)
    app.add_error_handler(falcon.HTTPError, _handle_error)
    # Falcon routes on the path as the server sent it, so it gets the path without the prefix.
    return ContractMiddleware(
        cast(ASGIApp, app),  # Falcon types its scope as dict, core as MutableMapping
        service.settings,
        path_includes_root=False,
        fit_pool=service.fit_pool,
    )


app = create_app()
