"""A WebSocket session and an event stream against a running adapter, printed as they happen.

    python examples/live_session.py http://127.0.0.1:8000

Opens ``/ws`` offering the subprotocol ``asgi-compare.v1``, prints the server's hello, sends a
text, a binary message and ``close``; then reads ``/events?count=3&interval=1`` as a browser's
``EventSource`` does, printing each event with the second it arrived at. Behind a prefix, give
the URL with it (``http://127.0.0.1:8080/prefix``).
"""

from __future__ import annotations

import argparse
import time

import httpx
from httpx_ws import WebSocketDisconnect, connect_ws

from core.live import SUBPROTOCOL


def say(line: str) -> None:
    print(line)  # noqa: T201


def websocket_session(client: httpx.Client) -> None:
    say(f"> WS /ws (offering {SUBPROTOCOL})")
    with connect_ws("/ws", client, subprotocols=[SUBPROTOCOL]) as ws:
        say(f"  subprotocol {ws.subprotocol}")
        say(f"  < {ws.receive_text()}")
        for message in ("hi", b"\x00\x01"):
            say(f"  > {message!r}")
            if isinstance(message, bytes):
                ws.send_bytes(message)
                say(f"  < {ws.receive_bytes()!r}")
            else:
                ws.send_text(message)
                say(f"  < {ws.receive_text()}")
        say("  > 'close'")
        ws.send_text("close")
        try:
            ws.receive()
        except WebSocketDisconnect as closed:
            say(f"  closed with {closed.code}")


def event_stream(client: httpx.Client) -> None:
    say("> GET /events?count=3&interval=1")
    start = time.monotonic()
    headers = {"Accept": "text/event-stream"}
    params = {"count": 3, "interval": 1}
    with client.stream("GET", "/events", params=params, headers=headers) as r:
        media_type = r.headers["content-type"].partition(";")[0]
        say(f"  {r.status_code} {media_type}")
        for line in r.iter_lines():
            if line.startswith("data:"):
                say(f"  {time.monotonic() - start:.0f} s {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the adapter's base URL, its prefix included")
    args = parser.parse_args()
    with httpx.Client(base_url=args.url.rstrip("/"), timeout=30) as client:
        websocket_session(client)
        event_stream(client)


if __name__ == "__main__":
    main()
