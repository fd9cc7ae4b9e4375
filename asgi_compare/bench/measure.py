"""Measurements of one running deployment: a cell under wrk, then the per-framework extras."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import threading
import time
from pathlib import Path

import httpx

from asgi_compare.bench.endpoints import ENDPOINTS, HELLO, fit_body, fit_for_cells
from asgi_compare.bench.load import run_wrk
from asgi_compare.bench.results import (
    Cell,
    ColdStart,
    LoopHealth,
    PlotTiming,
    Settings,
    Sleeps,
    WrkRun,
)
from asgi_compare.harness import AppKind, Deployment, entrypoint

# The loop-health test fits 20,000 x 50 values (a 20 MB body): over the apps' default limits
# (1 MiB, 100,000 values), which the bench raises for every app it starts.
BENCH_LIMITS = {
    "ASGI_COMPARE_MAX_BODY_BYTES": str(64 * 1024 * 1024),
    "ASGI_COMPARE_MAX_CELLS": "2000000",
}
_JSON = {"content-type": "application/json"}


def deployment(app: AppKind, framework: str, server: str, workdir: Path, pin: bool) -> Deployment:
    """One worker with the fastest loop and parser its server offers, on CPU 0 when pinned."""
    return Deployment(
        framework,
        server,
        workdir=workdir,
        app=entrypoint(framework, app),
        tuned=True,
        lean=True,
        cpu=0 if pin else None,
        env=dict(BENCH_LIMITS),
    )


def peak_rss_mb(d: Deployment) -> float:
    return round(d.peak_memory() / 2**20, 1)


def warm(d: Deployment) -> None:
    """A small fit waits for the adapter's background imports: measure the steady state."""
    httpx.post(
        f"{d.server_url}/fit", content=fit_for_cells(), timeout=120, headers=_JSON
    ).raise_for_status()


def cell(d: Deployment, app: AppKind, endpoint: str, settings: Settings, workdir: Path) -> Cell:
    """One run of wrk on ``endpoint``; an error is reported in the cell, not raised."""
    e = ENDPOINTS[endpoint]
    run, error = WrkRun(), ""
    try:
        if e.needs_fit:
            httpx.post(
                f"{d.server_url}/fit", content=fit_for_cells(), timeout=60, headers=_JSON
            ).raise_for_status()
        run = run_wrk(
            d.server_url, e, settings.duration, settings.connections, settings.pin, workdir
        )
    except (RuntimeError, httpx.HTTPError, subprocess.TimeoutExpired) as exc:
        error = str(exc).splitlines()[0][:200]
    return Cell.of(app, d.framework, d.server, endpoint, run, peak_rss_mb(d), error)


def cold_start(
    framework: str, server: str, settings: Settings, workdir: Path, times: int = 5
) -> ColdStart:
    """Process spawn to the first 200 on GET /hello, ``times`` fresh processes."""
    seconds = []
    for _ in range(times):
        d = deployment("adapter", framework, server, workdir, settings.pin)
        try:
            d.start()
            seconds.append(d.wait_ready(path="/hello"))
        finally:
            d.stop()
    return ColdStart(framework, server, seconds)


def loop_health(d: Deployment, settings: Settings, workdir: Path) -> LoopHealth:
    """GET /hello's p99 idle, then while four POST /fit of 20,000 x 50 run at once."""
    duration = max(settings.duration, 3.0)
    warm(d)
    idle = run_wrk(d.server_url, HELLO, duration, 8, settings.pin, workdir)
    body = fit_body(20_000, 50)
    statuses: list[int] = []
    fit_seconds: list[float] = []

    def fit() -> None:
        began = time.perf_counter()
        r = httpx.post(f"{d.server_url}/fit", content=body, timeout=300, headers=_JSON)
        statuses.append(r.status_code)
        fit_seconds.append(time.perf_counter() - began)

    threads = [threading.Thread(target=fit) for _ in range(4)]
    for t in threads:
        t.start()
    busy = run_wrk(d.server_url, HELLO, duration, 8, settings.pin, workdir)
    for t in threads:
        t.join()
    return LoopHealth(
        idle_p99_ms=idle.p99_ms,
        busy_p99_ms=busy.p99_ms,
        ratio=round(busy.p99_ms / max(idle.p99_ms, 1e-9), 1),
        fit_body_mb=round(len(body) / 2**20, 1),
        fit_seconds_max=round(max(fit_seconds, default=0.0), 2),
        fit_statuses=sorted(set(statuses)),
    )


def concurrent_sleeps(d: Deployment, count: int = 200) -> Sleeps:
    """``count`` GET /async-route?delay=1 at once: about one second if they overlap."""

    async def run() -> tuple[float, list[int]]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            began = time.perf_counter()
            answers = await asyncio.gather(
                *(client.get(f"{d.server_url}/async-route?delay=1") for _ in range(count))
            )
            return time.perf_counter() - began, [a.status_code for a in answers]

    seconds, statuses = asyncio.run(run())
    return Sleeps(
        requests=count, wall_seconds=round(seconds, 3), ok=sum(s == 200 for s in statuses)
    )


def plot_timing(d: Deployment) -> PlotTiming:
    """GET /plot after a 10,000-row fit: the first (drawn) and repeated (cached) answers."""
    with httpx.Client(timeout=120) as client:
        client.post(
            f"{d.server_url}/fit", content=fit_body(10_000, 5), headers=_JSON
        ).raise_for_status()
        times = []
        for _ in range(6):
            began = time.perf_counter()
            client.get(f"{d.server_url}/plot").raise_for_status()
            times.append((time.perf_counter() - began) * 1000)
    return PlotTiming(
        first_ms=round(times[0], 1), cached_median_ms=round(statistics.median(times[1:]), 2)
    )
