"""An app behind a ticker: how long its event loop went, at most, without running a task.

A task sleeps 2 ms again and again on the server's own loop; how late it wakes is how long
the loop was held by something else (a callback, a coroutine step, a thread holding the GIL).
Unlike asyncio's debug mode (``PYTHONASYNCIODEBUG``, whose slow-callback log exists on the
standard loop only, and which slows every callback), it runs on the loop the bench measures
(uvloop) at full speed. GET ``/__ticker`` answers what it saw since the last GET ``/__ticker``.

The app served is ``ASGI_COMPARE_BENCH_APP`` (``module:attribute``), e.g. ``quart_app.app:app``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import time
from typing import Any

TICK = 0.002  # seconds; the ticker's resolution
PATH = "/__ticker"


class Ticker:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None  # a reference, or the loop may drop it
        self.seen: dict[str, float] = {}
        self.reset()

    def reset(self) -> None:
        self.seen = {"max_ms": 0.0, "ticks": 0, "over_10ms": 0, "over_50ms": 0}

    async def tick(self) -> None:
        while True:
            began = time.perf_counter()  # uvloop's loop.time() counts whole milliseconds
            await asyncio.sleep(TICK)
            late = (time.perf_counter() - began - TICK) * 1000
            seen = self.seen
            seen["ticks"] += 1
            seen["max_ms"] = max(seen["max_ms"], late)
            seen["over_10ms"] += late > 10
            seen["over_50ms"] += late > 50

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.task is None:  # the first call (lifespan's startup) is on the server's loop
            self.task = asyncio.get_running_loop().create_task(self.tick())
        if scope["type"] == "http" and scope["path"] == PATH:
            body = json.dumps({**self.seen, "max_ms": round(self.seen["max_ms"], 1)}).encode()
            self.reset()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _wrapped() -> Any:
    module, _, attribute = os.environ["ASGI_COMPARE_BENCH_APP"].partition(":")
    return getattr(importlib.import_module(module), attribute)


app = Ticker(_wrapped())
