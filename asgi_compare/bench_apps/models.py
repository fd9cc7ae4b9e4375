"""What the bare apps and the raw app answer with, written once and without core: the
contract's subprotocol and message limit, and the pydantic models of GET /hello and
GET /events, as a user's module would write them.

No ``from __future__ import annotations`` here: the annotations are evaluated at import, as in
the bare apps before, so sanic-ext's per-request ``typing.get_type_hints`` stays as cheap as it
was (string annotations, as core's, cost it about 10 times more).
"""

from typing import Annotated

from pydantic import BaseModel, Field

SUBPROTOCOL = "asgi-compare.v1"
MAX_MESSAGE_BYTES = 64 * 1024  # longer closes with 1009: the adapter's default limit


class Message(BaseModel):
    message: str


class EventsQuery(BaseModel):
    count: Annotated[int, Field(ge=1, le=100)] = 5
    interval: Annotated[float, Field(ge=0, le=10)] = 1.0


class Tick(BaseModel):
    n: int
    count: int
