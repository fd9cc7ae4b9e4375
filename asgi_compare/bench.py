"""``asgi-compare bench``: the adapters' speed on real servers, beside what the limit is.

Each cell serves one app on one server, one worker, pinned to CPU 0 with the load generator
(wrk, one thread) on CPU 1 where the machine has two cores, on loopback. Baselines run in the
same session: a raw ASGI app (the server's practical limit) and a bare app of each framework
with only GET /hello, so every adapter figure is also a ratio. Then per adapter: cold start,
GET /hello's p99 while large fits run, 200 concurrent sleeping requests, and the residual plot.
Speed is reported, never asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx

from asgi_compare.deploy import applies, free_ports, spawn, stop_process, wait_for_port
from asgi_compare.deploy import command as deploy_command

FRAMEWORKS = ("fastapi", "quart", "falcon", "sanic")
SERVERS = ("uvicorn", "hypercorn", "granian", "native")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    body: bytes | None = None
    needs_fit: bool = False


def _rows(n: int, cols: int, seed: int = 7) -> tuple[list[list[float]], list[float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, cols))
    y = X @ rng.normal(size=cols) + rng.normal(scale=0.5, size=n)
    return X.tolist(), y.tolist()


def _fit_body(n: int, cols: int) -> bytes:
    X, y = _rows(n, cols)
    return json.dumps({"X": X, "y": y}).encode()


ENDPOINTS: dict[str, Endpoint] = {
    "hello": Endpoint("GET", "/hello"),
    "greeting": Endpoint("GET", "/greetings/en"),
    "add": Endpoint("GET", "/add?x=1&y=2"),
    "items": Endpoint("POST", "/items", b'{"name": "Widget", "price": 9.99}'),
    "predict": Endpoint("POST", "/predict", json.dumps({"X": _rows(10, 5)[0]}).encode(), True),
    "plot": Endpoint("GET", "/plot", needs_fit=True),
}
FIT_FOR_CELLS = _fit_body(100, 5)  # what /predict and /plot cells are measured after
ROUNDS = 3  # alternating rounds of GET /hello per app; their medians are reported


@dataclass
class Cell:
    app: str  # adapter, bare or raw
    framework: str  # "" for raw
    server: str
    endpoint: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    non_2xx: int = 0
    socket_errors: int = 0
    peak_rss_mb: float = 0.0
    error: str = ""


@dataclass
class Settings:
    frameworks: list[str]
    servers: list[str]
    endpoints: list[str]
    duration: float = 2.0
    connections: int = 32
    extras: list[str] = field(default_factory=lambda: ["cold", "loop", "async", "plot"])
    pin: bool = True


# --- processes -------------------------------------------------------------------------------


def entrypoint(app: str, framework: str) -> str:
    if app == "raw":
        return "asgi_compare.bench_apps.raw:app"
    if app == "bare":
        return f"asgi_compare.bench_apps.{framework}_bare:app"
    return f"{framework}_app.app:app"


def command(entry: str, server: str, port: int, pin: bool) -> list[str]:
    """One worker, the fastest event loop and HTTP parser each server offers."""
    cmd, _ = deploy_command(entry, server, "127.0.0.1", port, lean=True, tuned=True)
    return ["taskset", "-c", "0", *cmd] if pin else cmd


# The loop-health test fits 20,000 x 50 values (a 20 MB body): over the apps' default limits
# (1 MiB, 100,000 values), which the bench raises for every app it starts.
BENCH_LIMITS = {
    "ASGI_COMPARE_MAX_BODY_BYTES": str(64 * 1024 * 1024),
    "ASGI_COMPARE_MAX_CELLS": "2000000",
}


class Server:
    """A server process for one app; stopped with everything it started."""

    def __init__(
        self, app: str, framework: str, server: str, workdir: Path, pin: bool, port: int = 0
    ) -> None:
        # Ports are chosen by whoever starts several at once; a lone server finds its own.
        self.port = port or next(free_ports(1, start=27000))
        self.entry = entrypoint(app, framework)
        self.cmd = command(self.entry, server, self.port, pin)
        self.log = workdir / f"{app}-{framework or 'raw'}-{server}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait for the first 200 on /hello; returns the seconds that took."""
        began = time.perf_counter()
        self.proc = spawn(self.cmd, BENCH_LIMITS, self.log)
        wait_for_port(self.port, self.proc, self.log, 30.0)
        with httpx.Client(timeout=5.0) as client:
            while True:
                try:
                    if client.get(f"{self.url}/hello").status_code == 200:
                        return time.perf_counter() - began
                except httpx.TransportError:
                    pass
                if time.perf_counter() - began > 30:
                    raise RuntimeError(f"{self.entry} never answered /hello")
                time.sleep(0.005)

    def peak_rss_mb(self) -> float:
        """The sum of the peak resident memory (VmHWM) of every process in the server's group."""
        if self.proc is None:
            return 0.0
        total = 0
        for pid in _group_members(self.proc.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            total += int(found.group(1)) if found else 0
        return round(total / 1024, 1)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


def _group_members(pgid: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
                yield int(entry.name)


# --- load --------------------------------------------------------------------------------------

_WRK_LUA = """wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> dict[str, float]:
    got: dict[str, float] = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        got["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in", out):
        got["requests"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M):
            got[key] = _ms(m.group(1), m.group(2))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        got["non_2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        got["socket_errors"] = sum(int(g) for g in m.groups())
    return got


def run_wrk(
    url: str, endpoint: Endpoint, duration: float, connections: int, pin: bool, workdir: Path
) -> dict[str, float]:
    cmd = [wrk_binary(), "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if endpoint.body is not None:
        script = workdir / f"{endpoint.method.lower()}-{abs(hash(endpoint.body))}.lua"
        script.write_text(
            _WRK_LUA.format(method=endpoint.method, body=json.dumps(endpoint.body.decode()))
        )
        cmd += ["-s", str(script)]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(
        [*cmd, url + endpoint.path], capture_output=True, text=True, timeout=duration + 60
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr.strip() or out.stdout.strip()}")
    return parse_wrk(out.stdout)


def measure(server: Server, cell: Cell, settings: Settings, workdir: Path) -> Cell:
    endpoint = ENDPOINTS[cell.endpoint]
    try:
        if endpoint.needs_fit:
            httpx.post(
                f"{server.url}/fit",
                content=FIT_FOR_CELLS,
                timeout=60,
                headers={"content-type": "application/json"},
            ).raise_for_status()
        got = run_wrk(
            server.url, endpoint, settings.duration, settings.connections, settings.pin, workdir
        )
        for key, value in got.items():
            setattr(cell, key, value)
    except (RuntimeError, httpx.HTTPError, subprocess.TimeoutExpired) as exc:
        cell.error = str(exc).splitlines()[0][:200]
    cell.peak_rss_mb = server.peak_rss_mb()
    return cell


# --- the extra measurements ------------------------------------------------------------------


def warm(server: Server) -> None:
    """A small fit waits for the adapter's background imports: measure the steady state."""
    httpx.post(
        f"{server.url}/fit",
        content=FIT_FOR_CELLS,
        timeout=120,
        headers={"content-type": "application/json"},
    ).raise_for_status()


def cold_starts(framework: str, server: str, settings: Settings, workdir: Path) -> list[float]:
    times = []
    for _ in range(5):
        s = Server("adapter", framework, server, workdir, settings.pin)
        try:
            times.append(s.start())
        finally:
            s.stop()
    return times


def loop_health(server: Server, settings: Settings, workdir: Path) -> dict[str, Any]:
    """GET /hello's p99 idle, then while four POST /fit of 20,000 x 50 run at once."""
    hello = ENDPOINTS["hello"]
    duration = max(settings.duration, 3.0)
    warm(server)
    idle = run_wrk(server.url, hello, duration, 8, settings.pin, workdir)
    body = _fit_body(20_000, 50)
    statuses: list[int] = []
    fit_seconds: list[float] = []

    def fit() -> None:
        began = time.perf_counter()
        r = httpx.post(
            f"{server.url}/fit",
            content=body,
            timeout=300,
            headers={"content-type": "application/json"},
        )
        statuses.append(r.status_code)
        fit_seconds.append(time.perf_counter() - began)

    threads = [threading.Thread(target=fit) for _ in range(4)]
    for t in threads:
        t.start()
    busy = run_wrk(server.url, hello, duration, 8, settings.pin, workdir)
    for t in threads:
        t.join()
    return {
        "idle_p99_ms": idle.get("p99_ms", 0.0),
        "busy_p99_ms": busy.get("p99_ms", 0.0),
        "ratio": round(busy.get("p99_ms", 0.0) / max(idle.get("p99_ms", 0.0), 1e-9), 1),
        "fit_body_mb": round(len(body) / 2**20, 1),
        "fit_seconds_max": round(max(fit_seconds, default=0.0), 2),
        "fit_statuses": sorted(set(statuses)),
    }


def concurrent_sleeps(server: Server, count: int = 200) -> dict[str, float]:
    async def run() -> tuple[float, list[int]]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            began = time.perf_counter()
            answers = await asyncio.gather(
                *(client.get(f"{server.url}/async-route?delay=1") for _ in range(count))
            )
            return time.perf_counter() - began, [a.status_code for a in answers]

    seconds, statuses = asyncio.run(run())
    return {
        "requests": count,
        "wall_seconds": round(seconds, 3),
        "ok": sum(s == 200 for s in statuses),
    }


def plot_timing(server: Server) -> dict[str, float]:
    """GET /plot after a 10,000-row fit: the first (drawn) and repeated (cached) answers."""
    with httpx.Client(timeout=120) as client:
        client.post(
            f"{server.url}/fit",
            content=_fit_body(10_000, 5),
            headers={"content-type": "application/json"},
        ).raise_for_status()
        times = []
        for _ in range(6):
            began = time.perf_counter()
            client.get(f"{server.url}/plot").raise_for_status()
            times.append((time.perf_counter() - began) * 1000)
    return {
        "first_ms": round(times[0], 1),
        "cached_median_ms": round(statistics.median(times[1:]), 2),
    }


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Results:
    settings: Settings
    cells: list[Cell] = field(default_factory=list)
    cold_start: dict[str, list[float]] = field(default_factory=dict)
    loop: dict[str, dict[str, Any]] = field(default_factory=dict)
    sleeps: dict[str, dict[str, float]] = field(default_factory=dict)
    plot: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0


def groups(settings: Settings) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per server: the apps served side by side, (app, framework), the raw baseline first."""
    out = []
    for server in settings.servers:
        apps = [] if server == "native" else [("raw", "")]
        for framework in settings.frameworks:
            if applies(framework, server):
                apps += [("bare", framework), ("adapter", framework)]
        out.append((server, apps))
    return out


def _median_cell(app: str, framework: str, server: str, rounds: list[dict[str, float]]) -> Cell:
    cell = Cell(app, framework, server, "hello")
    for key in ("rps", "p50_ms", "p99_ms"):
        setattr(cell, key, statistics.median(r.get(key, 0.0) for r in rounds))
    cell.requests = int(sum(r.get("requests", 0) for r in rounds))
    cell.non_2xx = int(sum(r.get("non_2xx", 0) for r in rounds))
    cell.socket_errors = int(sum(r.get("socket_errors", 0) for r in rounds))
    return cell


def run(settings: Settings, say: Callable[[str], None]) -> Results:
    """All apps of one server run side by side, idle but one: GET /hello is measured in
    alternating rounds (median of ``ROUNDS``), so drift on a shared machine hits every app
    alike and the ratios stay fair; the adapters' other endpoints follow, once each."""
    wrk_binary()
    results = Results(settings)
    began = time.monotonic()
    plan = groups(settings)
    total = sum(len(apps) for _, apps in plan) + sum(
        len([a for a in apps if a[0] == "adapter"]) * len(settings.endpoints) for _, apps in plan
    )
    done = 0

    def progress(cell: Cell) -> None:
        nonlocal done
        done += 1
        say(
            f"[{done:>3}/{total}] {time.monotonic() - began:5.0f}s  {cell.app:<8}"
            f"{cell.framework or '-':<9}{cell.server:<10}{cell.endpoint:<9}"
            + (
                f"error: {cell.error}"
                if cell.error
                else f"{cell.rps:>10,.0f} req/s  p99 {cell.p99_ms:7.2f} ms"
            )
        )

    with tempfile.TemporaryDirectory(prefix="asgi-compare-bench-") as tmp:
        workdir = Path(tmp)
        for server_name, apps in plan:
            ports = free_ports(len(apps), start=27000)
            servers = {a: Server(*a, server_name, workdir, settings.pin, next(ports)) for a in apps}
            try:
                for (app, _), s in servers.items():
                    s.start()
                    if app == "adapter":  # load the scientific stack now, not while measured
                        warm(s)
                    run_wrk(
                        s.url, ENDPOINTS["hello"], 1, settings.connections, settings.pin, workdir
                    )
                if "hello" in settings.endpoints:
                    rounds: dict[tuple[str, str], list[dict[str, float]]] = {a: [] for a in apps}
                    for _ in range(ROUNDS):
                        for a, s in servers.items():
                            rounds[a].append(
                                run_wrk(
                                    s.url,
                                    ENDPOINTS["hello"],
                                    settings.duration,
                                    settings.connections,
                                    settings.pin,
                                    workdir,
                                )
                            )
                    for (app, framework), got in rounds.items():
                        cell = _median_cell(app, framework, server_name, got)
                        cell.peak_rss_mb = servers[(app, framework)].peak_rss_mb()
                        results.cells.append(cell)
                        progress(cell)
                for (app, framework), s in servers.items():
                    if app != "adapter":
                        continue
                    for name in settings.endpoints:
                        if name == "hello":
                            continue
                        cell = measure(
                            s, Cell(app, framework, server_name, name), settings, workdir
                        )
                        results.cells.append(cell)
                        progress(cell)
            except RuntimeError as exc:
                say(f"  ! {server_name}: {exc}")
            finally:
                for s in servers.values():
                    s.stop()
        extras = settings.extras
        for framework in settings.frameworks:
            for server_name in settings.servers:
                if "cold" in extras and applies(framework, server_name):
                    times = cold_starts(framework, server_name, settings, workdir)
                    results.cold_start[f"{framework}/{server_name}"] = times
                    say(
                        f"cold start {framework}/{server_name}: median "
                        f"{statistics.median(times):.2f}s"
                    )
            if not {"loop", "async", "plot"} & set(extras):
                continue
            host = "uvicorn"  # one server is enough for what depends on the framework
            server = Server("adapter", framework, host, workdir, settings.pin)
            try:
                server.start()
                if "loop" in extras:
                    results.loop[framework] = loop_health(server, settings, workdir)
                    say(f"loop {framework}: {results.loop[framework]}")
                if "async" in extras:
                    results.sleeps[framework] = concurrent_sleeps(server)
                    say(f"async {framework}: {results.sleeps[framework]}")
                if "plot" in extras:
                    results.plot[framework] = plot_timing(server)
                    say(f"plot {framework}: {results.plot[framework]}")
            finally:
                server.stop()
    results.seconds = time.monotonic() - began
    return results


# --- output ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def versions() -> dict[str, str]:
    names = (
        "fastapi",
        "quart",
        "falcon",
        "sanic",
        "uvicorn",
        "hypercorn",
        "granian",
        "uvloop",
        "httptools",
        "pydantic",
    )
    found = {name: version(name) for name in names}
    wrk = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True)
    found["wrk"] = (wrk.stdout or wrk.stderr).split()[1] if (wrk.stdout or wrk.stderr) else "?"
    return found


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if a and b else "n/a"


def render_markdown(results: Results, command_line: str) -> str:
    s = results.settings
    by = {(c.app, c.framework, c.server, c.endpoint): c for c in results.cells}
    lines = [
        "# Benchmark results",
        "",
        f"`{command_line}`, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, {results.seconds:.0f} s.",
        "",
        f"Machine: {json.dumps(machine())}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in versions().items())
        + ".",
        "",
        f"Each cell: one worker{' pinned to CPU 0, wrk pinned to CPU 1' if s.pin else ''}; "
        f"`wrk -t1 -c{s.connections} -d{s.duration:g}s --latency` after 1 s of warm-up load. "
        f"GET /hello: every app of a server runs side by side and is measured in {ROUNDS} "
        "alternating rounds; the median is shown. Other endpoints: one run each. RSS is the "
        "server's peak resident memory over its whole life.",
        "",
    ]
    if "hello" in s.endpoints:
        lines += [
            "## GET /hello: adapter against the bare framework and the raw ASGI limit",
            "",
            "| framework | server | adapter req/s | bare req/s | raw req/s | adapter / bare "
            "| adapter / raw | bare / raw |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for server in s.servers:
            raw = by.get(("raw", "", server, "hello"))
            for framework in s.frameworks:
                a = by.get(("adapter", framework, server, "hello"))
                b = by.get(("bare", framework, server, "hello"))
                if a is None or b is None:
                    continue
                r = raw.rps if raw else 0.0
                lines.append(
                    f"| {framework} | {server} | {a.rps:,.0f} | {b.rps:,.0f} | "
                    f"{f'{r:,.0f}' if r else 'n/a'} | **{_ratio(a.rps, b.rps)}** | "
                    f"{_ratio(a.rps, r)} | {_ratio(b.rps, r)} |"
                )
        lines.append("")
    lines += ["## Every endpoint (adapters)", ""]
    for name in s.endpoints:
        e = ENDPOINTS[name]
        lines += [
            f"### {e.method} {e.path}",
            "",
            f"![{name}](charts/{name}.png)",
            "",
            "| framework | server | req/s | p50 ms | p99 ms | non-2xx | peak RSS MB |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in results.cells:
            if c.app == "adapter" and c.endpoint == name:
                row = (
                    (
                        f"{c.rps:,.0f} | {c.p50_ms:.2f} | {c.p99_ms:.2f} | {c.non_2xx} | "
                        f"{c.peak_rss_mb}"
                    )
                    if not c.error
                    else f"error: {c.error} | | | |"
                )
                lines.append(f"| {c.framework} | {c.server} | {row} |")
        lines.append("")
    if results.cold_start:
        lines += [
            "## Cold start: process spawn to the first 200 on /hello, median of 5",
            "",
            "| adapter/server | median s | all |",
            "|---|---|---|",
        ]
        for key, times in results.cold_start.items():
            lines.append(
                f"| {key} | {statistics.median(times):.2f} | "
                + ", ".join(f"{t:.2f}" for t in times)
                + " |"
            )
        lines.append("")
    if results.loop:
        lines += [
            "## Event-loop health on uvicorn: GET /hello p99 while four POST /fit of "
            "20,000 x 50 run",
            "",
            "| framework | idle p99 ms | busy p99 ms | busy / idle | fit body MB | "
            "slowest fit s | fit statuses |",
            "|---|---|---|---|---|---|---|",
        ]
        for framework, got in results.loop.items():
            lines.append(
                f"| {framework} | {got['idle_p99_ms']:.2f} | {got['busy_p99_ms']:.2f} | "
                f"{got['ratio']} | {got['fit_body_mb']} | {got['fit_seconds_max']} | "
                f"{got['fit_statuses']} |"
            )
        lines.append("")
    if results.sleeps:
        lines += [
            "## 200 concurrent GET /async-route?delay=1 on uvicorn",
            "",
            "| framework | wall s | 200 OK |",
            "|---|---|---|",
        ]
        for framework, got in results.sleeps.items():
            lines.append(f"| {framework} | {got['wall_seconds']} | {got['ok']} |")
        lines.append("")
    if results.plot:
        lines += [
            "## GET /plot after a 10,000-row fit, on uvicorn",
            "",
            "| framework | first (drawn) ms | repeated (cached) median ms |",
            "|---|---|---|",
        ]
        for framework, got in results.plot.items():
            lines.append(f"| {framework} | {got['first_ms']} | {got['cached_median_ms']} |")
        lines.append("")
    return "\n".join(lines)


def render_charts(results: Results, folder: Path) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in results.settings.endpoints:
        cells = [c for c in results.cells if c.app == "adapter" and c.endpoint == name]
        if not cells:
            continue
        fig = Figure(figsize=(8, 0.35 * len(cells) + 1.2), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        labels = [f"{c.framework} / {c.server}" for c in cells]
        ax.barh(labels, [c.rps for c in cells], color="#4477aa")
        ax.invert_yaxis()
        e = ENDPOINTS[name]
        ax.set_xlabel("requests per second")
        ax.set_title(f"{e.method} {e.path}")
        fig.tight_layout()
        path = folder / f"{name}.png"
        fig.savefig(path)
        written.append(path)
    return written


def write(results: Results, folder: Path, command_line: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.md").write_text(render_markdown(results, command_line) + "\n")
    data = {
        "command": command_line,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "settings": asdict(results.settings),
        "seconds": results.seconds,
        "cells": [asdict(c) for c in results.cells],
        "cold_start": results.cold_start,
        "loop": results.loop,
        "async_route": results.sleeps,
        "plot": results.plot,
    }
    (folder / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    render_charts(results, folder / "charts")
