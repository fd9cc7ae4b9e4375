"""A 5xx a framework raises itself is answered through core's table with the bare 500 body, and,
as every server error, leaves one log record with its traceback (``core.errors.http_error``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn

import falcon
import pytest
import sanic.exceptions
import werkzeug.exceptions
from starlette.exceptions import HTTPException as StarletteHTTPException

from conformance_tests._apis import client_of
from core.service import Service
from core.settings import Settings
from tests._in_process import create_app_of

pytestmark = pytest.mark.anyio

# Each framework's own 503, as its code raises one.
UNAVAILABLE: dict[str, Callable[[], Exception]] = {
    "fastapi": lambda: StarletteHTTPException(503, "Service Unavailable"),
    "quart": werkzeug.exceptions.ServiceUnavailable,
    "falcon": falcon.HTTPServiceUnavailable,
    "sanic": sanic.exceptions.ServiceUnavailable,
}


class UnavailableStore:
    """An item store whose every call raises the framework's own 503."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def _fail(self, *args: Any) -> NoReturn:
        raise self.error

    add = page = get = replace = update = delete = _fail


async def test_a_framework_s_own_5xx_is_the_bare_500_body_and_one_log_record(
    adapter: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = UNAVAILABLE[adapter]()
    service = Service.create(Settings(), items=UnavailableStore(error))
    async with client_of(create_app_of(adapter)(service=service)) as client:
        caplog.clear()
        r = await client.get("/items")
    assert r.status_code == 503
    assert r.json() == {"detail": "Internal Server Error"}
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.name == "asgi_compare"
    assert record.exc_info is not None and record.exc_info[1] is error
