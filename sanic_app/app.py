"""The asgi-compare API on Sanic, written the way Sanic's docs write it.

A blueprint holds the routes; each app keeps its own core ``Service`` on ``app.ctx``.
sanic-ext's ``@validate`` validates queries and bodies with core's models, and core's
``path_params`` the path values (sanic-ext has nothing for them). ``ApiRequest``
(``sanic_app.contract``) reads the query and the body as FastAPI does, and ``invalid``
answers sanic-ext's errors through ``core.validation.invalid_request``, so every 422 reads as
FastAPI's. sanic-ext runs without its own docs (``AUTO_EXTEND = False``).
Blocking work (CPU, and the item and model stores, which may be a SQLite file) goes through
``asyncio.to_thread``, off the event loop.
Routes with path parameters say ``unquote=True``: Sanic otherwise hands them over still
percent-encoded ("x%20y" where the others see "x y").

Over ASGI, core's ``ContractMiddleware`` sits in front of Sanic's ASGI entrypoint; on Sanic's
own server ``sanic_app.contract`` applies the same ``core.asgi.Contract``.
"""

from __future__ import annotations

import asyncio
from typing import cast

from pydantic import ValidationError
from sanic import Blueprint, Request, Sanic, Websocket
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, empty, html, json, raw, redirect
from sanic_ext import validate
from sanic_ext.exceptions import ValidationError as ExtValidationError

from core import answers, live
from core.about import about as about_app
from core.errors import ApiError, error_response, http_error, server_error
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
from core.routes import operation
from core.service import Service
from core.settings import Settings
from core.validation import BodyInvalid, invalid_request, path_params
from sanic_app.contract import ApiRequest, ContractSanic

bp = Blueprint("api")
bp.static(ASSETS_PATH, SWAGGER_UI_DIR, name="docs_assets")


def _service(request: Request) -> Service:
    service: Service = request.app.ctx.service
    return service


def _root_path(request: Request) -> str:
    return cast(ApiRequest, request).root_path  # the app's request class: its prefix


@bp.get("/", name="root")
async def root(request: Request) -> HTTPResponse:
    return redirect("/docs", status=307)


@bp.get("/docs", name="docs")
async def docs(request: Request) -> HTTPResponse:
    return html(swagger_ui_html(_root_path(request)))


@bp.get("/openapi.json", name="openapi")
async def openapi(request: Request) -> HTTPResponse:
    keyed = _service(request).settings.api_key is not None
    return json(openapi_document(_root_path(request), api_key=keyed))


@bp.get("/hello", name="hello")
async def hello(request: Request) -> HTTPResponse:
    return json(answers.hello().model_dump())


def _about(request: Request) -> About:
    return about_app(
        "sanic",
        root_path=_root_path(request),
        scheme=request.scheme,
        host=request.host,
        client=request.client_ip,
    )


@bp.get("/about", name="about")
async def about(request: Request) -> HTTPResponse:
    return json(_about(request).model_dump())


@bp.get("/add", name="add")
@validate(query=AddQuery)
async def add(request: Request, query: AddQuery) -> HTTPResponse:
    return json(answers.add(query.x, query.y).model_dump())


@bp.get("/user/<user_id>", unquote=True, name="user")
@validate(query=UserQuery)
async def user(request: Request, user_id: str, query: UserQuery) -> HTTPResponse:
    path = path_params(UserPath, user_id=user_id)
    return json(answers.user(path.user_id, query.name).model_dump())


@bp.get("/async-route", name="async_route")
@validate(query=DelayQuery)
async def async_route(request: Request, query: DelayQuery) -> HTTPResponse:
    return json((await answers.async_route(query.delay)).model_dump())


@bp.get("/greetings", name="greetings")
async def greetings(request: Request) -> HTTPResponse:
    return json([g.model_dump() for g in _service(request).greetings.all()])


@bp.get("/greetings/<lang>", unquote=True, name="greeting")
async def greeting(request: Request, lang: str) -> HTTPResponse:
    return json(_service(request).greetings.get(lang).model_dump())


@bp.get("/items", name="list_items")
@validate(query=Page)
async def list_items(request: Request, query: Page) -> HTTPResponse:
    items = await asyncio.to_thread(_service(request).items.page, query.offset, query.limit)
    return json([i.model_dump() for i in items])


# strict=True: sanic-ext validates bodies lax unless told, which would override the models'
# strict numbers (a price of true or "2.5" would pass).
@bp.post("/items", name="create_item")
@validate(json=Item, strict=True)
async def create_item(request: Request, body: Item) -> HTTPResponse:
    stored = await asyncio.to_thread(_service(request).items.add, body)
    location = answers.item_location(stored)
    return json(stored.model_dump(), status=201, headers={"Location": location})


@bp.get("/items/<item_id>", unquote=True, name="get_item")
async def get_item(request: Request, item_id: str) -> HTTPResponse:
    ref = path_params(ItemRef, item_id=item_id)
    stored = await asyncio.to_thread(_service(request).items.get, ref.item_id)
    return json(stored.model_dump())


@bp.put("/items/<item_id>", unquote=True, name="replace_item")
@validate(json=Item, strict=True)
async def replace_item(request: Request, item_id: str, body: Item) -> HTTPResponse:
    ref = path_params(ItemRef, item_id=item_id)
    stored = await asyncio.to_thread(_service(request).items.replace, ref.item_id, body)
    return json(stored.model_dump())


@bp.patch("/items/<item_id>", unquote=True, name="update_item")
@validate(json=ItemPatch, strict=True)
async def update_item(request: Request, item_id: str, body: ItemPatch) -> HTTPResponse:
    ref = path_params(ItemRef, item_id=item_id)
    changes = body.model_dump(exclude_unset=True)
    stored = await asyncio.to_thread(_service(request).items.update, ref.item_id, changes)
    return json(stored.model_dump())


@bp.delete("/items/<item_id>", unquote=True, name="delete_item")
async def delete_item(request: Request, item_id: str) -> HTTPResponse:
    ref = path_params(ItemRef, item_id=item_id)
    await asyncio.to_thread(_service(request).items.delete, ref.item_id)
    return empty()


@bp.post("/fit", name="fit")
@validate(json=FitData, strict=True)
async def fit(request: Request, body: FitData) -> HTTPResponse:
    coefs = await asyncio.to_thread(_service(request).model.fit, body)
    return json(coefs.model_dump())


@bp.post("/predict", name="predict")
@validate(json=PredictData, strict=True)
async def predict(request: Request, body: PredictData) -> HTTPResponse:
    prediction = await asyncio.to_thread(_service(request).model.predict, body)
    return json(prediction.model_dump())


@bp.get("/coefs", name="coefs")
async def coefs(request: Request) -> HTTPResponse:
    coefs = await asyncio.to_thread(_service(request).model.coefs)
    return json(coefs.model_dump())


@bp.get("/plot", name="plot")
async def plot(request: Request) -> HTTPResponse:
    png = await asyncio.to_thread(_service(request).model.plot_png)
    return raw(png, content_type="image/png")


@bp.get("/events", name="events")
@validate(query=EventsQuery)
async def events(request: Request, query: EventsQuery) -> None:
    response = await request.respond(content_type="text/event-stream", headers=live.STREAM_HEADERS)
    async for event in live.ticks(query, request.headers.get("last-event-id")):
        await response.send(event.encode())
    await response.eof()


@bp.websocket("/ws", name="ws", subprotocols=[live.SUBPROTOCOL])
async def ws(request: Request, ws: Websocket) -> None:
    await ws.send(live.hello(_about(request)))
    limit = _service(request).settings.max_ws_message_bytes
    await live.converse(ws.recv, ws.send, ws.send, ws.close, limit)


@bp.route("/reset", methods=["GET", "POST"], name="reset")
async def reset(request: Request) -> HTTPResponse:
    await asyncio.to_thread(_service(request).model.reset)
    return json({})


@bp.before_server_start
async def warm_up(app: Sanic) -> None:  # type: ignore[type-arg]
    app.ctx.service.warm_up()


@bp.after_server_stop
async def close(app: Sanic) -> None:  # type: ignore[type-arg]
    app.ctx.service.close()


@bp.exception(ExtValidationError, BodyInvalid)
async def invalid(request: Request, exc: Exception) -> HTTPResponse:
    """What sanic-ext refused (or ``ApiRequest`` could not read), answered as FastAPI does."""
    # sanic-ext raises its own error `from None`: the pydantic error it replaced is its context.
    failure = exc.__context__ if isinstance(exc, ExtValidationError) else exc
    assert isinstance(failure, ValidationError | BodyInvalid)
    op = operation((request.endpoint or "").rpartition(".")[2])
    answer = error_response(invalid_request(op, request.match_info, failure))
    return json(answer.body, status=answer.status, headers=answer.headers)


async def handle_error(request: Request, exc: Exception) -> HTTPResponse:
    """Every exception on Sanic, over ASGI too: Sanic's error handler sees them all before any
    ASGI middleware could, so it is the one place that logs an unexpected one and answers 500."""
    if isinstance(exc, ApiError):
        answer = error_response(exc)  # TrailingSlash included: a 307 with its Location
    elif isinstance(exc, SanicException):  # raised by Sanic itself
        answer = http_error(exc.status_code, str(exc.message), exc.headers, exc=exc)
    else:
        answer = server_error(exc, request.method, request.path)
    return json(answer.body, status=answer.status, headers=answer.headers)


def create_app(settings: Settings | None = None, service: Service | None = None) -> ContractSanic:
    service = Service.create(settings) if service is None else service
    # Named, limited and put behind the contract in sanic_app.contract.
    app = ContractSanic(service, request_class=ApiRequest)
    app.config.AUTO_EXTEND = False  # sanic-ext, when installed, would add its own /docs
    app.ctx.service = service
    app.blueprint(bp)
    # On the app, not the blueprint: the contract's answers come before routing.
    app.error_handler.add(Exception, handle_error)
    return app


app = create_app()
