"""The work the bench asks of every adapter: its endpoints and the fits they need, and the
loads on its live routes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlencode

from asgi_compare.live_load import EVENTS_QUERY


def rows(n: int, cols: int, seed: int = 7) -> tuple[list[list[float]], list[float]]:
    """``n`` seeded rows of ``cols`` features and a linear target with noise."""
    import numpy as np  # only when a body is built: the CLI's parser imports this module

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, cols))
    y = X @ rng.normal(size=cols) + rng.normal(scale=0.5, size=n)
    return X.tolist(), y.tolist()


@cache
def fit_body(n: int, cols: int) -> bytes:
    X, y = rows(n, cols)
    return json.dumps({"X": X, "y": y}).encode()


def fit_for_cells() -> bytes:
    """What /predict and /plot cells are measured after."""
    return fit_body(100, 5)


def _predict_body() -> bytes:
    return json.dumps({"X": rows(10, 5)[0]}).encode()


def _item_body() -> bytes:
    return b'{"name": "Widget", "price": 9.99}'


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    payload: Callable[[], bytes] | None = None  # built when first sent, not at import
    needs_fit: bool = False

    @property
    def body(self) -> bytes | None:
        return None if self.payload is None else self.payload()


ENDPOINTS: dict[str, Endpoint] = {
    "hello": Endpoint("GET", "/hello"),
    "greeting": Endpoint("GET", "/greetings/en"),
    "add": Endpoint("GET", "/add?x=1&y=2"),
    "items": Endpoint("POST", "/items", _item_body),
    "predict": Endpoint("POST", "/predict", _predict_body, needs_fit=True),
    "plot": Endpoint("GET", "/plot", needs_fit=True),
}
HELLO = ENDPOINTS["hello"]
# Measured per framework after the cells: cold start and imports, the loop under large fits
# (p99, then the longest stall at the default limits), 200 sleeping requests, the plot, and
# one worker against two on every server.
EXTRAS = ("cold", "imports", "loop", "stall", "async", "plot", "scaling")


@dataclass(frozen=True)
class LiveLoad:
    """A measurement of the live routes: the load process's mode, and its connections."""

    mode: str  # asgi_compare.live_load's: echo or events
    connections: int
    unit: str  # what is counted a second
    what: str


# The live routes, measured on every server per adapter, bare app and raw app in alternating
# rounds; then each app's resident memory with IDLE_WEBSOCKETS WebSockets open ("idle").
LIVE: dict[str, LiveLoad] = {
    "echo-1": LiveLoad(
        "echo", 1, "round trips", "WebSocket echo round trips a second, 1 connection"
    ),
    "echo-100": LiveLoad(
        "echo", 100, "round trips", "WebSocket echo round trips a second, 100 connections"
    ),
    "events": LiveLoad(
        "events",
        1,
        "events",
        f"GET /events?{urlencode(EVENTS_QUERY)} read to the end, events a second",
    ),
}
IDLE_WEBSOCKETS = 1000
IDLE = f"resident memory with {IDLE_WEBSOCKETS:,} idle WebSockets open"
LIVE_MEASURES = (*LIVE, "idle")
ROUNDS = 4  # rounds of GET /hello per app, forwards then backwards (an even count: each order
# as often); their medians are reported
LOOP_FIT = (20_000, 50)  # rows, columns: a 20 MB body, four clients posting it at once
PLOT_ROWS = 10_000


def largest_fit(max_body_bytes: int, max_cells: int, cols: int = 50) -> int:
    """The most rows (in hundreds) of ``cols`` values whose body both limits accept."""
    n = 100
    while (n + 100) * cols <= max_cells and len(fit_body(n + 100, cols)) <= max_body_bytes:
        n += 100
    return n
