"""``asgi-compare side-by-side``: the same endpoint in four frameworks, from their own source.

For every route in core's table, each adapter's handler is found the way its framework finds it
(FastAPI, Quart and Sanic: the module-level function of that name; Falcon: its router's
responder for the path) and its source is shown next to the others. Then, per framework, how it
does routing, validation, errors, sync and async work, docs, and root_path here.
"""

from __future__ import annotations

import html
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asgi_compare.harness import FRAMEWORKS, entrypoint
from core.routes import OPERATIONS, WEBSOCKETS, Operation

TITLES = {"fastapi": "FastAPI", "quart": "Quart", "falcon": "Falcon", "sanic": "Sanic"}

ACCOUNTS: dict[str, dict[str, str]] = {
    "fastapi": {
        "routing": "Decorators on an `APIRouter`, each route named for core's table "
        '(`@router.get("/items/{item_id}", name="get_item")`); `create_app()` includes '
        'it into the app (`app.include_router(router)`), as FastAPI\'s "Bigger Applications" '
        "does.",
        "validation": "Type hints and core's pydantic models in the signature; FastAPI "
        "validates and writes the 422 itself (its handler is swapped for core's encoder, "
        "which survives a NaN input).",
        "errors": "`add_exception_handler` turns core's errors into JSON through core's table. "
        "The errors each route documents come from core's route table, through FastAPI's "
        "custom route class (`APIRouter(route_class=DocumentedRoute, ...)`).",
        "sync and async": "`async def` for I/O; plain `def` for fit, predict and plot, which "
        "FastAPI runs in its threadpool. A large /fit body never reaches FastAPI: core's "
        "middleware fits it in a worker process (`fit_pool=service.fit_pool`), as for all four.",
        "docs": "FastAPI writes the OpenAPI document; /docs is FastAPI's own recipe for "
        "self-hosted Swagger UI, its files from the swagger-ui-py package.",
        "root_path": "Starlette routes either form of the scope's path; the redirect and "
        "Location get the prefix from core's middleware (`app.add_middleware`), whose prefix "
        "layer is the middleware the proxy report gives users for their own apps.",
        "WebSockets and streams": '`@router.websocket("/ws", name="ws")` with Starlette\'s '
        "`WebSocket` (`websocket.accept(subprotocol=...)`; `websocket.receive`, which gives "
        "text and binary messages alike, handed to `live.converse` with `websocket.send_text`, "
        "`websocket.send_bytes` and `websocket.close`); /events yields `ServerSentEvent`s with "
        "`response_class=EventSourceResponse`, FastAPI's own SSE, which sets Cache-Control "
        "and X-Accel-Buffering itself. What is said on both is core's (`core.live.converse`, "
        "`core.live.ticks`).",
    },
    "quart": {
        "routing": "A `Blueprint` with Werkzeug rules (`/items/<item_id>`), registered by "
        "`create_app()` on an app without a static folder; the app's state lives in "
        "`app.extensions`.",
        "validation": "quart-schema's `@validate_querystring` and `@validate_request` with "
        "core's models (`QuartSchema` set up without docs routes of its own); path values, which "
        "quart-schema leaves alone, through core's `path_params`. A request class reads the query "
        "and the body as FastAPI does, and one `app_errorhandler` answers quart-schema's errors "
        "through `core.validation.invalid_request`. Handlers return core's models "
        "(`async def hello() -> Message`), which quart-schema turns into JSON as it makes the "
        "response.",
        "errors": "`@bp.app_errorhandler(ApiError)` and `@bp.app_errorhandler(HTTPException)` "
        "answer core's errors and Quart's own through core's table; any other exception goes "
        "on to core's middleware, which logs it and answers 500.",
        "sync and async": "`await run_sync(...)(...)` from `quart.utils` runs CPU work in a "
        "thread.",
        "docs": "Core's OpenAPI document and Swagger UI page; the files with "
        "`send_from_directory`.",
        "root_path": "Quart wants the prefix inside the scope's path and 404s without it; core's "
        "middleware wraps `app.asgi_app`, Quart's place for ASGI middleware.",
        "WebSockets and streams": '`@bp.websocket("/ws", endpoint="ws")` with Quart\'s '
        "`websocket` global (`websocket.accept(subprotocol=...)`; `websocket.receive` and "
        "`websocket.send`, handed to `live.converse`); "
        "/events returns a `Response` over an async generator, with `response.timeout = None` "
        "so Quart's response timeout does not end a long stream.",
    },
    "falcon": {
        "routing": "Resource classes that receive their collaborators, with suffixed "
        "responders (`on_get_item`) grouping related routes, as Falcon's asgilook example does.",
        "validation": "Falcon has no validation library: a hook, `@falcon.before(parsed(...))`, "
        "validates the path values, `req.query_string` and the body with core's "
        "`RequestParser` and the same pydantic models, and hands the responder the models "
        "(`path`, `query`, `body`).",
        "errors": "`app.add_error_handler(ApiError, _handle_error)` and "
        "`app.add_error_handler(falcon.HTTPError, _handle_error)` answer through core's table; "
        "`app.add_error_handler(Exception, _reraise)` raises anything else again, out to core's "
        "middleware, which logs it and answers 500.",
        "sync and async": "`await in_thread(...)`, Falcon's `sync_to_async` typed, runs CPU work "
        "in a thread.",
        "docs": "Core's OpenAPI document and Swagger UI page; the files with "
        "`app.add_static_route`.",
        "root_path": "Falcon routes on the path as it is and 404s when it holds the prefix; "
        "`create_app()` returns the Falcon app wrapped in core's middleware.",
        "WebSockets and streams": "`on_websocket_ws` on a resource, with Falcon's WebSocket "
        "(`ws.accept(subprotocol=...)`, `ws.receive_media()`, which hands over text and binary "
        "messages as sent through `app.ws_options.media_handlers.update(AS_SENT)`); /events "
        "sets `resp.sse` to an async generator of `falcon.asgi.SSEvent`. The error handler "
        "closes a WebSocket (`ws.close(3000 + ...)`) where it answers HTTP.",
    },
    "sanic": {
        "routing": "A `Blueprint` (`/items/<item_id>`, with `unquote=True` so path values "
        "arrive decoded); the app's state lives on `app.ctx`.",
        "validation": "sanic-ext's `@validate(query=...)` and `@validate(json=..., strict=True)` "
        "with core's models (sanic-ext's own docs stay off: `AUTO_EXTEND = False`); path values "
        "through core's `path_params`. A request class keeps blank query values and reads the "
        "body as FastAPI does, and `@bp.exception` answers sanic-ext's errors through "
        "`core.validation.invalid_request`.",
        "errors": "`app.error_handler.add(Exception, ...)` on the app: a blueprint's handlers "
        "never see requests that were not routed to it.",
        "sync and async": "`await asyncio.to_thread(...)` runs CPU work in a thread.",
        "docs": "Core's OpenAPI document and Swagger UI page; the files with `bp.static`.",
        "root_path": "Sanic routes on the path as it is. Over ASGI, core's middleware sits in "
        "front of `Sanic.__call__`; on Sanic's own server, which runs no ASGI middleware, the "
        "same `Contract` runs in one function, `decide`, from `handle_request` before Sanic "
        "routes, and the request's `respond` puts the prefix on a `Location`.",
        "WebSockets and streams": '`@bp.websocket("/ws", name="ws", subprotocols=...)` '
        "with Sanic's `Websocket` (`ws.recv`, `ws.send` and `ws.close`, handed to "
        "`live.converse`); /events streams with "
        "`await request.respond(...)`, `response.send(...)` and `response.eof()`. Over ASGI, "
        "`ClosingConnection` mends Sanic's WebSocket (its `close` sends nothing); on its own "
        "server, `_websocket_handler` keeps a subprotocol optional, as over ASGI.",
    },
}


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def handler(framework: str, op: Operation) -> Callable[..., Any]:
    module = importlib.import_module(entrypoint(framework).partition(":")[0])
    if framework != "falcon":
        found: Callable[..., Any] = getattr(module, op.name)
        return found
    app = module.create_app()
    while not hasattr(app, "_router"):  # the Falcon app inside the contract's middleware
        app = app.app
    _, methods, _, _ = app._router.find(_sample(op.path))
    responder = methods[op.method]
    return getattr(responder, "__func__", responder)  # type: ignore[no-any-return]


def source(framework: str, op: Operation) -> str:
    try:
        found = handler(framework, op)
    except AttributeError:  # a route the framework writes itself
        return f"# {TITLES[framework]} serves {op.path} itself: no handler of the adapter's.\n"
    return textwrap.dedent(inspect.getsource(found)).rstrip() + "\n"


def shown() -> list[Operation]:
    """Every route once (GET /reset and POST /reset share one handler in three of the four),
    the WebSocket route included (Falcon's router lists its responder as ``WEBSOCKET``)."""
    return [op for op in (*OPERATIONS, *WEBSOCKETS) if op.path != "/docs/static/{file}"]


def render_markdown() -> str:
    lines = [
        "# The same API in four frameworks",
        "",
        "Generated by `asgi-compare side-by-side` from the adapters' own source; a test fails "
        "when this page is stale. Every handler only parses, calls `core`, and serialises; what "
        "differs is how each framework wants that written.",
        "",
    ]
    for op in shown():
        lines += [f"## {op.method} {op.path}", ""]
        for framework in FRAMEWORKS:
            lines += [
                f"**{TITLES[framework]}**",
                "",
                "```python",
                source(framework, op).rstrip(),
                "```",
                "",
            ]
    lines += ["## How each framework does it here", ""]
    for framework in FRAMEWORKS:
        lines += [f"### {TITLES[framework]}", ""]
        lines += [f"- **{topic}**: {text}" for topic, text in ACCOUNTS[framework].items()]
        lines.append("")
    return "\n".join(lines)


def render_html() -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    formatter = HtmlFormatter(noclasses=True, style="friendly", nowrap=False)
    lexer = PythonLexer()
    sections = []
    for op in shown():
        cells = "".join(
            f"<div><h3>{TITLES[f]}</h3>{highlight(source(f, op), lexer, formatter)}</div>"
            for f in FRAMEWORKS
        )
        sections.append(
            f"<section><h2>{html.escape(op.method)} {html.escape(op.path)}</h2>"
            f'<div class="grid">{cells}</div></section>'
        )
    accounts = "".join(
        f"<div><h3>{TITLES[f]}</h3><ul>"
        + "".join(
            f"<li><b>{html.escape(topic)}</b>: {html.escape(text)}</li>"
            for topic, text in ACCOUNTS[f].items()
        )
        + "</ul></div>"
        for f in FRAMEWORKS
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The same API in four frameworks</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
.grid {{ display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.8em; }}
.grid pre {{ font-size: 12px; padding: 0.5em; margin: 0;
  white-space: pre-wrap; overflow-wrap: anywhere; }}  /* a long line wraps in its column */
h3 {{ margin: 0.3em 0; font-size: 15px; }} section {{ border-top: 1px solid #ddd; }}
</style></head><body>
<h1>The same API in four frameworks</h1>
<p>Generated by <code>asgi-compare side-by-side</code> from the adapters' own source.</p>
{"".join(sections)}
<section><h2>How each framework does it here</h2><div class="grid">{accounts}</div></section>
</body></html>
"""


def write(markdown: Path, page: Path) -> None:
    markdown.write_text(render_markdown() + "\n", encoding="utf-8")
    page.write_text(render_html(), encoding="utf-8")
