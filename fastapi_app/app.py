"""The asgi-compare API on FastAPI, written the way FastAPI's tutorial writes it.

Query and path parameters are core's pydantic models (FastAPI's "query parameter models"),
bodies are core's models, and handlers that block (CPU work, and the item and model stores,
which may be a SQLite file) are plain ``def``: FastAPI runs those in its threadpool, off the
event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    Path,
    Query,
    Request,
    Response,
    WebSocket,
)
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection

from core import answers, live
from core.about import about as about_app
from core.asgi import ContractMiddleware
from core.errors import ApiError, error_response, http_error
from core.models import (
    About,
    AddResult,
    Coefs,
    DelayQuery,
    Empty,
    EventsQuery,
    FitData,
    Greeting,
    Item,
    ItemPatch,
    Message,
    Page,
    PredictData,
    Prediction,
    StoredItem,
    UserEcho,
)
from core.openapi import ASSETS_PATH, SWAGGER_UI_DIR, with_api_key
from core.service import Service
from core.settings import Settings
from core.validation import encode_errors
from fastapi_app.contract import DocumentedRoute, operation_id

router = APIRouter(route_class=DocumentedRoute, generate_unique_id_function=operation_id)


def get_service(connection: HTTPConnection) -> Service:  # a request's or a WebSocket's
    service: Service = connection.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


@router.get("/", include_in_schema=False, name="root")
async def root() -> RedirectResponse:
    return RedirectResponse("/docs")


@router.get("/docs", include_in_schema=False, name="docs")
async def docs(request: Request) -> HTMLResponse:
    # FastAPI's recipe for docs without a CDN: its page, with files the app serves itself.
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
    )


@router.get("/hello", name="hello")
async def hello() -> Message:
    return answers.hello()


def _about(connection: HTTPConnection) -> About:
    return about_app(
        "fastapi",
        root_path=connection.scope.get("root_path", ""),
        scheme=connection.url.scheme,
        host=connection.headers.get("host"),
        client=connection.client.host if connection.client else None,
    )


@router.get("/about", name="about")
async def about(request: Request) -> About:
    return _about(request)


@router.get("/add", name="add")
async def add(x: int, y: int = 0) -> AddResult:
    return answers.add(x, y)


@router.get("/user/{user_id}", name="user")
async def user(user_id: int, name: str | None = None) -> UserEcho:
    return answers.user(user_id, name)


@router.get("/async-route", name="async_route")
async def async_route(q: Annotated[DelayQuery, Query()]) -> Message:
    return await answers.async_route(q.delay)


@router.get("/greetings", name="greetings")
async def greetings(service: ServiceDep) -> list[Greeting]:
    return service.greetings.all()


@router.get("/greetings/{lang}", name="greeting")
async def greeting(lang: str, service: ServiceDep) -> Greeting:
    return service.greetings.get(lang)


@router.get("/items", name="list_items")
def list_items(page: Annotated[Page, Query()], service: ServiceDep) -> list[StoredItem]:
    return service.items.page(page.offset, page.limit)


@router.post("/items", status_code=201, name="create_item")
def create_item(item: Item, response: Response, service: ServiceDep) -> StoredItem:
    stored = service.items.add(item)
    response.headers["Location"] = answers.item_location(stored)
    return stored


ItemId = Annotated[int, Path()]


@router.get("/items/{item_id}", name="get_item")
def get_item(item_id: ItemId, service: ServiceDep) -> StoredItem:
    return service.items.get(item_id)


@router.put("/items/{item_id}", name="replace_item")
def replace_item(item_id: ItemId, item: Item, service: ServiceDep) -> StoredItem:
    return service.items.replace(item_id, item)


@router.patch("/items/{item_id}", name="update_item")
def update_item(item_id: ItemId, patch: ItemPatch, service: ServiceDep) -> StoredItem:
    return service.items.update(item_id, patch.model_dump(exclude_unset=True))


@router.delete("/items/{item_id}", status_code=204, name="delete_item")
def delete_item(item_id: ItemId, service: ServiceDep) -> Response:
    service.items.delete(item_id)
    return Response(status_code=204)


@router.post("/fit", name="fit")
def fit(data: FitData, service: ServiceDep) -> Coefs:
    return service.model.fit(data)


@router.post("/predict", name="predict")
def predict(data: PredictData, service: ServiceDep) -> Prediction:
    return service.model.predict(data)


@router.get("/coefs", name="coefs")
def coefs(service: ServiceDep) -> Coefs:
    return service.model.coefs()


@router.get("/plot", response_class=Response, name="plot")
def plot(service: ServiceDep) -> Response:
    return Response(service.model.plot_png(), media_type="image/png")


# Out of the document, as in core's (core/routes.py says why).
@router.get("/events", response_class=EventSourceResponse, include_in_schema=False, name="events")
async def events(
    q: Annotated[EventsQuery, Query()], last_event_id: Annotated[str | None, Header()] = None
) -> AsyncIterable[ServerSentEvent]:
    async for event in live.ticks(q, last_event_id):
        yield ServerSentEvent(id=event.id, event=event.event, data=event.data)


@router.websocket("/ws", name="ws")
async def ws(websocket: WebSocket, service: ServiceDep) -> None:
    await websocket.accept(subprotocol=live.subprotocol(websocket.scope["subprotocols"]))
    await websocket.send_text(live.hello(_about(websocket)))
    await live.converse(
        websocket.receive,
        websocket.send_text,
        websocket.send_bytes,
        websocket.close,
        service.settings.max_ws_message_bytes,
    )


@router.get("/reset", name="reset")
@router.post("/reset", name="reset")
def reset(service: ServiceDep) -> Empty:
    service.model.reset()
    return Empty()


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    answer = error_response(exc)
    return JSONResponse(answer.body, answer.status, headers=answer.headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own HTTP errors, through core's table like the contract's.
    Any other exception goes on to the contract's middleware, which logs it and answers 500."""
    assert isinstance(exc, StarletteHTTPException)
    answer = http_error(exc.status_code, str(exc.detail), exc.headers, exc=exc)
    return JSONResponse(answer.body, answer.status, headers=answer.headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI's own handler answers 500 when an echoed input is NaN; core encodes it safely.
    return JSONResponse({"detail": encode_errors(exc.errors())}, status_code=422)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.service.warm_up()
    yield
    app.state.service.close()


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    service = Service.create(settings) if service is None else service
    app = FastAPI(
        title="asgi-compare",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by docs() below, from the app's own files
        redoc_url=None,
    )
    app.state.service = service
    app.include_router(router)
    # After the API's routes: Starlette tries routes in order, and every request would
    # first be matched against the mount's pattern.
    app.mount(ASSETS_PATH, StaticFiles(directory=SWAGGER_UI_DIR), name="docs_assets")
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_middleware(ContractMiddleware, settings=service.settings, fit_pool=service.fit_pool)
    if service.settings.api_key is not None:
        # FastAPI's way to extend its document ("Extending OpenAPI"): replace app.openapi.
        generate = app.openapi
        app.openapi = lambda: with_api_key(generate())  # type: ignore[method-assign]
    return app


app = create_app()
