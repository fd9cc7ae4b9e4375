"""The asgi-compare API on Quart, written the way Quart's docs write it.

A blueprint holds the routes; each app keeps its own core ``Service`` in ``app.extensions``.
quart-schema's ``@validate_querystring`` and ``@validate_request`` validate queries and bodies
with core's models, and core's ``path_params`` the path values (quart-schema has nothing for
them). A request class (``quart_app.contract``) reads the query and the body as FastAPI does,
and ``invalid`` answers quart-schema's errors through core, so every 422 reads as FastAPI's.

Blocking work (CPU, and the item and model stores, which may be a SQLite file) goes through
``quart.utils.run_sync``, which runs it in a thread off the event loop. ASGI middleware wraps
``app.asgi_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from quart import (
    Blueprint,
    Quart,
    Response,
    current_app,
    redirect,
    request,
    send_from_directory,
    websocket,
)
from quart.utils import run_sync
from quart.wrappers import BaseRequestWebsocket
from quart_schema import (
    QuartSchema,
    RequestSchemaValidationError,
    validate_querystring,
    validate_request,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from core import answers, live
from core.about import about as about_app
from core.errors import ApiError, error_response, http_error
from core.models import (
    About,
    AddQuery,
    AddResult,
    Coefs,
    DelayQuery,
    Empty,
    EventsQuery,
    FitData,
    Greeting,
    Item,
    ItemPatch,
    ItemRef,
    Message,
    Page,
    PredictData,
    Prediction,
    StoredItem,
    UserEcho,
    UserPath,
    UserQuery,
)
from core.openapi import ASSETS_PATH, SWAGGER_UI_DIR, openapi_document, swagger_ui_html
from core.service import Service
from core.settings import Settings
from core.validation import BodyInvalid, path_params
from quart_app.contract import configure, contract_middleware, invalid_answer

bp = Blueprint("api", __name__)


def _service() -> Service:
    service: Service = current_app.extensions["asgi_compare"]
    return service


@bp.get("/", endpoint="root")
async def root() -> WerkzeugResponse:
    return redirect("/docs", code=307)


@bp.get("/docs", endpoint="docs")
async def docs() -> str:
    return swagger_ui_html(request.root_path)


@bp.get(f"{ASSETS_PATH}/<file>", endpoint="docs_asset")
async def docs_asset(file: str) -> Response:
    return await send_from_directory(SWAGGER_UI_DIR, file)


@bp.get("/openapi.json", endpoint="openapi")
async def openapi() -> dict[str, Any]:
    return openapi_document(request.root_path, api_key=_service().settings.api_key is not None)


@bp.get("/hello", endpoint="hello")
async def hello() -> Message:
    return answers.hello()


def _about(connection: BaseRequestWebsocket) -> About:  # the request, or the websocket
    return about_app(
        "quart",
        root_path=connection.root_path,
        scheme=connection.scheme,
        host=connection.headers.get("host"),
        client=connection.remote_addr,
    )


@bp.get("/about", endpoint="about")
async def about() -> About:
    return _about(request)


@bp.get("/add", endpoint="add")
@validate_querystring(AddQuery)
async def add(query_args: AddQuery) -> AddResult:
    return answers.add(query_args.x, query_args.y)


@bp.get("/user/<user_id>", endpoint="user")
@validate_querystring(UserQuery)
async def user(user_id: str, query_args: UserQuery) -> UserEcho:
    path = path_params(UserPath, user_id=user_id)
    return answers.user(path.user_id, query_args.name)


@bp.get("/async-route", endpoint="async_route")
@validate_querystring(DelayQuery)
async def async_route(query_args: DelayQuery) -> Message:
    return await answers.async_route(query_args.delay)


@bp.get("/greetings", endpoint="greetings")
async def greetings() -> list[Greeting]:
    return _service().greetings.all()


@bp.get("/greetings/<lang>", endpoint="greeting")
async def greeting(lang: str) -> Greeting:
    return _service().greetings.get(lang)


@bp.get("/items", endpoint="list_items")
@validate_querystring(Page)
async def list_items(query_args: Page) -> list[StoredItem]:
    page = _service().items.page
    items: list[StoredItem] = await run_sync(page)(query_args.offset, query_args.limit)
    return items


@bp.post("/items", endpoint="create_item")
@validate_request(Item)
async def create_item(data: Item) -> tuple[StoredItem, int, dict[str, str]]:
    stored: StoredItem = await run_sync(_service().items.add)(data)
    return stored, 201, {"Location": answers.item_location(stored)}


@bp.get("/items/<item_id>", endpoint="get_item")
async def get_item(item_id: str) -> StoredItem:
    ref = path_params(ItemRef, item_id=item_id)
    stored: StoredItem = await run_sync(_service().items.get)(ref.item_id)
    return stored


@bp.put("/items/<item_id>", endpoint="replace_item")
@validate_request(Item)
async def replace_item(item_id: str, data: Item) -> StoredItem:
    ref = path_params(ItemRef, item_id=item_id)
    stored: StoredItem = await run_sync(_service().items.replace)(ref.item_id, data)
    return stored


@bp.patch("/items/<item_id>", endpoint="update_item")
@validate_request(ItemPatch)
async def update_item(item_id: str, data: ItemPatch) -> StoredItem:
    ref = path_params(ItemRef, item_id=item_id)
    changes = data.model_dump(exclude_unset=True)
    stored: StoredItem = await run_sync(_service().items.update)(ref.item_id, changes)
    return stored


@bp.delete("/items/<item_id>", endpoint="delete_item")
async def delete_item(item_id: str) -> tuple[str, int]:
    ref = path_params(ItemRef, item_id=item_id)
    await run_sync(_service().items.delete)(ref.item_id)
    return "", 204


@bp.post("/fit", endpoint="fit")
@validate_request(FitData)
async def fit(data: FitData) -> Coefs:
    coefs: Coefs = await run_sync(_service().model.fit)(data)
    return coefs


@bp.post("/predict", endpoint="predict")
@validate_request(PredictData)
async def predict(data: PredictData) -> Prediction:
    prediction: Prediction = await run_sync(_service().model.predict)(data)
    return prediction


@bp.get("/coefs", endpoint="coefs")
async def coefs() -> Coefs:
    coefs: Coefs = await run_sync(_service().model.coefs)()
    return coefs


@bp.get("/plot", endpoint="plot")
async def plot() -> Response:
    png = await run_sync(_service().model.plot_png)()
    return Response(png, mimetype="image/png")


@bp.get("/events", endpoint="events")
@validate_querystring(EventsQuery)
async def events(query_args: EventsQuery) -> Response:
    last_event_id = request.headers.get("Last-Event-ID")

    async def send_events() -> AsyncIterator[bytes]:
        async for event in live.ticks(query_args, last_event_id):
            yield event.encode()

    headers = {"Content-Type": "text/event-stream", **live.STREAM_HEADERS}
    response = Response(send_events(), headers=headers)
    response.timeout = None  # Quart's RESPONSE_TIMEOUT would end a long stream
    return response


@bp.websocket("/ws", endpoint="ws")
async def ws() -> None:
    await websocket.accept(subprotocol=live.subprotocol(websocket.requested_subprotocols))
    await websocket.send(live.hello(_about(websocket)))
    limit = _service().settings.max_ws_message_bytes
    await live.converse(websocket.receive, websocket.send, websocket.send, websocket.close, limit)


@bp.route("/reset", methods=["GET", "POST"], endpoint="reset")
async def reset() -> Empty:
    await run_sync(_service().model.reset)()
    return Empty()


@bp.before_app_serving
async def warm_up() -> None:
    _service().warm_up()


@bp.after_app_serving
async def close() -> None:
    _service().close()


@bp.app_errorhandler(RequestSchemaValidationError)
@bp.app_errorhandler(BodyInvalid)
async def invalid(exc: Exception) -> tuple[dict[str, Any], int, dict[str, str]]:
    """What quart-schema refused (or the request class could not read), as FastAPI answers."""
    return invalid_answer(exc)


@bp.app_errorhandler(ApiError)
@bp.app_errorhandler(HTTPException)  # raised by Quart itself, e.g. a body over its limit
async def handle_error(exc: Exception) -> tuple[dict[str, Any], int, dict[str, str]]:
    if isinstance(exc, HTTPException):
        answer = http_error(exc.code or 500, exc.name, exc=exc)
    else:
        answer = error_response(exc)
    return answer.body, answer.status, answer.headers


def create_app(settings: Settings | None = None, service: Service | None = None) -> Quart:
    service = Service.create(settings) if service is None else service
    app = Quart(__name__, static_folder=None)  # no /static route: core's table has none
    configure(app, service.settings)  # the contract's request class, body limit, propagation
    # For quart-schema's decorators; no routes: /openapi.json and /docs are core's.
    QuartSchema(app, openapi_path=None)
    app.extensions["asgi_compare"] = service
    app.register_blueprint(bp)
    # Quart's documented place for ASGI middleware.
    app.asgi_app = contract_middleware(app.asgi_app, service)  # type: ignore[method-assign]
    return app


app = create_app()
