"""core.asgi.ContractMiddleware against a recording ASGI app: no framework involved."""

from __future__ import annotations

from typing import Any

import pytest

from core.asgi import ContractMiddleware, Message, Receive, Scope, Send
from core.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    def __init__(self, location: bytes | None = None, fail: bool = False) -> None:
        self.scopes: list[Scope] = []
        self.location = location
        self.fail = fail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        if self.fail:
            raise RuntimeError("secret internals")
        headers = [(b"content-type", b"application/json")]
        if self.location:
            headers.append((b"location", self.location))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})


async def call(app: Any, method: str, path: str, root: str = "") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": root,
        "query_string": b"",
        "headers": [],
    }
    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("path", ["/px/items/3", "/items/3"], ids=["prefix-in-path", "stripped"])
@pytest.mark.parametrize("includes", [True, False])
async def test_the_framework_gets_the_path_form_it_routes_on(path: str, includes: bool) -> None:
    inner = Recorder()
    await call(ContractMiddleware(inner, path_includes_root=includes), "GET", path, "/px")
    [scope] = inner.scopes
    assert scope["root_path"] == "/px"
    assert scope["path"] == ("/px/items/3" if includes else "/items/3")
    assert scope["raw_path"] == scope["path"].encode()


async def test_location_gets_the_prefix_and_head_loses_the_body() -> None:
    app = ContractMiddleware(Recorder(location=b"/items/3"), Settings(root_path="/px"))
    start, body = await call(app, "HEAD", "/hello")
    assert dict(start["headers"])[b"location"] == b"/px/items/3"
    assert body["body"] == b""
    absolute = ContractMiddleware(Recorder(location=b"http://h/x"), Settings(root_path="/px"))
    start, _ = await call(absolute, "GET", "/hello")
    assert dict(start["headers"])[b"location"] == b"http://h/x"


async def test_an_unhandled_error_is_a_bare_json_500() -> None:
    start, body = await call(ContractMiddleware(Recorder(fail=True)), "GET", "/hello")
    assert start["status"] == 500
    assert body["body"] == b'{"detail": "Internal Server Error"}'


async def test_lifespan_passes_through_untouched() -> None:
    inner = Recorder()
    scope = {"type": "lifespan"}

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await ContractMiddleware(inner, Settings(root_path="/px"))(scope, receive, send)
    assert inner.scopes == [{"type": "lifespan"}]
