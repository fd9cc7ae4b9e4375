"""What to probe in an app this project did not write, found by asking the app, served directly.

The app's OpenAPI document, where it has one at a usual place, names its GET routes: the first
without required parameters that answers 2xx is probed, and the first that redirects (or that
route with its trailing slash toggled, when the framework redirects that). The docs page is
looked for at the usual places, with the spec URL it loads. ``GET /`` and the caller's own
paths are probed too. Every answer is recorded as the app gives it directly, without a proxy:
behind a proxy the same answer is expected, with the prefix in each URL.

WebSocket routes are found where the framework lists them, in the app object itself
(:func:`websocket_routes`: Starlette's and FastAPI's routes, mounts included, Litestar's,
Quart's URL map), beside the caller's own (``--probe-ws``); each handshake is recorded as it is
answered directly. A caller's path that answers ``text/event-stream`` is read as an event
stream, with when its first events arrived.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from asgi_compare.proxy_report.live import Handshake, Stream, handshake, read_events

# Where FastAPI, Litestar, quart-schema, sanic-ext, Django Ninja and others put them.
SPEC_PATHS = ("/openapi.json", "/schema/openapi.json", "/docs/openapi.json", "/api/openapi.json")
DOCS_PATHS = ("/docs", "/schema", "/schema/swagger", "/docs/swagger", "/redoc", "/api/docs")
SPEC_URL = re.compile(r"""(?:\burl\s*:\s*|spec-url=|data-url=)["']([^"']+)["']""")
_TRIES = 25  # GET routes tried at most, so a large API is not walked whole


@dataclass(frozen=True)
class Answer:
    """What a GET answered: the status and, for a redirect, the Location as a path."""

    status: int
    location: str = ""  # resolved against the request URL: path and query, no host

    @property
    def redirects(self) -> bool:
        return 300 <= self.status < 400 and bool(self.location)

    def __str__(self) -> str:
        return f"{self.status} {self.location}".strip()


@dataclass(frozen=True)
class Discovery:
    """What the app showed about itself; ``None`` where it has no such thing (probe n/a)."""

    spec: str | None = None  # the path its OpenAPI document is served at
    docs: str | None = None  # the path of its docs page
    docs_loads: str | None = None  # the spec URL the docs page loads, as written in the page
    route: str | None = None  # a GET route without required parameters that answers 2xx
    redirect: str | None = None  # a path that answers a redirect, other than /
    root: bool = False  # whether GET / answers anything but 404 or 405
    servers: tuple[str, ...] = ()  # the OpenAPI document's servers, as served directly
    answers: dict[str, Answer] = field(default_factory=dict)  # by path, as served directly
    # WebSocket paths (found in the app, then --probe-ws) and their handshakes, directly, with
    # the subprotocols offered; ``listed``: where they were looked for, or why not.
    websockets: dict[str, Handshake] = field(default_factory=dict)
    subprotocols: tuple[str, ...] = ()
    listed: str = ""
    streams: dict[str, Stream] = field(default_factory=dict)  # the --probe paths that stream


def answer(response: httpx.Response) -> Answer:
    location = response.headers.get("location", "")
    if location:
        parts = urlsplit(urljoin(str(response.url), location))
        location = parts.path + (f"?{parts.query}" if parts.query else "")
    return Answer(response.status_code, location)


def discover(
    client: httpx.Client,
    base: str,
    paths: Iterable[str] = (),
    websockets: Iterable[str] = (),
    subprotocols: Iterable[str] = (),
    listed: str = "",
) -> Discovery:
    """Ask the app at ``base`` (the server itself, no prefix) what it serves; ``websockets``:
    the WebSocket paths to try (found in the app, and the caller's), offering
    ``subprotocols``."""
    answers: dict[str, Answer] = {}
    streams: dict[str, Stream] = {}
    offered = tuple(subprotocols)
    shakes = {path: handshake(base + path, offered)[0] for path in dict.fromkeys(websockets)}

    def get(path: str) -> Answer:
        if path not in answers:
            answers[path] = answer(client.get(base + path))
        return answers[path]

    spec, docs, loads = _find_docs(client, base)
    document: dict[str, Any] = {}
    for path in (spec,) if spec else SPEC_PATHS:
        r = client.get(base + path)
        if r.status_code == 200 and "json" in r.headers.get("content-type", ""):
            spec, document = path, r.json()
            break
    else:
        spec = None
    route = redirect = None
    for path in _plain_gets(document)[:_TRIES]:
        seen = get(path)
        route = route or (path if 200 <= seen.status < 300 else None)
        redirect = redirect or (path if seen.redirects else None)
        if route and redirect:
            break
    if route and not redirect:
        # Starlette and Litestar redirect a missing or extra trailing slash to the route.
        toggled = route.rstrip("/") if route.endswith("/") and route != "/" else route + "/"
        redirect = toggled if get(toggled).redirects else None
    root = get("/").status not in (404, 405)
    for path in paths:
        stream = read_events(client, base + path)  # an event stream is not read whole
        if stream.is_events:
            streams[path] = stream
            answers[path] = Answer(stream.status)
        else:
            get(path)
    servers = tuple(str(s.get("url", "")) for s in document.get("servers", []) or [])
    return Discovery(
        spec, docs, loads, route, redirect, root, servers, answers, shakes, offered, listed, streams
    )


def websocket_routes(app: str, app_dir: Path | None = None) -> tuple[tuple[str, ...], str]:
    """The WebSocket paths ``app`` (``module:attribute``) lists, without path parameters, and
    where they were found (or why none could be): the object is imported here, from
    ``app_dir`` (or, as a server's ``--app-dir`` defaults to it, the working directory) first,
    and unwrapped through middleware that keeps the app as ``.app``."""
    module, _, attribute = app.partition(":")
    where = str((app_dir or Path.cwd()).resolve())
    if where not in sys.path:
        sys.path.insert(0, where)
    try:
        target: Any = getattr(importlib.import_module(module), attribute or "app")
    except Exception as exc:  # any error importing the user's app, said
        return (), f"not imported here ({type(exc).__name__}: {exc})"[:120]
    for _ in range(10):
        found = _listed(target)
        if found is not None:
            kind, paths = found
            return tuple(dict.fromkeys(p for p in paths if not _parameter(p))), kind
        target = getattr(target, "app", None)
        if target is None:
            break
    return (), "no route list of Starlette, FastAPI, Litestar or Quart"


def _parameter(path: str) -> bool:
    return "{" in path or "<" in path


def _listed(app: Any) -> tuple[str, list[str]] | None:
    """(where, paths) for an app of a framework whose WebSocket routes can be listed: one whose
    package the app's import loaded (an app of it has imported it)."""
    quart = sys.modules.get("quart")
    if quart is not None and isinstance(app, quart.Quart):
        rules = [r.rule for r in app.url_map.iter_rules() if r.websocket]
        return "Quart's url_map (websocket rules)", rules
    if "litestar" in sys.modules:
        from litestar import Litestar
        from litestar.routes import WebSocketRoute

        if isinstance(app, Litestar):
            paths = [r.path for r in app.routes if isinstance(r, WebSocketRoute)]
            return "Litestar's routes (websocket handlers)", paths
    if "starlette" in sys.modules:
        from starlette.routing import Router

        router = getattr(app, "router", None)
        if isinstance(router, Router):
            return "Starlette's routes (WebSocketRoute, mounts included)", list(_starlette(router))
    return None


def _starlette(router: Any, prefix: str = "") -> Iterator[str]:
    from starlette.routing import Mount, WebSocketRoute

    for route in getattr(router, "routes", ()):
        if isinstance(route, WebSocketRoute):  # FastAPI's APIWebSocketRoute is one
            yield prefix + route.path
        elif isinstance(route, Mount):
            yield from _starlette(route, prefix + route.path)


def _find_docs(client: httpx.Client, base: str) -> tuple[str | None, str | None, str | None]:
    """The spec path the docs page loads, the page's path, and the URL as the page writes it."""
    for path in DOCS_PATHS:
        r = client.get(base + path, follow_redirects=True)
        if r.status_code != 200 or "html" not in r.headers.get("content-type", ""):
            continue
        found = SPEC_URL.search(r.text)
        if found is None:
            return None, path, None  # the spec is inline (Litestar's ReDoc) or nowhere
        spec = urlsplit(urljoin(str(r.url), found.group(1))).path
        return spec, path, found.group(1)
    return None, None, None


def _plain_gets(document: dict[str, Any]) -> list[str]:
    """GET paths with no path parameter and no required parameter, ``/`` apart."""
    out = []
    for path, item in (document.get("paths") or {}).items():
        op = item.get("get") if isinstance(item, dict) else None
        if not isinstance(op, dict) or "{" in path or path == "/":
            continue
        params = [*item.get("parameters", []), *op.get("parameters", [])]
        # A $ref'd parameter may be required: skip rather than resolve references.
        if any("$ref" in p or p.get("required") for p in params if isinstance(p, dict)):
            continue
        out.append(path)
    return out
