"""Baselines for ``asgi-compare bench``: the same GET /hello with less in the way.

``raw`` is an ASGI app with no framework (the practical limit of a server); ``<framework>_bare``
is a bare app of each framework with only GET /hello, written as its docs show. The adapters'
figures divided by these are their overheads.
"""

from __future__ import annotations

from typing import Any


async def lifespan(receive: Any, send: Any) -> None:
    """ASGI's lifespan protocol for an app with nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
