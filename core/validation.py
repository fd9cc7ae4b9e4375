"""Request parsing that answers exactly as FastAPI does, so every adapter's 422 reads alike.

FastAPI validates path, then query, then body, collects every error, and reports
``{"detail": [{"type", "loc", "msg", "input", ...}]}`` with ``loc`` starting with the location.
:class:`RequestParser` does the same with the same pydantic models, for the adapters whose
framework does not validate this way; :func:`encode_errors` is used by all four, FastAPI
included, because FastAPI's own handler answers 500 when an input echoed back is NaN.
"""

from __future__ import annotations

import email.message
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from core.errors import BodyNotParsable, RequestInvalid

__all__ = ["RequestParser", "encode_errors", "is_json_content_type", "query_values"]

M = TypeVar("M", bound=BaseModel)
Location = Literal["path", "query", "body"]


def _jsonable(value: Any) -> Any:
    """What FastAPI's ``jsonable_encoder`` makes of an error input, minus its crashes."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "nan", "inf", "-inf": JSON has no literal for them
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, BaseException):
        return {}  # FastAPI encodes the exception in ctx["error"] as an empty object
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def encode_errors(errors: Iterable[ErrorDetails | dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's 422 ``detail`` list: type, loc, msg, input and ctx when present; no url."""
    out = []
    for err in errors:
        loc = list(err["loc"])
        missing_param = err["type"] == "missing" and loc[:1] in (["query"], ["path"])
        item = {
            "type": err["type"],
            "loc": loc,
            "msg": err["msg"],
            # A missing parameter's input is null, as for FastAPI's plain parameters (its
            # parameter models would echo every other parameter instead).
            "input": None if missing_param else _jsonable(err.get("input")),
        }
        if "ctx" in err:
            item["ctx"] = _jsonable(err["ctx"])
        out.append(item)
    return out


def query_values(query_string: str | bytes) -> dict[str, str]:
    """Query parameters as Starlette reads them: blanks kept, the last of a repeated name wins."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    return dict(parse_qsl(query_string, keep_blank_values=True))


def is_json_content_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/*+json``, parameters ignored (FastAPI's rule)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class RequestParser:
    """Validates the parts of one request and raises all their errors together.

    Call :meth:`path`, :meth:`query` and :meth:`body` in that order (FastAPI's), then
    :meth:`check`. A part that failed returns an unvalidated placeholder that ``check`` never
    lets the handler use.
    """

    def __init__(self) -> None:
        self._errors: list[dict[str, Any]] = []

    def path(self, model: type[M], values: Mapping[str, Any]) -> M:
        return self._validate(model, "path", values)

    def query(self, model: type[M], query_string: str | bytes) -> M:
        return self._validate(model, "query", query_values(query_string))

    def body(self, model: type[M], body: bytes, content_type: str | None) -> M:
        if not body:
            return self._fail(model, [_missing(("body",))])
        data: Any = body  # FastAPI validates a non-JSON body as the raw bytes
        if is_json_content_type(content_type):
            try:
                data = json.loads(body)
            except json.JSONDecodeError as exc:
                error = {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
                return self._fail(model, [error])
            except ValueError as exc:  # bytes that are not text in any JSON encoding
                raise BodyNotParsable() from exc
            except RecursionError as exc:
                raise BodyNotParsable() from exc
        return self._validate(model, "body", data)

    def check(self) -> None:
        if self._errors:
            raise RequestInvalid(encode_errors(self._errors))

    def _validate(self, model: type[M], location: Location, data: Any) -> M:
        try:
            return model.model_validate(data, from_attributes=True)  # as FastAPI validates
        except ValidationError as exc:
            errors = [{**e, "loc": (location, *e["loc"])} for e in exc.errors(include_url=False)]
            return self._fail(model, errors)
        except RecursionError as exc:
            raise BodyNotParsable() from exc

    def _fail(self, model: type[M], errors: list[dict[str, Any]]) -> M:
        self._errors.extend(errors)
        return model.model_construct()


def _missing(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}
