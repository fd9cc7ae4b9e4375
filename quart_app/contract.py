"""What the Quart adapter needs beyond Quart's idiom: a request class that reads the query
and the body as FastAPI does, for quart-schema's decorators (``app.request_class``), the
configuration the contract sets on the app, the answer to a refused request, and core's
middleware typed for ``app.asgi_app``."""

from __future__ import annotations

from typing import Any, cast

from pydantic import ValidationError
from quart import Quart, Request, request
from quart_schema import RequestSchemaValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.utils import cached_property

from core.asgi import ASGIApp, ContractMiddleware
from core.errors import error_response
from core.routes import operation
from core.service import Service
from core.settings import Settings
from core.validation import BodyInvalid, body_value, invalid_request, query_pairs

__all__ = ["ApiRequest", "configure", "contract_middleware", "invalid_answer"]


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


def configure(app: Quart, settings: Settings) -> None:
    """What the contract sets on a Quart app: the request class, Quart's own body limit (the
    contract's, which its middleware enforces first), and exceptions propagated."""
    app.request_class = ApiRequest
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # Any other exception is raised on to the contract's middleware, which logs it once and
    # answers 500 (Quart's handle_exception would log it to its own logger, and answer HTML).
    app.config["PROPAGATE_EXCEPTIONS"] = True


def invalid_answer(exc: Exception) -> tuple[dict[str, Any], int, dict[str, str]]:
    """What quart-schema refused (or ``ApiRequest`` could not read), answered as FastAPI
    does, for the route's entry in core's table (the endpoint named at registration)."""
    failure = exc.validation_error if isinstance(exc, RequestSchemaValidationError) else exc
    assert isinstance(failure, ValidationError | BodyInvalid)
    op = operation((request.endpoint or "").rpartition(".")[2])
    answer = error_response(invalid_request(op, request.view_args or {}, failure))
    return answer.body, answer.status, answer.headers


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
