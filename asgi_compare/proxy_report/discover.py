"""What to probe in an app this project did not write, found by asking the app, served directly.

The app's OpenAPI document, where it has one at a usual place, names its GET routes: the first
without required parameters that answers 2xx is probed, and the first that redirects (or that
route with its trailing slash toggled, when the framework redirects that). The docs page is
looked for at the usual places, with the spec URL it loads. ``GET /`` and the caller's own
paths are probed too. Every answer is recorded as the app gives it directly, without a proxy:
behind a proxy the same answer is expected, with the prefix in each URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

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


def answer(response: httpx.Response) -> Answer:
    location = response.headers.get("location", "")
    if location:
        parts = urlsplit(urljoin(str(response.url), location))
        location = parts.path + (f"?{parts.query}" if parts.query else "")
    return Answer(response.status_code, location)


def discover(client: httpx.Client, base: str, paths: Iterable[str] = ()) -> Discovery:
    """Ask the app at ``base`` (the server itself, no prefix) what it serves."""
    answers: dict[str, Answer] = {}

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
        get(path)
    servers = tuple(str(s.get("url", "")) for s in document.get("servers", []) or [])
    return Discovery(spec, docs, loads, route, redirect, root, servers, answers)


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
