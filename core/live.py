"""The contract's two live routes, written once for the four adapters: ``WS /ws`` and
``GET /events`` (server-sent events). Each adapter speaks its framework's own WebSocket and
streaming API; what is said on them is decided here.

``WS /ws``: the subprotocol ``asgi-compare.v1`` is selected when the client offers it; the
server's first message is :func:`hello` (what ``GET /about`` answers for the request); then
each message gets :func:`reply` (:func:`converse` runs the exchange with the framework's own
receive, send and close): a text ``T`` is answered ``{"type": "echo", "text": T}``, a
binary message is sent back as it came, the text ``close`` closes with 1000 and a message
longer than ``ASGI_COMPARE_MAX_WS_MESSAGE_BYTES`` closes with 1009. Who may open one, and on
which path, is the contract's ASGI layer's to decide (core.asgi), before the handshake.

``GET /events?count=&interval=``: :func:`ticks`, event N of ``count`` sent as soon as it is
made, the first at once and the next every ``interval`` seconds; a ``Last-Event-ID: K``
header resumes after K. The answer says ``Cache-Control: no-cache`` and
``X-Accel-Buffering: no`` (:data:`STREAM_HEADERS`): nginx would otherwise hold the stream in
its buffers (``proxy_buffering``) and the client would get the events all at once, at the end.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from core.models import About, EventsQuery, Tick

__all__ = [
    "GOING_AWAY",
    "MESSAGE_TOO_BIG",
    "NORMAL_CLOSURE",
    "STREAM_HEADERS",
    "SUBPROTOCOL",
    "Event",
    "Reply",
    "converse",
    "hello",
    "reply",
    "resume_after",
    "streamed",
    "subprotocol",
    "ticks",
]

SUBPROTOCOL = "asgi-compare.v1"
# Close codes (RFC 6455, section 7.4.1).
NORMAL_CLOSURE = 1000
GOING_AWAY = 1001  # the server is shutting down
MESSAGE_TOO_BIG = 1009

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def subprotocol(offered: Iterable[str]) -> str | None:
    """The subprotocol to select of those the client offered: ours, or none."""
    return SUBPROTOCOL if SUBPROTOCOL in offered else None


def hello(about: About) -> str:
    """The server's first message."""
    return json.dumps({"type": "hello", "about": about.model_dump()})


class Reply(NamedTuple):
    """What to do with one message: send ``message`` back, or close with ``close``."""

    message: str | bytes = ""
    close: int | None = None


def reply(message: str | bytes, max_bytes: int) -> Reply:
    size = len(message) if isinstance(message, bytes) else len(message.encode())
    if size > max_bytes:
        return Reply(close=MESSAGE_TOO_BIG)
    if isinstance(message, bytes):
        return Reply(message)
    if message == "close":
        return Reply(close=NORMAL_CLOSURE)
    return Reply(json.dumps({"type": "echo", "text": message}))


async def converse(
    receive: Callable[[], Awaitable[object]],
    send_text: Callable[[str], Awaitable[object]],
    send_bytes: Callable[[bytes], Awaitable[object]],
    close: Callable[[int], Awaitable[object]],
    max_bytes: int,
) -> None:
    """The exchange after the hello, through the framework's own WebSocket methods: each
    message answered by :func:`reply` until a reply closes or the client has gone.

    ``receive`` gives a message's text or bytes (Quart, Falcon, Sanic), or the ASGI event
    (Starlette's ``websocket.receive()``); None, or a ``websocket.disconnect`` event, is a
    client that has gone (Sanic over ASGI says None; the others raise, and their framework
    ends the handler)."""
    while True:
        message = await receive()
        if isinstance(message, Mapping):
            text = message.get("text")
            message = message.get("bytes") if text is None else text
        if not isinstance(message, str | bytes):
            return
        answer = reply(message, max_bytes)
        if answer.close is not None:
            await close(answer.close)
            return
        if isinstance(answer.message, bytes):
            await send_bytes(answer.message)
        else:
            await send_text(answer.message)


class Event(NamedTuple):
    """One server-sent event: ``id: N``, ``event: tick``, ``data: {"n": N, "count": count}``."""

    id: str
    event: str
    data: Tick

    def encode(self) -> bytes:
        """The event on the wire (the ``text/event-stream`` format), for a framework that
        streams bytes; FastAPI and Falcon write it with their own SSE types."""
        data = self.data.model_dump_json()
        return f"id: {self.id}\nevent: {self.event}\ndata: {data}\n\n".encode()


def resume_after(last_event_id: str | None, count: int) -> int:
    """Where a reconnecting client resumes: after the event its ``Last-Event-ID`` names. An ID
    this stream never sent (not a whole number from 1 to ``count``) starts it afresh, as for
    a new client: an ``EventSource`` sends back only IDs it was sent."""
    value = (last_event_id or "").strip()
    if not value.isdigit() or not value.isascii():
        return 0
    n = int(value)
    return n if 1 <= n <= count else 0


async def ticks(query: EventsQuery, last_event_id: str | None = None) -> AsyncIterator[Event]:
    """The events of one ``GET /events``, each yielded the moment it is made."""
    first = resume_after(last_event_id, query.count) + 1
    for n in range(first, query.count + 1):
        if n > first:
            await asyncio.sleep(query.interval)
        yield Event(str(n), "tick", Tick(n=n, count=query.count))


def streamed(arrived: Sequence[float], interval: float) -> bool:
    """Whether a stream of events made ``interval`` seconds apart reached its client as they
    were made, from when each arrived (``time.monotonic()``): the last at least one interval
    after the first. A server or proxy that buffers the answer hands them over together, at
    the end. The rule every check of a stream's pace uses (the conformance suite, the proxy
    tests, ``asgi-compare proxy-report``): with three events, one full interval of the two
    between the first and the last is margin, and nothing is compared with a deadline."""
    return len(arrived) >= 2 and arrived[-1] - arrived[0] >= interval
