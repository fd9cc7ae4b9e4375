"""Request validation that answers exactly as FastAPI does, so every adapter's 422 reads alike.

FastAPI validates path, then query, then body, collects every error, and reports
``{"detail": [{"type", "loc", "msg", "input", ...}]}`` with ``loc`` starting with the location.
Each adapter validates its framework's way with the same pydantic models, and its errors reach
the client through one function here:

- :func:`invalid_request` turns what quart-schema or sanic-ext refused (a pydantic
  ``ValidationError`` of the query or the body) into FastAPI's 422, the path's errors first;
- :func:`body_value` reads a body as FastAPI does (JSON only for a JSON content type, the raw
  bytes otherwise), for the libraries' JSON hooks and for :class:`RequestParser`;
- :class:`RequestParser` does all of it by hand, for Falcon, which has no validation library;
- :func:`encode_errors` is used by all four, FastAPI included, because FastAPI's own handler
  answers 500 when an input echoed back is NaN.
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
from core.routes import Operation

__all__ = [
    "BodyInvalid",
    "RequestParser",
    "body_value",
    "encode_errors",
    "invalid_request",
    "is_json_content_type",
    "path_params",
    "query_pairs",
    "query_values",
]

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


def query_pairs(query_string: str | bytes) -> list[tuple[str, str]]:
    """Query parameters as Starlette reads them: blanks kept, bad UTF-8 escapes as U+FFFD."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    return parse_qsl(query_string, keep_blank_values=True)


def query_values(query_string: str | bytes) -> dict[str, str]:
    """:func:`query_pairs`, of which the last of a repeated name wins."""
    return dict(query_pairs(query_string))


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


class BodyInvalid(RequestInvalid):
    """A body FastAPI refuses before validating it: none at all, or JSON that does not parse.

    ``alone``: FastAPI reads the body before it validates anything, so a JSON syntax error is
    the only error it reports; a missing body is reported with the path's errors.
    """

    def __init__(self, error: dict[str, Any], *, alone: bool) -> None:
        super().__init__(encode_errors([error]))
        self.alone = alone


def body_value(body: bytes, content_type: str | None) -> Any:
    """What FastAPI validates a body as: its JSON for a JSON content type, else the raw bytes.

    Raises :class:`BodyInvalid` for an empty body or JSON that does not parse, and
    :class:`~core.errors.BodyNotParsable` for JSON that is not text (FastAPI's 400).
    """
    if not body:
        raise BodyInvalid(_missing(("body",)), alone=False)
    if not is_json_content_type(content_type):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        error = {
            "type": "json_invalid",
            "loc": ("body", exc.pos),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise BodyInvalid(error, alone=True) from exc
    except ValueError as exc:  # bytes that are not text in any JSON encoding
        raise BodyNotParsable() from exc
    except RecursionError as exc:
        raise BodyNotParsable() from exc


def path_params(model: type[M], **values: str) -> M:
    """The path's values, validated as FastAPI validates them (a bad one is a 422, not a 404)."""
    parser = RequestParser()
    params = parser.path(model, values)
    parser.check()
    return params


def invalid_request(
    op: Operation, path_values: Mapping[str, Any], failure: ValidationError | RequestInvalid
) -> RequestInvalid:
    """FastAPI's 422 for a request whose query or body a framework's validator refused.

    The failed part is whichever of ``op``'s models ``failure`` names (pydantic titles an error
    with its model's name). FastAPI validates path, then query, then body and reports all their
    errors together, so the path is validated here as well and its errors come first.
    """
    if isinstance(failure, BodyInvalid) and failure.alone:
        return failure
    errors = [] if op.path_params is None else _errors(op.path_params, "path", path_values)
    if isinstance(failure, RequestInvalid):
        return RequestInvalid([*encode_errors(errors), *failure.detail])
    query = op.query is not None and failure.title == op.query.__name__
    errors += _located(failure, "query" if query else "body")
    return RequestInvalid(encode_errors(errors))


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
        try:
            data = body_value(body, content_type)
        except BodyInvalid as exc:
            if exc.alone:
                raise
            self._errors.extend(exc.detail)
            return model.model_construct()
        return self._validate(model, "body", data)

    def check(self) -> None:
        if self._errors:
            raise RequestInvalid(encode_errors(self._errors))

    def _validate(self, model: type[M], location: Location, data: Any) -> M:
        try:
            return model.model_validate(data, from_attributes=True)  # as FastAPI validates
        except ValidationError as exc:
            self._errors.extend(_located(exc, location))
        except RecursionError as exc:
            raise BodyNotParsable() from exc
        return model.model_construct()


def _errors(model: type[BaseModel], location: Location, data: Any) -> list[dict[str, Any]]:
    parser = RequestParser()
    parser._validate(model, location, data)
    return parser._errors


def _located(exc: ValidationError, location: Location) -> list[dict[str, Any]]:
    return [{**e, "loc": (location, *e["loc"])} for e in exc.errors(include_url=False)]


def _missing(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}
