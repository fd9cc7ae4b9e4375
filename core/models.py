"""The pydantic models of every request part and response body.

FastAPI, quart-schema and sanic-ext validate with them natively; Falcon through
:class:`core.validation.RequestParser`. Each validator reads them alike because the models say
what FastAPI's validation would otherwise add: bodies are read ``from_attributes`` (a list or
null is ``model_attributes_type``), and the last of a repeated query name wins, as Starlette
reads a query (quart-schema and Sanic hand over every value, as a list).

A number in a JSON body must be a finite JSON number: ``Number`` is strict, so ``true`` or
``"2.5"`` is refused as the document's ``"type": "number"`` says (FastAPI's lax default would
take them), and ``FiniteFloat`` refuses NaN and Infinity literals and overflow (``1e400``).
Query and path values are text on the wire and stay lax: ``/add?x=1.0`` is 1, as in the lecture.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    Strict,
    field_validator,
    model_validator,
)

__all__ = [
    "About",
    "AddQuery",
    "AddResult",
    "Body",
    "Coefs",
    "DelayQuery",
    "Empty",
    "ErrorDetail",
    "EventsQuery",
    "FitData",
    "Greeting",
    "GreetingRef",
    "Item",
    "ItemPatch",
    "ItemRef",
    "Message",
    "Page",
    "PredictData",
    "Prediction",
    "QueryParams",
    "StoredItem",
    "Tick",
    "UserEcho",
    "UserPath",
    "UserQuery",
]

Number = Annotated[FiniteFloat, Strict()]
Row = Annotated[list[Number], Field(min_length=1)]
Matrix = Annotated[list[Row], Field(min_length=1)]


class Body(BaseModel):
    """A request body, validated as FastAPI validates one, whichever library does it."""

    model_config = ConfigDict(from_attributes=True)


class QueryParams(BaseModel):
    """A query string's parameters: of a name given more than once, the last value counts."""

    @model_validator(mode="before")
    @classmethod
    def _last_of_repeated(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v[-1] if isinstance(v, list) and v else v for k, v in data.items()}
        return data


class Message(BaseModel):
    message: str


class Empty(BaseModel):
    """``{}``: what /reset answers."""


class ErrorDetail(BaseModel):
    """Every error that is not a validation error: ``{"detail": "Item not found"}``."""

    detail: str


class About(BaseModel):
    """What the app sees of itself and of the request: built by ``core.about.about``."""

    framework: str
    framework_version: str
    root_path: str
    scheme: str  # "https" behind a trusted proxy that says so
    host: str  # the Host header, or a trusted proxy's X-Forwarded-Host
    client: str | None  # the client's address, or a trusted proxy's X-Forwarded-For


class AddQuery(QueryParams):
    x: int
    y: int = 0


class AddResult(BaseModel):
    result: int


class UserPath(BaseModel):
    user_id: int


class UserQuery(QueryParams):
    name: str | None = None


class UserEcho(BaseModel):
    """``name`` is left out, not null, when the request gave none."""

    user_id: int
    name: str | None = Field(default=None, exclude_if=lambda name: name is None)


class DelayQuery(QueryParams):
    delay: Annotated[float, Field(ge=0, le=10)] = 1.0


class EventsQuery(QueryParams):
    count: Annotated[int, Field(ge=1, le=100)] = 5
    interval: Annotated[float, Field(ge=0, le=10)] = 1.0


class Tick(BaseModel):
    """The data of event N of a ``GET /events`` stream."""

    n: int
    count: int


class Greeting(BaseModel):
    lang: str
    text: str


class GreetingRef(BaseModel):
    lang: str


class Item(Body):
    name: str
    description: str | None = None
    price: Number
    tax: Number | None = None


class StoredItem(Item):
    id: int


class ItemPatch(Body):
    """Only the fields given are changed; each is validated as in :class:`Item`.

    ``name`` and ``price`` may be left out but not set to null: their defaults are never
    validated, so an explicit null fails exactly as it would in :class:`Item`.
    """

    name: str = Field(default=None)  # type: ignore[assignment]
    description: str | None = None
    price: Number = Field(default=None)  # type: ignore[assignment]
    tax: Number | None = None


class ItemRef(BaseModel):
    item_id: int


class Page(QueryParams):
    offset: Annotated[int, Field(ge=0)] = 0
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


def _rows_alike(rows: list[list[float]]) -> list[list[float]]:
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"every row of X must have {width} values; row {i} has {len(row)}")
    return rows


class PredictData(Body):
    X: Matrix

    _rows = field_validator("X")(_rows_alike)


class FitData(Body):
    X: Matrix
    y: list[Number]

    _rows = field_validator("X")(_rows_alike)

    @model_validator(mode="after")
    def _one_y_per_row(self) -> Self:
        if len(self.y) != len(self.X):
            raise ValueError(f"y has {len(self.y)} values but X has {len(self.X)} rows")
        return self


class Coefs(BaseModel):
    intercept: float | None
    coef: list[float] | None


class Prediction(BaseModel):
    y_hat: list[float]
