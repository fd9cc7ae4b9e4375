"""The asgi-compare API on Sanic, written the way Sanic's docs write it.

A blueprint holds the routes; each app keeps its own core ``Service`` on ``app.ctx``. Handlers
read raw parts of the request and let core's ``RequestParser`` validate them, so errors read
exactly as FastAPI's. Blocking work (CPU, and the item and model stores, which may be a SQLite
file) goes through ``asyncio.to_thread``, off the event loop.
Routes with path parameters say ``unquote=True``: Sanic otherwise hands them over still
percent-encoded ("x%20y" where the others see "x y").

Served over ASGI, core's ``ContractMiddleware`` sits in front of Sanic's ASGI entrypoint.
Sanic's own server runs no ASGI middleware, so there the same ``core.asgi.Contract`` is applied
through Sanic's hooks: the ``http.routing.before`` signal (before Sanic routes) and a response
middleware for ``Location``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from functools import partial
from typing import Any, cast

import sanic
from httptools import parse_url
from sanic import Blueprint, Request, Sanic
from sanic.exceptions import PayloadTooLarge, SanicException
from sanic.response import HTTPResponse, empty, html, json, raw, redirect

from core.asgi import (
    DRAIN_BYTES,
    ASGIApp,
    Contract,
    ContractMiddleware,
    Receive,
    Scope,
    Send,
    read_body,
)
from core.errors import BodyTooLarge, error_response
from core.models import (
    AddQuery,
    DelayQuery,
    FitData,
    GreetingRef,
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
from core.validation import RequestParser

bp = Blueprint("api")
bp.static(ASSETS_PATH, SWAGGER_UI_DIR, name="docs_assets")


def _service(request: Request) -> Service:
    service: Service = request.app.ctx.service
    return service


def _root_path(request: Request) -> str:
    root: str = request.ctx.root
    return root


async def apply_contract(request: Request) -> None:
    """Before Sanic routes: the prefix, and the contract's 404/405/307/HEAD answers."""
    if request.app.asgi:  # ContractMiddleware has done all this already
        request.ctx.root = request.scope.get("root_path", "")
        return
    contract: Contract = request.app.ctx.contract.contract
    raw_path: bytes = request._parsed_url.path
    r = contract.resolve(
        request.method,
        raw_path.decode("latin-1"),
        request.query_string.encode("latin-1"),
        "",
        ((k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()),
        request.ip,
    )
    request.ctx.root = r.root
    if r.answer is not None:
        raise r.answer
    # Sanic's HTTP layer decided at parse time that a HEAD answer has no body; route it as GET.
    request.method = r.method
    if r.route_path.encode("latin-1") != raw_path:
        # Sanic routes on request.path, read from the parsed URL, and has no root-path setting.
        query = request._parsed_url.query
        url = r.route_path.encode("latin-1") + (b"?" + query if query else b"")
        request._parsed_url = parse_url(url)


async def prefix_location(request: Request, response: HTTPResponse) -> None:
    location = response.headers.get("location")
    if location and not request.app.asgi and hasattr(request.ctx, "root"):
        response.headers["location"] = request.app.ctx.contract.contract.location(
            location, request.ctx.root
        )


@bp.get("/")
async def root(request: Request) -> HTTPResponse:
    return redirect("/docs", status=307)


@bp.get("/docs")
async def docs(request: Request) -> HTTPResponse:
    return html(swagger_ui_html(_root_path(request)))


@bp.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    keyed = _service(request).settings.api_key is not None
    return json(openapi_document(_root_path(request), api_key=keyed))


@bp.get("/hello")
async def hello(request: Request) -> HTTPResponse:
    return json({"message": "Hello World"})


@bp.get("/about")
async def about(request: Request) -> HTTPResponse:
    return json(
        {
            "framework": "sanic",
            "framework_version": sanic.__version__,
            "root_path": _root_path(request),
        }
    )


@bp.get("/add")
async def add(request: Request) -> HTTPResponse:
    parser = RequestParser()
    q = parser.query(AddQuery, request.query_string)
    parser.check()
    return json({"result": q.x + q.y})


@bp.get("/user/<user_id>", unquote=True)
async def user(request: Request, user_id: str) -> HTTPResponse:
    parser = RequestParser()
    path = parser.path(UserPath, {"user_id": user_id})
    q = parser.query(UserQuery, request.query_string)
    parser.check()
    res: dict[str, Any] = {"user_id": path.user_id}
    if q.name is not None:
        res["name"] = q.name
    return json(res)


@bp.get("/async-route")
async def async_route(request: Request) -> HTTPResponse:
    parser = RequestParser()
    q = parser.query(DelayQuery, request.query_string)
    parser.check()
    await asyncio.sleep(q.delay)
    return json({"message": "This is an asynchronous route"})


@bp.get("/greetings")
async def greetings(request: Request) -> HTTPResponse:
    return json([g.model_dump() for g in _service(request).greetings.all()])


@bp.get("/greetings/<lang>", unquote=True)
async def greeting(request: Request, lang: str) -> HTTPResponse:
    parser = RequestParser()
    ref = parser.path(GreetingRef, {"lang": lang})
    parser.check()
    return json(_service(request).greetings.get(ref.lang).model_dump())


@bp.get("/items")
async def list_items(request: Request) -> HTTPResponse:
    parser = RequestParser()
    page = parser.query(Page, request.query_string)
    parser.check()
    items = await asyncio.to_thread(_service(request).items.page, page.offset, page.limit)
    return json([i.model_dump() for i in items])


@bp.post("/items")
async def create_item(request: Request) -> HTTPResponse:
    parser = RequestParser()
    item = parser.body(Item, request.body, request.headers.get("content-type"))
    parser.check()
    stored = await asyncio.to_thread(_service(request).items.add, item)
    return json(stored.model_dump(), status=201, headers={"Location": f"/items/{stored.id}"})


@bp.get("/items/<item_id>", unquote=True)
async def get_item(request: Request, item_id: str) -> HTTPResponse:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    parser.check()
    stored = await asyncio.to_thread(_service(request).items.get, ref.item_id)
    return json(stored.model_dump())


@bp.put("/items/<item_id>", unquote=True)
async def replace_item(request: Request, item_id: str) -> HTTPResponse:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    item = parser.body(Item, request.body, request.headers.get("content-type"))
    parser.check()
    stored = await asyncio.to_thread(_service(request).items.replace, ref.item_id, item)
    return json(stored.model_dump())


@bp.patch("/items/<item_id>", unquote=True)
async def update_item(request: Request, item_id: str) -> HTTPResponse:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    patch = parser.body(ItemPatch, request.body, request.headers.get("content-type"))
    parser.check()
    changes = patch.model_dump(exclude_unset=True)
    stored = await asyncio.to_thread(_service(request).items.update, ref.item_id, changes)
    return json(stored.model_dump())


@bp.delete("/items/<item_id>", unquote=True)
async def delete_item(request: Request, item_id: str) -> HTTPResponse:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    parser.check()
    await asyncio.to_thread(_service(request).items.delete, ref.item_id)
    return empty()


@bp.post("/fit")
async def fit(request: Request) -> HTTPResponse:
    parser = RequestParser()
    data = parser.body(FitData, request.body, request.headers.get("content-type"))
    parser.check()
    coefs = await asyncio.to_thread(_service(request).model.fit, data)
    return json(coefs.model_dump())


@bp.post("/predict")
async def predict(request: Request) -> HTTPResponse:
    parser = RequestParser()
    data = parser.body(PredictData, request.body, request.headers.get("content-type"))
    parser.check()
    prediction = await asyncio.to_thread(_service(request).model.predict, data)
    return json(prediction.model_dump())


@bp.get("/coefs")
async def coefs(request: Request) -> HTTPResponse:
    coefs = await asyncio.to_thread(_service(request).model.coefs)
    return json(coefs.model_dump())


@bp.get("/plot")
async def plot(request: Request) -> HTTPResponse:
    png = await asyncio.to_thread(_service(request).model.plot_png)
    return raw(png, content_type="image/png")


@bp.route("/reset", methods=["GET", "POST"])
async def reset(request: Request) -> HTTPResponse:
    await asyncio.to_thread(_service(request).model.reset)
    return json({})


@bp.before_server_start
async def warm_up(app: Sanic) -> None:  # type: ignore[type-arg]
    app.ctx.service.warm_up()


async def handle_error(request: Request, exc: Exception) -> HTTPResponse:
    if isinstance(exc, SanicException):  # raised by Sanic itself
        return json({"detail": str(exc.message)}, status=exc.status_code)
    answer = error_response(exc)  # TrailingSlash included: a 307 with its Location
    return json(answer.body, status=answer.status, headers=answer.headers)


class BoundedRequest(Request):
    """Sanic's documented hook for custom body handling: ``receive_body``, here core's
    ``read_body``, which refuses a body past ``max_body_bytes`` (over ASGI, the contract's
    middleware has refused it first)."""

    async def receive_body(self) -> None:
        if self.body:
            return
        limit: int = self.app.ctx.service.settings.max_body_bytes
        try:
            # Sanic's Http object at run time; its type stub declares no iteration.
            self.body = await read_body(cast(AsyncIterable[bytes], self.stream), limit)
        except PayloadTooLarge:  # Sanic's own REQUEST_MAX_SIZE, past what read_body drains
            raise BodyTooLarge(limit) from None


class ContractSanic(Sanic):  # type: ignore[type-arg]
    """Sanic with core's ASGI middleware in front of its ASGI entrypoint.

    Sanic takes no ASGI middleware of its own: ``app.__call__`` is where an ASGI server enters.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.ctx.contract(scope, receive, send)


BASE_NAME = "asgi_compare"


def _unused_name(base: str) -> str:
    """Sanic refuses two apps of one name in a process; the first app keeps ``base``."""
    name, n = base, 0
    while True:
        try:
            Sanic.get_app(name)
        except SanicException:
            return name
        n += 1
        name = f"{base}_{n}"


def create_app(settings: Settings | None = None, service: Service | None = None) -> ContractSanic:
    service = Service.create(settings) if service is None else service
    name = _unused_name(BASE_NAME)
    app = ContractSanic(name, request_class=BoundedRequest)
    app.config.AUTO_EXTEND = False  # sanic-ext, when installed, would add its own /docs
    # TouchUp rewrites Sanic's request handling in place, for the whole process, dropping the
    # signal dispatches no handler listens to; run a second time it fails (KeyError:
    # 'http1_request_header'). The first app of a process (the one servers load) runs it; the
    # apps a test suite creates after it share the rewritten methods, as all are alike.
    # Measured: without it the adapter served about half of bare Sanic's requests per second.
    app.config.TOUCHUP = name == BASE_NAME
    # Sanic's own server stops reading a body past this; BoundedRequest refuses one past
    # max_body_bytes (over ASGI, the contract's middleware refuses it first).
    app.config.REQUEST_MAX_SIZE = service.settings.max_body_bytes + DRAIN_BYTES
    app.ctx.service = service
    inner: ASGIApp = partial(Sanic.__call__, app)
    # Sanic routes on the path as the server sent it, so it gets the path without the prefix.
    app.ctx.contract = ContractMiddleware(inner, service.settings, path_includes_root=False)
    app.blueprint(bp)
    # The contract's hooks go on the app, not the blueprint: Sanic gives a blueprint's error
    # handlers and middleware only the requests routed to it, and the contract's 404, 405 and
    # 307 are answered before routing.
    app.signal("http.routing.before")(apply_contract)
    app.on_response(prefix_location)
    app.error_handler.add(Exception, handle_error)
    return app


app = create_app()
