"""A WebSocket handshake and an event stream, read as a client reads them: what the probes of
WebSockets and streams (:mod:`.probes`, :mod:`.app_probes`) ask with.

A WebSocket is opened with httpx-ws, as the conformance suite opens one; a stream is read as a
browser's ``EventSource`` reads it (``Accept: text/event-stream``), each event timed as it
arrives, and judged by the rule every check of a stream's pace uses (``core.live.streamed``).
Every read has a hang guard, not a deadline.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import httpx
from httpx_ws import (
    HTTPXWSException,
    WebSocketDisconnect,
    WebSocketSession,
    WebSocketUpgradeError,
    connect_ws,
)
from wsproto.utilities import LocalProtocolError

GUARD_S = 30.0  # a hang guard for each read
EVENT_STREAM = {"Accept": "text/event-stream"}  # what a browser's EventSource sends
ECHOED = "asgi-compare probe"  # the text message sent, found again in the answer
COUNT, INTERVAL = 3, 1.0  # the events asked of /events, and the seconds between them
EVENTS = f"/events?count={COUNT}&interval={INTERVAL:g}"
ENDED = "first event only after the stream ended"
NOT_PASSED = "(Upgrade not passed on)"  # said of a proxy that declares it passes no handshake on


@dataclass(frozen=True)
class Handshake:
    """What a WebSocket handshake got: 101 (``accepted``) with the subprotocol the client was
    told, or the HTTP status of a refusal; ``first``: the first text message, if any came."""

    accepted: bool
    status: int
    subprotocol: str | None = None
    first: str | None = None
    then: str = ""  # what happened after the handshake, where it was not a message

    def __str__(self) -> str:
        if not self.accepted:
            return f"HTTP {self.status}" if self.status else self.then
        told = f" {self.subprotocol}" if self.subprotocol else ""
        return f"101{told}" + (f", then {self.then}" if self.then else "")


def handshake(
    url: str, subprotocols: Sequence[str] = (), echo: str | None = None
) -> tuple[Handshake, str | None]:
    """Open a WebSocket at ``url`` (http:// or https://) offering ``subprotocols``; with
    ``echo``, read the server's first message, send ``echo`` and return the answer beside."""
    told: str | None = None
    first: str | None = None
    opened = False
    try:
        session: AbstractContextManager[WebSocketSession] = connect_ws(
            url, subprotocols=list(subprotocols) or None
        )
        with session as ws:
            opened, told = True, ws.subprotocol or None
            if echo is None:  # the handshake alone
                return Handshake(True, 101, told), None
            first = ws.receive_text(timeout=GUARD_S)
            ws.send_text(echo)
            return Handshake(True, 101, told, first), ws.receive_text(timeout=GUARD_S)
    except WebSocketUpgradeError as exc:
        return Handshake(False, exc.response.status_code), None
    except WebSocketDisconnect as exc:
        then = f"closed ({exc.code})"
    except queue.Empty:
        then = f"no message in {GUARD_S:.0f} s"
    except LocalProtocolError:  # the server closed before the message could be sent
        then = "closed"
    except (HTTPXWSException, httpx.HTTPError, ValueError) as exc:
        then = f"{type(exc).__name__}" + (f": {exc}"[:80] if str(exc) else "")
        if not opened:
            return Handshake(False, 0, then=then), None
        then = "the connection dropped" if "Network" in then else then
    where = "after its first message" if first is not None else "before any message"
    return Handshake(True, 101, told, None, f"{then} {where}"), None


@dataclass(frozen=True)
class Stream:
    """What a GET of an event stream got: the status, the content type, and when each of the
    first events arrived (``time.monotonic()``)."""

    status: int
    content_type: str
    arrived: tuple[float, ...] = ()

    @property
    def is_events(self) -> bool:
        return self.status == 200 and self.content_type.startswith("text/event-stream")


def read_events(client: httpx.Client, url: str, most: int = COUNT) -> Stream:
    """GET ``url`` as an ``EventSource`` does and time its first ``most`` events (or all, if
    fewer come); an answer that is no event stream is not read."""
    arrived: list[float] = []
    timeout = httpx.Timeout(GUARD_S)
    with client.stream("GET", url, headers=EVENT_STREAM, timeout=timeout) as r:
        kind = r.headers.get("content-type", "")
        if r.status_code != 200 or not kind.startswith("text/event-stream"):
            return Stream(r.status_code, kind)
        text = ""
        for chunk in r.iter_text():
            text += chunk
            while len(arrived) < text.replace("\r\n", "\n").count("\n\n"):
                arrived.append(time.monotonic())
            if len(arrived) >= most:
                break
    return Stream(r.status_code, kind, tuple(arrived[:most]))
