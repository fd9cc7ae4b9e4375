"""What the FastAPI adapter needs beyond FastAPI's idiom, in FastAPI's own tools: a route
class that documents each route's errors from core's table, and the operation ids core's
document uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute

from core.models import ErrorDetail
from core.openapi import BINARY, documented_errors
from core.routes import operation

__all__ = ["DocumentedRoute", "operation_id"]


class DocumentedRoute(APIRoute):
    """A route documenting the errors core's route table gives its operation (the route's
    ``name``), as core's document does for the other adapters; their body is core's ErrorDetail."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        op = operation(kwargs["name"])
        responses: dict[int | str, dict[str, Any]] = {
            status: {"model": ErrorDetail, "description": description}
            for status, description in documented_errors(op).items()
        }
        if op.media_type == "image/png":
            responses[op.status] = {"content": {op.media_type: {"schema": BINARY}}}
        kwargs["responses"] = {**responses, **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)


def operation_id(route: APIRoute) -> str:
    """``{name}_{method}``, the rule core's document follows for the other adapters."""
    [method] = route.methods or {"GET"}  # one method per route here: one decorator each
    return f"{route.name}_{method.lower()}"
