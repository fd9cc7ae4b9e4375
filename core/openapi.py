"""The OpenAPI 3.1 document and the Swagger UI page, built from the route table.

FastAPI writes its own document; the Quart, Falcon and Sanic adapters serve this one, which
is laid out as FastAPI lays out its own (same schemas, parameters, bodies and 422 shape).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.models import ErrorDetail
from core.routes import OPERATIONS, Operation

__all__ = [
    "ASSETS_PATH",
    "BINARY",
    "SWAGGER_UI_DIR",
    "documented_errors",
    "openapi_document",
    "swagger_ui_html",
    "with_api_key",
]

_REF = "#/components/schemas/{model}"
BINARY: dict[str, str] = {"type": "string", "format": "binary"}
ERROR_DESCRIPTIONS = {400: "Bad Request", 404: "Not Found", 413: "Content Too Large"}

_VALIDATION_SCHEMAS: dict[str, Any] = {
    "ValidationError": {
        "title": "ValidationError",
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {
                "title": "Location",
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            },
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
            "input": {"title": "Input"},
            "ctx": {"title": "Context", "type": "object"},
        },
    },
    "HTTPValidationError": {
        "title": "HTTPValidationError",
        "type": "object",
        "properties": {
            "detail": {
                "title": "Detail",
                "type": "array",
                "items": {"$ref": _REF.format(model="ValidationError")},
            }
        },
    },
}


def _models() -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {"ErrorDetail": ErrorDetail}
    for op in OPERATIONS:
        for model in (op.body, op.response):
            if model is not None and op.in_schema:
                seen[model.__name__] = model
    return list(seen.values())


@cache
def _schemas() -> dict[str, Any]:
    _, top = models_json_schema([(model, "validation") for model in _models()], ref_template=_REF)
    schemas: dict[str, Any] = _without_null_defaults(
        {**top.get("$defs", {}), **_VALIDATION_SCHEMAS}
    )
    return schemas


def _without_null_defaults(schema: Any) -> Any:
    """FastAPI leaves ``"default": null`` out of its documents; so does this one."""
    if isinstance(schema, dict):
        return {
            k: _without_null_defaults(v)
            for k, v in schema.items()
            if not (k == "default" and v is None)
        }
    if isinstance(schema, list):
        return [_without_null_defaults(v) for v in schema]
    return schema


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = []
    for where, model in (("path", op.path_params), ("query", op.query)):
        if model is None:
            continue
        schema = model.model_json_schema()
        required = set(schema.get("required", ()))
        for name, prop in schema["properties"].items():
            params.append(
                {
                    "name": name,
                    "in": where,
                    "required": name in required,
                    "schema": _without_null_defaults(prop),
                }
            )
    return params


def documented_errors(op: Operation) -> dict[int, str]:
    """The errors an operation documents besides the 422, as status -> description.

    All four adapters' documents follow it (FastAPI's through ``responses=``); the body of each
    is :class:`~core.models.ErrorDetail`.
    """
    # Any body may be JSON that is not text at all (400, as FastAPI answers it), or be over the
    # body limit (413).
    errors = sorted({*op.errors, 400, 413} if op.body is not None else set(op.errors))
    return {status: ERROR_DESCRIPTIONS[status] for status in errors}


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id}
    if params := _parameters(op):
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}
            },
        }
    ok: dict[str, Any] = {"description": "Successful Response"}
    if op.response is not None:
        schema: dict[str, Any] = {"$ref": _REF.format(model=op.response.__name__)}
        if op.response_list:
            schema = {"type": "array", "items": schema}
        ok["content"] = {op.media_type: {"schema": schema}}
    elif op.media_type == "image/png":
        ok["content"] = {op.media_type: {"schema": BINARY}}
    responses: dict[str, Any] = {str(op.status): ok}
    for status, description in documented_errors(op).items():
        responses[str(status)] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorDetail")}}},
        }
    if params or op.body is not None:
        responses["422"] = {
            "description": "Validation Error",
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model="HTTPValidationError")}}
            },
        }
    out["responses"] = responses
    return out


@cache
def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        if op.in_schema:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return paths


# With ASGI_COMPARE_API_KEY set: Swagger UI shows "Authorize", takes the key, and sends it as
# "Authorization: Bearer <key>" (the app also takes Posit Connect's "Key <key>").
API_KEY_SCHEMES: dict[str, Any] = {
    "ApiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The value of ASGI_COMPARE_API_KEY; `Authorization: Key <key>` works too.",
    }
}


def with_api_key(document: dict[str, Any]) -> dict[str, Any]:
    """The document, saying that every operation in it needs the API key."""
    document.setdefault("components", {})["securitySchemes"] = API_KEY_SCHEMES
    document["security"] = [{"ApiKey": []}]
    return document


def openapi_document(
    root_path: str = "", title: str = "asgi-compare", api_key: bool = False
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "0.1.0"},
        "paths": _paths(),
        "components": {"schemas": _schemas()},
    }
    if root_path:
        doc["servers"] = [{"url": root_path}]
    return with_api_key(doc) if api_key else doc


def _swagger_ui_dir() -> Path:
    """Swagger UI's files, from the swagger-ui-py package: served by the app, never a CDN.

    Found, not imported: importing the package loads Jinja2, PyYAML and urllib.request, which
    only its own app integrations use (tens of milliseconds of every cold start).
    """
    spec = find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("swagger-ui-py is not installed", name="swagger_ui")
    return Path(spec.submodule_search_locations[0]) / "static"


SWAGGER_UI_DIR = _swagger_ui_dir()
ASSETS_PATH = "/docs/static"  # where each adapter serves SWAGGER_UI_DIR, below its prefix


def swagger_ui_html(root_path: str, title: str = "asgi-compare - Swagger UI") -> str:
    """The /docs page: Swagger UI's files from ``{root}/docs/static``, the spec from
    ``{root}/openapi.json``. The markup is FastAPI's ``get_swagger_ui_html``, so the four
    adapters' pages load alike.
    """
    static = f"{root_path}{ASSETS_PATH}"
    spec = json.dumps(f"{root_path}/openapi.json")
    return f"""<!DOCTYPE html>
<html>
<head>
<link type="text/css" rel="stylesheet" href="{static}/swagger-ui.css">
<link rel="shortcut icon" href="{static}/favicon-32x32.png">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({{
    url: {spec},
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}})
</script>
</body>
</html>
"""
