"""Baselines for ``asgi-compare bench``: the same GET /hello with less in the way.

``raw`` is an ASGI app with no framework (the practical limit of a server). Each framework has
two apps with only GET /hello: ``<framework>_bare``, built with the adapter's libraries and
structure (its router or blueprint, its validation library attached, a pydantic model
answered), so that adapter / bare is what core and the contract cost; and
``<framework>_plain``, the framework alone as its docs first show it, so that bare / plain is
what those libraries and that structure cost. The bare apps and ``raw`` also serve the live
routes, ``WS /ws`` and ``GET /events``, the bare ones in the framework API the adapter uses
for them, so that the live measurements compare the same pairs.
"""

from __future__ import annotations

import ast
from pathlib import Path
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


def summary(framework: str, kind: str) -> str:
    """What ``<framework>_<kind>`` is, from its docstring, read without importing the app (and
    its framework)."""
    source = Path(__file__).with_name(f"{framework}_{kind}.py").read_text()
    doc = ast.get_docstring(ast.parse(source)) or ""
    return " ".join(doc.split())
