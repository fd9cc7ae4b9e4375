"""The API's routes, declared once: the middleware routes 404/405/slash answers by them and
the OpenAPI document of the adapters without a native one is built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pydantic import BaseModel

from core import models as m

__all__ = [
    "OPERATIONS",
    "ROUTES",
    "WEBSOCKETS",
    "WEBSOCKET_PATHS",
    "Operation",
    "RouteTable",
    "operation",
]


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # FastAPI's template syntax: /items/{item_id}
    name: str  # the route's name in every adapter, and its operation id's stem
    summary: str = ""
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    response_list: bool = False  # the response is a JSON array of `response`
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[int, ...] = ()
    in_schema: bool = True

    @property
    def operation_id(self) -> str:
        """``{name}_{method}``: the rule every adapter's document follows."""
        return f"{self.name}_{self.method.lower()}"


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/", "root", in_schema=False, status=307),
    Operation("GET", "/docs", "docs", in_schema=False, media_type="text/html"),
    Operation("GET", "/docs/static/{file}", "docs_asset", in_schema=False),
    Operation("GET", "/openapi.json", "openapi", in_schema=False),
    Operation("GET", "/hello", "hello", "Hello World", response=m.Message),
    Operation("GET", "/about", "about", "Framework, version and root_path", response=m.About),
    Operation("GET", "/add", "add", "Add two integers", query=m.AddQuery, response=m.AddResult),
    Operation(
        "GET",
        "/user/{user_id}",
        "user",
        "Echo a user",
        m.UserPath,
        m.UserQuery,
        response=m.UserEcho,
    ),
    Operation(
        "GET",
        "/async-route",
        "async_route",
        "Sleep, then answer",
        query=m.DelayQuery,
        response=m.Message,
    ),
    Operation(
        "GET",
        "/greetings",
        "greetings",
        "All greetings, sorted by language",
        response=m.Greeting,
        response_list=True,
    ),
    Operation(
        "GET",
        "/greetings/{lang}",
        "greeting",
        "One greeting",
        m.GreetingRef,
        response=m.Greeting,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/items",
        "list_items",
        "Stored items in insertion order",
        query=m.Page,
        response=m.StoredItem,
        response_list=True,
    ),
    Operation(
        "POST",
        "/items",
        "create_item",
        "Store an item",
        body=m.Item,
        response=m.StoredItem,
        status=201,
    ),
    Operation(
        "GET",
        "/items/{item_id}",
        "get_item",
        "One item",
        m.ItemRef,
        response=m.StoredItem,
        errors=(400, 404),
    ),
    Operation(
        "PUT",
        "/items/{item_id}",
        "replace_item",
        "Replace an item",
        m.ItemRef,
        body=m.Item,
        response=m.StoredItem,
        errors=(400, 404),
    ),
    Operation(
        "PATCH",
        "/items/{item_id}",
        "update_item",
        "Change some fields of an item",
        m.ItemRef,
        body=m.ItemPatch,
        response=m.StoredItem,
        errors=(400, 404),
    ),
    Operation(
        "DELETE",
        "/items/{item_id}",
        "delete_item",
        "Delete an item",
        m.ItemRef,
        status=204,
        errors=(400, 404),
    ),
    Operation("POST", "/fit", "fit", "Fit the linear regression", body=m.FitData, response=m.Coefs),
    Operation(
        "POST",
        "/predict",
        "predict",
        "Predict from the fitted model",
        body=m.PredictData,
        response=m.Prediction,
        errors=(400,),
    ),
    Operation("GET", "/coefs", "coefs", "Coefficients of the fit", response=m.Coefs),
    Operation(
        "GET",
        "/plot",
        "plot",
        "Residuals vs fitted values",
        media_type="image/png",
        errors=(400,),
    ),
    Operation(
        "GET",
        "/events",
        "events",
        "Server-sent events, one every interval seconds",
        query=m.EventsQuery,
        media_type="text/event-stream",
        # Out of the document: OpenAPI 3.1 cannot describe a stream's items, and FastAPI's
        # description of one (3.2's itemSchema, in a document that says 3.1.0) fails
        # validation as 3.1 (openapi-spec-validator, FastAPI 0.165).
        in_schema=False,
    ),
    Operation("GET", "/reset", "reset", "Forget the fit", response=m.Empty),
    Operation("POST", "/reset", "reset", "Forget the fit", response=m.Empty),
)

# The WebSocket routes (core.live): a handshake on any other path is refused (core.asgi).
# Apart from OPERATIONS, whose routes are HTTP's: a plain GET /ws is a 404, as on any unknown
# path.
WEBSOCKETS: tuple[Operation, ...] = (
    Operation("WEBSOCKET", "/ws", "ws", "Hello, then an echo of each message", in_schema=False),
)
WEBSOCKET_PATHS = frozenset(op.path for op in WEBSOCKETS)


def operation(name: str) -> Operation:
    """The operation of a route's name, given where the route is declared (FastAPI's and
    Sanic's ``name=``, Quart's ``endpoint=``), never taken from a handler's function name: a
    renamed handler changes no answer. GET and POST /reset share one, and its rules."""
    for op in OPERATIONS:
        if op.name == name:
            return op
    raise KeyError(name)


class RouteTable:
    """Answers which methods a concrete path allows, or ``None`` when no route has it."""

    def __init__(self, operations: tuple[Operation, ...]) -> None:
        self.operations = operations

    @cached_property
    def _static(self) -> dict[str, tuple[str, ...]]:
        return {path: methods for path, methods in self._by_template.items() if "{" not in path}

    @cached_property
    def _dynamic(self) -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
        return [
            (re.compile("^" + re.sub(r"\{[^/{}]+\}", "[^/]+", path) + "$"), methods)
            for path, methods in self._by_template.items()
            if "{" in path
        ]

    @cached_property
    def _by_template(self) -> dict[str, tuple[str, ...]]:
        table: dict[str, list[str]] = {}
        for op in self.operations:
            methods = table.setdefault(op.path, [])
            methods.append(op.method)
            if op.method == "GET":
                methods.append("HEAD")  # HEAD is answered as GET without a body
        return {path: tuple(methods) for path, methods in table.items()}

    @cached_property
    def static_routes(self) -> frozenset[tuple[str, str]]:
        """Each (method, path) of a route without parameters: what :meth:`methods` allows
        of a path that needs no pattern."""
        return frozenset((m, path) for path, methods in self._static.items() for m in methods)

    def methods(self, path: str) -> tuple[str, ...] | None:
        found = self._static.get(path)
        if found is not None:
            return found
        for pattern, methods in self._dynamic:
            if pattern.match(path):
                return methods
        return None


ROUTES = RouteTable(OPERATIONS)
