"""What the Quart adapter needs beyond Quart's idiom: a request class that reads the query
and the body as FastAPI does, for quart-schema's decorators (``app.request_class``), and
core's middleware typed for ``app.asgi_app``."""

from __future__ import annotations

from typing import Any, cast

from quart import Request
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from core.asgi import ASGIApp, ContractMiddleware
from core.service import Service
from core.validation import body_value, query_pairs

__all__ = ["ApiRequest", "contract_middleware"]


class ApiRequest(Request):
    """The query and the body as FastAPI reads them, for quart-schema's decorators."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        # Werkzeug keeps an escape that is not UTF-8 ("%FF"); Starlette decodes it to U+FFFD.
        # quart-schema reads `x[]=1` as x=[1]; FastAPI ignores a name no parameter has.
        pairs = query_pairs(self.query_string)
        return MultiDict((name, value) for name, value in pairs if not name.endswith("[]"))

    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        body: bytes = await self.get_data(cache=cache, as_text=False, parse_form_data=False)
        return body_value(body, self.headers.get("content-type"))


def contract_middleware(asgi_app: Any, service: Service) -> Any:
    """Core's ``ContractMiddleware`` around Quart's ``app.asgi_app``, Quart's documented place
    for ASGI middleware. Quart routes on the path with the prefix in it. The casts only bridge
    the types: Quart types ASGI with TypedDicts, core with plain mappings."""
    return ContractMiddleware(
        cast(ASGIApp, asgi_app),
        service.settings,
        path_includes_root=True,
        fit_pool=service.fit_pool,
    )
