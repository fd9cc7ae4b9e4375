"""What a WebSocket and an event stream meet behind a proxy: a handshake and a stream, read as a
client reads them, and the two probes of the native apps and the adapters built on them.

A WebSocket is opened with httpx-ws, as the conformance suite opens one; a stream is read as a
browser's ``EventSource`` reads it (``Accept: text/event-stream``), each event timed as it
arrives, and judged by the rule every check of a stream's pace uses (``core.live.streamed``).
Every read has a hang guard, not a deadline.
"""

from __future__ import annotations

import json
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

from asgi_compare.proxy_report.probes import Probe
from core.live import SUBPROTOCOL, streamed

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


def paced(stream: Stream, interval: float, count: int) -> Probe:
    """The ``stream`` probe of a stream of ``count`` events ``interval`` seconds apart."""
    if not stream.is_events:
        shown = f"HTTP {stream.status}" if stream.status != 200 else stream.content_type
        return Probe("stream", False, shown or "no content type")
    if len(stream.arrived) < count:
        return Probe("stream", False, f"{len(stream.arrived)} events of {count}")
    if not streamed(stream.arrived, interval):
        return Probe("stream", False, ENDED)
    return Probe("stream", True, f"{count} events, each as it was made")


def websocket(base: str, root: str, upgrades: bool) -> Probe:
    """``{base}/ws`` with the contract's subprotocol offered: selected, a hello whose
    ``root_path`` is ``root`` (the adapters' ``{"about": {...}}`` or a native app's own), and
    one text message echoed. ``upgrades``: what the proxy declares (``Proxy.websocket``)."""
    got, echo = handshake(base + "/ws", [SUBPROTOCOL], ECHOED)
    if not got.accepted:
        return Probe("websocket", False, f"{got}" + ("" if upgrades else f" {NOT_PASSED}"))
    if got.first is None:
        return Probe("websocket", False, str(got))
    if got.subprotocol != SUBPROTOCOL:
        return Probe("websocket", False, f"subprotocol {got.subprotocol!r} ({SUBPROTOCOL} offered)")
    hello = json.loads(got.first)
    seen = hello.get("about", hello).get("root_path")
    if seen != root:
        return Probe("websocket", False, f"hello root_path {seen!r}")
    if echo is None or ECHOED not in echo:
        return Probe("websocket", False, f"echo {echo!r}")
    return Probe("websocket", True, f"{got}, hello root_path {seen!r}, echoed")


def stream(client: httpx.Client, base: str) -> Probe:
    """``GET {base}/events``: three events a second apart, each read before the next is made."""
    return paced(read_events(client, base + EVENTS), INTERVAL, COUNT)
