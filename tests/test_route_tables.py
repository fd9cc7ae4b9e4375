"""Each framework's own route table, read through its public API, is core's table: nothing
missing, nothing extra.

Core's ``OPERATIONS`` is what the contract's routing answers 404 and 405 by and what the
OpenAPI document lists; a route an adapter adds or drops behind its back would be unreachable or
undocumented. Templates are compared with their parameters written ``{name}`` (Werkzeug and
Sanic write ``<name>``); HEAD and OPTIONS are left out, as the frameworks add them to every
route themselves and core answers HEAD as GET.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

import falcon.asgi
import falcon.inspect
import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from asgi_compare.harness import FRAMEWORKS, entrypoint
from core.routes import OPERATIONS, WEBSOCKETS

Table = set[tuple[str, str]]
ADDED_BY_FRAMEWORKS = {"HEAD", "OPTIONS"}
WEBSOCKET = "WEBSOCKET"  # a WebSocket route's entry, as Falcon's router names its responder
# Core's one route for Swagger UI's files; each framework serves a directory its own way.
STATIC = "/docs/static/{file}"


def template(path: str, parameter: str) -> str:
    """``path`` with each parameter matched by ``parameter`` (its name in group 1) as
    ``{name}``, and a leading slash (Sanic's paths have none)."""
    return "/" + re.sub(parameter, r"{\1}", path).lstrip("/")


WERKZEUG = r"<(?:[^<>:]+:)?([^<>:]+)>"  # <item_id>, <int:item_id>
SANIC = r"<([^<>:]+)(?::[^<>]+)?>"  # <item_id>, <item_id:str>


def entries(methods: Iterable[str], path: str) -> Table:
    return {(m, path) for m in methods if m not in ADDED_BY_FRAMEWORKS}


def fastapi_routes(app: Any) -> Table:
    table: Table = set()
    for route in app.routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI keeps an included router as one entry of app.routes
            table |= fastapi_routes(included)
        elif isinstance(route, Mount):  # StaticFiles, mounted at the directory's path
            table.add(("GET", f"{route.path}/{{file}}"))
        elif isinstance(route, WebSocketRoute):  # APIWebSocketRoute
            table.add((WEBSOCKET, route.path))
        elif isinstance(route, Route):  # APIRoute, and FastAPI's own /openapi.json
            table |= entries(route.methods or (), route.path)
    return table


def quart_routes(app: Any) -> Table:
    table: Table = set()
    for rule in app.url_map.iter_rules():
        methods = {WEBSOCKET} if rule.websocket else rule.methods or ()
        table |= entries(methods, template(rule.rule, WERKZEUG))
    return table


def falcon_routes(app: Any) -> Table:
    while not isinstance(app, falcon.asgi.App):  # the contract's middleware around it
        app = app.app
    table: Table = set()
    for route in falcon.inspect.inspect_routes(app):
        methods = (m.method for m in route.methods if not m.internal)  # internal: Falcon's 405s
        table |= entries(methods, route.path)
    for static in falcon.inspect.inspect_static_routes(app):
        table.add(("GET", static.prefix + "{file}"))
    return table


def sanic_routes(app: Any) -> Table:
    table: Table = set()
    for route in app.router.routes:
        path = template(route.path, SANIC)
        if route.name.endswith(".docs_assets"):  # Sanic's static route names its parameter
            path = STATIC  # __file_uri__
        table |= entries({WEBSOCKET} if route.extra.websocket else route.methods, path)
    return table


READERS: dict[str, Callable[[Any], Table]] = {
    "fastapi": fastapi_routes,
    "quart": quart_routes,
    "falcon": falcon_routes,
    "sanic": sanic_routes,
}


def core_table() -> Table:
    return {(op.method, op.path) for op in (*OPERATIONS, *WEBSOCKETS)}


def test_every_framework_has_a_reader() -> None:
    assert set(READERS) == set(FRAMEWORKS)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_framework_routes_exactly_cores_table(framework: str) -> None:
    module, _, attribute = entrypoint(framework).partition(":")
    app = getattr(importlib.import_module(module), attribute)
    routed = READERS[framework](app)
    expected = core_table()
    assert not expected - routed, f"missing from {framework}: {sorted(expected - routed)}"
    assert not routed - expected, f"only in {framework}: {sorted(routed - expected)}"
