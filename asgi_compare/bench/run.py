"""The bench's plan and loop: which apps run side by side, in which order, measured how."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asgi_compare.bench.endpoints import HELLO, ROUNDS
from asgi_compare.bench.load import run_wrk, wrk_binary
from asgi_compare.bench.measure import (
    cell,
    cold_start,
    concurrent_sleeps,
    deployment,
    loop_health,
    peak_rss_mb,
    plot_timing,
    warm,
)
from asgi_compare.bench.results import Cell, Results, Settings, WrkRun, median_run
from asgi_compare.harness import AppKind, Deployment, applies

App = tuple[AppKind, str]  # (adapter, bare or raw; framework, "" for raw)
EXTRAS_HOST = "uvicorn"  # one server is enough for what depends on the framework


def groups(settings: Settings) -> list[tuple[str, list[App]]]:
    """Per server: the apps served side by side, the raw baseline first."""
    out = []
    for server in settings.servers:
        apps: list[App] = [] if server == "native" else [("raw", "")]
        for framework in settings.frameworks:
            if applies(framework, server):
                apps += [("bare", framework), ("adapter", framework)]
        out.append((server, apps))
    return out


def run(settings: Settings, say: Callable[[str], None]) -> Results:
    """All apps of one server run side by side, idle but one: GET /hello is measured in
    alternating rounds (median of ``ROUNDS``), so drift on a shared machine hits every app
    alike and the ratios stay fair; the adapters' other endpoints follow, once each."""
    wrk_binary()  # no wrk: fail before starting anything
    results = Results(settings)
    began = time.monotonic()
    plan = groups(settings)
    others = [e for e in settings.endpoints if e != "hello"]  # measured on adapters only
    total = sum(
        (len(apps) if "hello" in settings.endpoints else 0)
        + sum(app == "adapter" for app, _ in apps) * len(others)
        for _, apps in plan
    )
    done = 0

    def measured(c: Cell) -> None:
        nonlocal done
        results.cells.append(c)
        done += 1
        say(
            f"[{done:>3}/{total}] {time.monotonic() - began:5.0f}s  {c.app:<8}"
            f"{c.framework or '-':<9}{c.server:<10}{c.endpoint:<9}"
            + (f"error: {c.error}" if c.error else f"{c.rps:>10,.0f} req/s  p99 {c.p99_ms:7.2f} ms")
        )

    with tempfile.TemporaryDirectory(prefix="asgi-compare-bench-") as tmp:
        workdir = Path(tmp)
        for server, apps in plan:
            _cells(server, apps, settings, workdir, measured, say)
        _extras(results, workdir, say)
    results.seconds = time.monotonic() - began
    return results


def _cells(
    server: str,
    apps: list[App],
    settings: Settings,
    workdir: Path,
    measured: Callable[[Cell], None],
    say: Callable[[str], None],
) -> None:
    """Every cell of one server, each handed to ``measured`` as soon as it is."""
    deployments = {a: deployment(*a, server, workdir, settings.pin) for a in apps}

    def hello(d: Deployment, seconds: float) -> WrkRun:
        return run_wrk(d.server_url, HELLO, seconds, settings.connections, settings.pin, workdir)

    try:
        for (app, _), d in deployments.items():
            d.start()
            d.wait_ready(path="/hello")
            if app == "adapter":  # load the scientific stack now, not while measured
                warm(d)
            hello(d, 1)
        if "hello" in settings.endpoints:
            rounds: dict[App, list[WrkRun]] = {a: [] for a in apps}
            for _ in range(ROUNDS):
                for a, d in deployments.items():
                    rounds[a].append(hello(d, settings.duration))
            for (app, framework), runs in rounds.items():
                rss = peak_rss_mb(deployments[(app, framework)])
                measured(Cell.of(app, framework, server, "hello", median_run(runs), rss))
        for (app, _), d in deployments.items():
            if app == "adapter":
                for name in settings.endpoints:
                    if name != "hello":
                        measured(cell(d, app, name, settings, workdir))
    except RuntimeError as exc:
        say(f"  ! {server}: {exc}")
    finally:
        for d in deployments.values():
            d.stop()


def _extras(results: Results, workdir: Path, say: Callable[[str], None]) -> None:
    """Cold starts on every server; loop health, concurrent sleeps and the plot on one."""
    settings, extras = results.settings, results.settings.extras
    for framework in settings.frameworks:
        for server in settings.servers:
            if "cold" in extras and applies(framework, server):
                cold = cold_start(framework, server, settings, workdir)
                results.cold_start.append(cold)
                say(f"cold start {framework}/{server}: median {cold.median:.2f}s")
        if not {"loop", "async", "plot"} & set(extras):
            continue
        d = deployment("adapter", framework, EXTRAS_HOST, workdir, settings.pin)
        try:
            d.start()
            d.wait_ready(path="/hello")
            if "loop" in extras:
                results.loop[framework] = loop_health(d, settings, workdir)
                say(f"loop {framework}: {results.loop[framework]}")
            if "async" in extras:
                results.sleeps[framework] = concurrent_sleeps(d)
                say(f"async {framework}: {results.sleeps[framework]}")
            if "plot" in extras:
                results.plot[framework] = plot_timing(d)
                say(f"plot {framework}: {results.plot[framework]}")
        finally:
            d.stop()
