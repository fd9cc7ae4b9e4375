"""``asgi-compare bench``: the adapters' speed on real servers, beside what the limit is.

Each cell serves one app on one server, one worker, pinned to CPU 0 with the load generator
(wrk, one thread) on CPU 1 where the machine has two cores, on loopback. Baselines run in the
same session: a raw ASGI app (the server's practical limit) and two apps of each framework with
only GET /hello, bare (the adapter's libraries and structure) and plain (the framework alone;
see :mod:`asgi_compare.bench_apps`), so every adapter figure is also a ratio, measured once
the servers idle (their background imports done), in alternating rounds. Then per adapter:
cold start and imports, GET /hello's p99 while large fits run, the loop's longest stall, 200
concurrent sleeping requests, the plot, one worker against two; with ``--profile``, flame
graphs. The live routes, per adapter, bare app and raw app on every server, in alternating
rounds too: WebSocket echo round trips a second over 1 and 100 connections, events a second,
and the server's memory with 1,000 idle WebSockets, driven by a load process of their own
(:mod:`asgi_compare.live_load`). Speed is reported, never asserted.

:mod:`.run` and :mod:`.measure` run things, :mod:`.load` drives wrk, :mod:`.live` the live
routes' load, :mod:`.results` holds what was measured, :mod:`.render` writes it out. The package
itself loads only what needs no library beyond the standard one (the endpoints, wrk's load,
the results), so that ``asgi-compare bench --help`` works on the base install: the bench runs
with :func:`.run.run` and is written with :func:`.render.write`.
"""

from __future__ import annotations

from asgi_compare.bench.endpoints import (
    ENDPOINTS,
    EXTRAS,
    IDLE_WEBSOCKETS,
    LIVE,
    LIVE_MEASURES,
    ROUNDS,
    Endpoint,
    LiveLoad,
)
from asgi_compare.bench.load import parse_wrk, run_once, run_wrk, wrk_binary
from asgi_compare.bench.results import (
    Cell,
    ColdStart,
    IdleSockets,
    ImportTime,
    LiveCell,
    LiveRatio,
    LiveRun,
    LoopHealth,
    PlotTiming,
    Profile,
    Ratio,
    Results,
    Scaling,
    Settings,
    Settled,
    Sleeps,
    Stall,
    WrkRun,
)

__all__ = [
    "ENDPOINTS",
    "EXTRAS",
    "IDLE_WEBSOCKETS",
    "LIVE",
    "LIVE_MEASURES",
    "ROUNDS",
    "Cell",
    "ColdStart",
    "Endpoint",
    "IdleSockets",
    "ImportTime",
    "LiveCell",
    "LiveLoad",
    "LiveRatio",
    "LiveRun",
    "LoopHealth",
    "PlotTiming",
    "Profile",
    "Ratio",
    "Results",
    "Scaling",
    "Settings",
    "Settled",
    "Sleeps",
    "Stall",
    "WrkRun",
    "parse_wrk",
    "run_once",
    "run_wrk",
    "wrk_binary",
]
