"""The asgi-compare API on Quart, written the way Quart's docs write it.

A blueprint holds the routes; each app keeps its own core ``Service`` in
``app.extensions``. Handlers read raw parts of the request and let core's ``RequestParser``
validate them, so errors read exactly as FastAPI's. Blocking work (CPU, and the item and model
stores, which may be a SQLite file) goes through ``quart.utils.run_sync``, which runs it in a
thread off the event loop. ASGI middleware wraps ``app.asgi_app``.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import Any, cast

from quart import Blueprint, Quart, Response, current_app, redirect, request, send_from_directory
from quart.utils import run_sync
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from core.asgi import ASGIApp, ContractMiddleware
from core.errors import error_response
from core.models import (
    AddQuery,
    Coefs,
    DelayQuery,
    FitData,
    GreetingRef,
    Item,
    ItemPatch,
    ItemRef,
    Page,
    PredictData,
    Prediction,
    StoredItem,
    UserPath,
    UserQuery,
)
from core.openapi import ASSETS_PATH, SWAGGER_UI_DIR, openapi_document, swagger_ui_html
from core.service import Service
from core.settings import Settings
from core.validation import RequestParser

bp = Blueprint("api", __name__)


def _service() -> Service:
    service: Service = current_app.extensions["asgi_compare"]
    return service


async def _body() -> bytes:
    data: bytes = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    return data


@bp.get("/")
async def root() -> WerkzeugResponse:
    return redirect("/docs", code=307)


@bp.get("/docs")
async def docs() -> str:
    return swagger_ui_html(request.root_path)


@bp.get(f"{ASSETS_PATH}/<file>")
async def docs_asset(file: str) -> Response:
    return await send_from_directory(SWAGGER_UI_DIR, file)


@bp.get("/openapi.json")
async def openapi() -> dict[str, Any]:
    return openapi_document(request.root_path, api_key=_service().settings.api_key is not None)


@bp.get("/hello")
async def hello() -> dict[str, Any]:
    return {"message": "Hello World"}


@bp.get("/about")
async def about() -> dict[str, Any]:
    return {
        "framework": "quart",
        "framework_version": version("quart"),
        "root_path": request.root_path,
    }


@bp.get("/add")
async def add() -> dict[str, Any]:
    parser = RequestParser()
    q = parser.query(AddQuery, request.query_string)
    parser.check()
    return {"result": q.x + q.y}


@bp.get("/user/<user_id>")
async def user(user_id: str) -> dict[str, Any]:
    parser = RequestParser()
    path = parser.path(UserPath, {"user_id": user_id})
    q = parser.query(UserQuery, request.query_string)
    parser.check()
    res: dict[str, Any] = {"user_id": path.user_id}
    if q.name is not None:
        res["name"] = q.name
    return res


@bp.get("/async-route")
async def async_route() -> dict[str, Any]:
    parser = RequestParser()
    q = parser.query(DelayQuery, request.query_string)
    parser.check()
    await asyncio.sleep(q.delay)
    return {"message": "This is an asynchronous route"}


@bp.get("/greetings")
async def greetings() -> list[dict[str, Any]]:
    return [g.model_dump() for g in _service().greetings.all()]


@bp.get("/greetings/<lang>")
async def greeting(lang: str) -> dict[str, Any]:
    parser = RequestParser()
    ref = parser.path(GreetingRef, {"lang": lang})
    parser.check()
    return _service().greetings.get(ref.lang).model_dump()


@bp.get("/items")
async def list_items() -> list[dict[str, Any]]:
    parser = RequestParser()
    page = parser.query(Page, request.query_string)
    parser.check()
    items: list[StoredItem] = await run_sync(_service().items.page)(page.offset, page.limit)
    return [i.model_dump() for i in items]


@bp.post("/items")
async def create_item() -> tuple[dict[str, Any], int, dict[str, str]]:
    parser = RequestParser()
    item = parser.body(Item, await _body(), request.headers.get("content-type"))
    parser.check()
    stored: StoredItem = await run_sync(_service().items.add)(item)
    return stored.model_dump(), 201, {"Location": f"/items/{stored.id}"}


@bp.get("/items/<item_id>")
async def get_item(item_id: str) -> dict[str, Any]:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    parser.check()
    stored: StoredItem = await run_sync(_service().items.get)(ref.item_id)
    return stored.model_dump()


@bp.put("/items/<item_id>")
async def replace_item(item_id: str) -> dict[str, Any]:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    item = parser.body(Item, await _body(), request.headers.get("content-type"))
    parser.check()
    stored: StoredItem = await run_sync(_service().items.replace)(ref.item_id, item)
    return stored.model_dump()


@bp.patch("/items/<item_id>")
async def update_item(item_id: str) -> dict[str, Any]:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    patch = parser.body(ItemPatch, await _body(), request.headers.get("content-type"))
    parser.check()
    changes = patch.model_dump(exclude_unset=True)
    stored: StoredItem = await run_sync(_service().items.update)(ref.item_id, changes)
    return stored.model_dump()


@bp.delete("/items/<item_id>")
async def delete_item(item_id: str) -> tuple[str, int]:
    parser = RequestParser()
    ref = parser.path(ItemRef, {"item_id": item_id})
    parser.check()
    await run_sync(_service().items.delete)(ref.item_id)
    return "", 204


@bp.post("/fit")
async def fit() -> dict[str, Any]:
    parser = RequestParser()
    data = parser.body(FitData, await _body(), request.headers.get("content-type"))
    parser.check()
    coefs: Coefs = await run_sync(_service().model.fit)(data)
    return coefs.model_dump()


@bp.post("/predict")
async def predict() -> dict[str, Any]:
    parser = RequestParser()
    data = parser.body(PredictData, await _body(), request.headers.get("content-type"))
    parser.check()
    prediction: Prediction = await run_sync(_service().model.predict)(data)
    return prediction.model_dump()


@bp.get("/coefs")
async def coefs() -> dict[str, Any]:
    coefs: Coefs = await run_sync(_service().model.coefs)()
    return coefs.model_dump()


@bp.get("/plot")
async def plot() -> Response:
    png = await run_sync(_service().model.plot_png)()
    return Response(png, mimetype="image/png")


@bp.route("/reset", methods=["GET", "POST"])
async def reset() -> dict[str, Any]:
    await run_sync(_service().model.reset)()
    return {}


@bp.before_app_serving
async def warm_up() -> None:
    _service().warm_up()


@bp.app_errorhandler(Exception)
async def handle_error(exc: Exception) -> tuple[dict[str, Any], int, dict[str, str]]:
    if isinstance(exc, HTTPException):  # raised by Quart itself, e.g. a body over its limit
        return {"detail": exc.name}, exc.code or 500, {}
    answer = error_response(exc)
    return answer.body, answer.status, answer.headers


def create_app(settings: Settings | None = None, service: Service | None = None) -> Quart:
    service = Service.create(settings) if service is None else service
    app = Quart(__name__)
    # Quart's own limit agrees with the contract's, which the middleware enforces first.
    app.config["MAX_CONTENT_LENGTH"] = service.settings.max_body_bytes
    app.extensions["asgi_compare"] = service
    app.register_blueprint(bp)
    # Quart's documented place for ASGI middleware; Quart types ASGI with TypedDicts.
    app.asgi_app = cast(  # type: ignore[method-assign]
        Any,
        ContractMiddleware(
            cast(ASGIApp, app.asgi_app),
            service.settings,
            path_includes_root=True,
        ),
    )
    return app


app = create_app()
