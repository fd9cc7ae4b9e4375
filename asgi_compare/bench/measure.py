"""Measurements of running deployments: a cell under wrk, then the per-framework extras."""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from asgi_compare.bench.endpoints import (
    ENDPOINTS,
    HELLO,
    LOOP_FIT,
    PLOT_ROWS,
    fit_body,
    fit_for_cells,
    largest_fit,
)
from asgi_compare.bench.load import run_once, run_wrk
from asgi_compare.bench.results import (
    Cell,
    ColdStart,
    ImportTime,
    LoopHealth,
    PlotTiming,
    Profile,
    Scaling,
    Settings,
    Sleeps,
    Stall,
    WrkRun,
)
from asgi_compare.harness import AppKind, Deployment, entrypoint
from core.settings import Settings as AppSettings

if TYPE_CHECKING:
    import psutil

# The loop-health test fits 20,000 x 50 values (a 20 MB body): over the apps' default limits
# (1 MiB, 100,000 values), which the bench raises for every app it starts but the stall test's.
BENCH_LIMITS = {
    "ASGI_COMPARE_MAX_BODY_BYTES": str(64 * 1024 * 1024),
    "ASGI_COMPARE_MAX_CELLS": "2000000",
}
_DEFAULTS = AppSettings()
DEFAULT_LIMITS = (_DEFAULTS.max_body_bytes, _DEFAULTS.max_cells)  # what an app starts with
_JSON = {"content-type": "application/json"}
# What a measurement may fail with; reported in its result or on its progress line, so that one
# failure does not end a run of several minutes.
FAILURES = (
    RuntimeError,
    OSError,
    ValueError,
    KeyError,
    httpx.HTTPError,
    subprocess.SubprocessError,
)
SCIENTIFIC = ("numpy", "sklearn", "matplotlib", "scipy")


def deployment(
    app: AppKind,
    framework: str,
    server: str,
    workdir: Path,
    pin: bool,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
    entry: str | None = None,
) -> Deployment:
    """The fastest loop and parser its server offers, limits raised, on CPU 0 when pinned.

    Sanic's own server has one process only untuned (``--single-process``), so with more
    than one worker it runs in its multi-process mode, as it does for one in that comparison.
    """
    return Deployment(
        framework,
        server,
        workdir=workdir,
        app=entry or entrypoint(framework, app),
        tuned=not (server == "native" and workers > 1),
        lean=True,
        cpu=0 if pin else None,
        env=dict(BENCH_LIMITS) if env is None else env,
        workers=workers,
    )


def peak_rss_mb(d: Deployment) -> float:
    return round(d.peak_memory() / 2**20, 1)


def current_rss_mb(d: Deployment) -> float:
    """The resident memory of the server's processes now, summed (a supervisor's too)."""
    import psutil

    total = 0
    for proc in _processes([d]):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return round(total / 2**20, 1)


def server_pids(d: Deployment) -> list[int]:
    """The server's processes: the one started and its workers."""
    return [proc.pid for proc in _processes([d])]


def open_file_limit(d: Deployment) -> int:
    """The soft limit of open files of the server's first process (-1: none)."""
    import psutil

    procs = _processes([d])
    if not procs:
        return 0
    soft, _ = procs[0].rlimit(psutil.RLIMIT_NOFILE)
    return soft


def _processes(ds: Iterable[Deployment]) -> list[psutil.Process]:
    import psutil  # only the tools that measure need it (the ``serve`` extra)

    found: list[psutil.Process] = []
    for d in ds:
        if d.proc is None:
            continue
        try:
            root = psutil.Process(d.proc.pid)
            found += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return found


def _cpu_seconds(ds: Iterable[Deployment]) -> float:
    import psutil

    total = 0.0
    for proc in _processes(ds):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _running_threads(ds: Iterable[Deployment]) -> int:
    """Threads of the servers running or waiting for a core (state R) or for the disk (D)."""
    count = 0
    for proc in _processes(ds):
        for task in Path(f"/proc/{proc.pid}/task").glob("*/stat"):
            try:
                state = task.read_text().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                continue
            count += state in ("R", "D")
    return count


def settle(
    ds: list[Deployment], quiet: float = 0.05, window: float = 0.5, timeout: float = 60.0
) -> tuple[float, bool]:
    """Wait until the servers idle: for ``window`` seconds no thread of theirs runs or waits
    for a core, and they use under ``quiet`` of a core.

    The adapters import the scientific stack in a thread at start, on the core that serves
    requests; load measured before it is done measures the import too. Thread states, not
    CPU time alone, tell it on a busy machine, where a thread waiting for a core uses little.
    Returns the seconds waited and whether the servers idled within ``timeout``.
    """
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        cpu = _cpu_seconds(ds)
        started = time.perf_counter()
        busy = False
        while not busy and time.perf_counter() - started < window:
            busy = _running_threads(ds) > 0
            time.sleep(0.05)
        if not busy and _cpu_seconds(ds) - cpu < quiet * window:
            return round(time.perf_counter() - began, 1), True
    return round(time.perf_counter() - began, 1), False


def warm(d: Deployment) -> None:
    """A small fit: the state an adapter is in once used (its scientific stack loaded)."""
    httpx.post(
        f"{d.server_url}/fit", content=fit_for_cells(), timeout=120, headers=_JSON
    ).raise_for_status()


UNCOMPARED = frozenset({"date", "content-length", "transfer-encoding"})
Answer = tuple[int, bytes, list[tuple[str, str]]]  # status, body, headers


def answer(d: Deployment) -> Answer:
    """GET /hello's status, body and headers but the date and the framing (a length or
    chunks: Sanic's baselines over ASGI send their body chunked, the adapter with its length):
    what each baseline must match."""
    got = httpx.get(f"{d.server_url}/hello", timeout=30)
    headers = sorted((k, v) for k, v in got.headers.items() if k not in UNCOMPARED)
    return got.status_code, got.content, headers


def hello(d: Deployment, settings: Settings, workdir: Path, seconds: float) -> WrkRun:
    """GET /hello under wrk, with the server's CPU time per request."""
    before = _cpu_seconds([d])
    run = run_wrk(d.server_url, HELLO, seconds, settings.connections, settings.pin, workdir)
    spent = _cpu_seconds([d]) - before
    return replace(run, cpu_us=round(spent / run.requests * 1e6, 1) if run.requests else 0.0)


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
    except FAILURES as exc:
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
            seconds.append(round(d.wait_ready(path="/hello"), 3))
        finally:
            d.stop()
    return ColdStart(framework, server, seconds)


_IMPORT_MARK = "-- the adapter's imports --"
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def import_time(framework: str) -> ImportTime:
    """What ``import <framework>_app.app`` imports (the app created), by ``-X importtime``."""
    module = entrypoint(framework).partition(":")[0]
    # The marker parts the interpreter's own start (site, the editable install's finder) from
    # the adapter's imports.
    code = f"import sys; print({_IMPORT_MARK!r}, file=sys.stderr); import {module}"
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"import {module} failed: {out.stderr.strip()[-300:]}")
    own = module.partition(".")[0]
    by_package: dict[str, float] = {}  # a package's outermost import holds all of it
    total = 0.0
    for line in out.stderr.partition(_IMPORT_MARK)[2].splitlines():
        found = _IMPORT_LINE.match(line)
        if found is None:
            continue
        name, cumulative = found.group(4), int(found.group(2)) / 1000
        root = name.partition(".")[0]
        if name == module:
            total = cumulative
        elif root != own:
            by_package[root] = max(by_package.get(root, 0.0), cumulative)
    top = sorted(by_package.items(), key=lambda kv: -kv[1])[:5]
    return ImportTime(
        framework,
        total_ms=round(total, 1),
        top=[(name, round(ms, 1)) for name, ms in top],
        scientific=[name for name in SCIENTIFIC if name in by_package],
    )


def _coef_digest(answer: httpx.Response) -> str:
    data = answer.json()
    return hashlib.sha256(json.dumps([data["intercept"], data["coef"]]).encode()).hexdigest()


def _off_the_server(pin: bool) -> None:
    """Run the calling thread (a client sending large bodies) on CPU 1, with wrk, not on the
    server's CPU 0; only this thread: processes the bench starts later must not inherit it."""
    if pin:
        os.sched_setaffinity(0, {1})


def loop_health(d: Deployment, settings: Settings, workdir: Path) -> LoopHealth:
    """GET /hello's p99 idle, then while four clients keep posting 20,000 x 50 fits.

    Each client posts again as soon as it is answered, so four fits are in the server for the
    whole busy run; every answer must be 200 with the same coefficients.
    """
    duration = max(settings.duration, 3.0)
    pin = settings.pin
    body = fit_body(*LOOP_FIT)
    idle = run_wrk(d.server_url, HELLO, duration, 4, settings.pin, workdir)
    statuses: list[int] = []
    digests: set[str] = set()
    fit_seconds: list[float] = []
    stop = threading.Event()

    def client() -> None:
        _off_the_server(pin)
        with httpx.Client(timeout=300, headers=_JSON) as http:
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    r = http.post(f"{d.server_url}/fit", content=body)
                except httpx.HTTPError:
                    statuses.append(0)
                    continue
                fit_seconds.append(time.perf_counter() - began)
                statuses.append(r.status_code)
                if r.status_code == 200:
                    digests.add(_coef_digest(r))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the four bodies are on their way
    try:
        busy = run_wrk(d.server_url, HELLO, duration, 4, settings.pin, workdir)
    finally:
        stop.set()
        for t in threads:
            t.join()
    return LoopHealth(
        idle_p99_ms=idle.p99_ms,
        busy_p99_ms=busy.p99_ms,
        ratio=round(busy.p99_ms / max(idle.p99_ms, 1e-9), 1),
        fit_body_mb=round(len(body) / 2**20, 1),
        fit_seconds_max=round(max(fit_seconds, default=0.0), 2),
        fit_statuses=sorted(set(statuses)),
        fits=sum(s == 200 for s in statuses),
        coef_sha256=digests.pop()[:16] if len(digests) == 1 else "",
        busy_requests=busy.requests,
    )


def stall(d: Deployment, pin: bool, seconds: float = 3.0) -> Stall:
    """The longest stall of the loop while four clients post the largest fits the default
    limits accept, then a fresh fit's first GET /plot: ``d`` serves the ticker app."""
    rows = largest_fit(*DEFAULT_LIMITS)
    body = fit_body(rows, 50)
    statuses: list[int] = []
    deadline = 0.0

    def client() -> None:
        _off_the_server(pin)
        with httpx.Client(timeout=120, headers=_JSON) as http:
            while True:  # at least one fit each
                statuses.append(http.post(f"{d.server_url}/fit", content=body).status_code)
                if time.perf_counter() >= deadline:
                    return

    with httpx.Client(timeout=120) as http:
        http.get(f"{d.server_url}/__ticker").raise_for_status()  # from now on
        deadline = time.perf_counter() + seconds
        threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        http.get(f"{d.server_url}/plot").raise_for_status()
        seen = http.get(f"{d.server_url}/__ticker").json()
    return Stall(
        max_ms=seen["max_ms"],
        ticks=seen["ticks"],
        over_10ms=seen["over_10ms"],
        over_50ms=seen["over_50ms"],
        fit_rows=rows,
        fit_body_kb=round(len(body) / 1024, 1),
        fits=len(statuses),
        fit_statuses=sorted(set(statuses)),
    )


def concurrent_sleeps(d: Deployment, settings: Settings, workdir: Path, count: int = 200) -> Sleeps:
    """``count`` GET /async-route?delay=1 at once, from connections opened beforehand."""
    return run_once(f"{d.server_url}/async-route?delay=1", count, settings.pin, workdir)


def plot_timing(d: Deployment) -> PlotTiming:
    """GET /plot after a 10,000-row fit: the first (drawn) and repeated (cached) answers."""
    with httpx.Client(timeout=120) as client:
        client.post(
            f"{d.server_url}/fit", content=fit_body(PLOT_ROWS, 5), headers=_JSON
        ).raise_for_status()
        times, pngs = [], []
        for _ in range(6):
            began = time.perf_counter()
            answer = client.get(f"{d.server_url}/plot")
            times.append((time.perf_counter() - began) * 1000)
            answer.raise_for_status()
            pngs.append(answer.content)
    return PlotTiming(
        first_ms=round(times[0], 1),
        cached_median_ms=round(statistics.median(times[1:]), 2),
        png_sha256=hashlib.sha256(pngs[0]).hexdigest()[:16],
        png_bytes=len(pngs[0]),
        same_bytes_repeated=len(set(pngs)) == 1,
    )


def worker_rss_mb(d: Deployment, workers: int) -> tuple[float, float]:
    """The average resident memory of the ``workers`` largest processes (the workers; the rest
    supervise), and that of every process of the server."""
    import psutil

    sizes = []
    for proc in _processes([d]):
        try:
            sizes.append(proc.memory_info().rss)
        except psutil.NoSuchProcess:
            continue
    largest = sorted(sizes, reverse=True)[:workers]
    mb = 2**20
    return round(sum(largest) / max(len(largest), 1) / mb, 1), round(sum(sizes) / mb, 1)


def scaling(
    frameworks: list[str], server: str, settings: Settings, workdir: Path, rounds: int = 2
) -> list[Scaling]:
    """Each adapter with one worker and with two, nothing pinned (two workers need both cores)
    and wrk on the same cores: what a second worker buys on this machine. All of a server's
    run side by side; once they idle, rounds alternate over them, forwards then backwards."""
    pairs = {
        f: (
            deployment("adapter", f, server, workdir, False),
            deployment("adapter", f, server, workdir, False, workers=2),
        )
        for f in frameworks
    }
    every = [d for pair in pairs.values() for d in pair]
    errors: dict[str, str] = {}
    runs: dict[Deployment, list[float]] = {d: [] for d in every}
    try:
        for d in every:
            d.start()
        for f, pair in pairs.items():
            try:
                for d in pair:
                    d.wait_ready(path="/hello", timeout=90)
            except RuntimeError as exc:
                errors[f] = str(exc).splitlines()[0][:200]
        live = [d for f, pair in pairs.items() if f not in errors for d in pair]
        settle(live, timeout=90)
        for d in live:  # warm-up load
            run_wrk(d.server_url, HELLO, 1, settings.connections, False, workdir)
        for r in range(rounds):
            for d in live if r % 2 == 0 else live[::-1]:
                got = run_wrk(
                    d.server_url, HELLO, settings.duration, settings.connections, False, workdir
                )
                runs[d].append(got.rps)
        out = []
        for f, (one, two) in pairs.items():
            if f in errors:
                out.append(Scaling(f, server, 0, 0, 0, 0, 0, error=errors[f]))
                continue
            rss_1, _ = worker_rss_mb(one, 1)
            rss_2, total_2 = worker_rss_mb(two, 2)
            out.append(
                Scaling(
                    f,
                    server,
                    rps_1=round(statistics.median(runs[one])),
                    rps_2=round(statistics.median(runs[two])),
                    rss_worker_mb_1=rss_1,
                    rss_worker_mb_2=rss_2,
                    rss_total_mb_2=total_2,
                )
            )
        return out
    except FAILURES as exc:
        error = str(exc).splitlines()[0][:200]
        return [Scaling(f, server, 0, 0, 0, 0, 0, error=error) for f in frameworks]
    finally:
        for d in every:
            d.stop()


_FRAME = re.compile(
    r'<title>(.+?) \([\d,]+ samples?, [\d.]+%\)</title><rect [^>]*?y="(\d+)"[^>]*?'
    r'fg:x="(\d+)" fg:w="(\d+)"'
)
_LINE = re.compile(r":\d+\)$")


def top_frames(svg: Path, count: int = 10) -> list[tuple[str, float]]:
    """The functions of a py-spy flame graph with the most samples of their own (not in a
    function they call), as % of all samples; a function's lines are added together."""
    import html

    frames = [
        (html.unescape(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)))
        for m in _FRAME.finditer(svg.read_text(errors="replace"))
    ]
    if not frames:
        return []
    total = max(w for _, _, _, w in frames)
    below: dict[int, list[tuple[int, int]]] = {}  # depth (y) -> (x, w) of its frames
    for _, y, x, w in frames:
        below.setdefault(y, []).append((x, w))
    levels = sorted(below)
    step = levels[1] - levels[0] if len(levels) > 1 else 0
    root_y = next(y for _, y, _, w in frames if w == total)
    step = step if root_y == levels[0] else -step  # the root on top (icicle) or at the bottom
    own: dict[str, int] = {}
    for name, y, x, w in frames:
        inner = sum(cw for cx, cw in below.get(y + step, []) if x <= cx < x + w)
        key = _LINE.sub(")", name)
        own[key] = own.get(key, 0) + w - inner
    ranked = sorted(own.items(), key=lambda kv: -kv[1])[:count]
    return [(name, round(100 * n / total, 1)) for name, n in ranked if n > 0]


def profile(
    framework: str,
    server: str,
    settings: Settings,
    out: Path,
    workdir: Path,
    seconds: float = 5.0,
) -> Profile:
    """py-spy flame graphs of the adapter and the bare app on ``server``, each under the same
    wrk load (server on CPU 0; wrk and py-spy on CPU 1 when pinned)."""
    folder = out / "flame"
    folder.mkdir(parents=True, exist_ok=True)
    pair = {
        kind: deployment(kind, framework, server, workdir, settings.pin)
        for kind in ("adapter", "bare")
    }
    rps: dict[str, float] = {}
    svgs: dict[str, Path] = {}
    try:
        for d in pair.values():
            d.start()
        for d in pair.values():
            d.wait_ready(path="/hello")
        warm(pair["adapter"])
        settle(list(pair.values()))
        for kind, d in pair.items():
            assert d.proc is not None
            hello(d, settings, workdir, 1)
            where = "" if server == "uvicorn" else f"-{server}"
            svgs[kind] = folder / f"{framework}{where}-{kind}.svg"
            spy = [_py_spy(), "record", "--nonblocking", "--rate", "200", "-p", str(d.proc.pid)]
            spy += ["-d", str(round(seconds)), "-o", str(svgs[kind]), "-f", "flamegraph"]
            if settings.pin:
                spy = ["taskset", "-c", "1", *spy]
            recorder = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            rps[kind] = hello(d, settings, workdir, seconds + 1).rps
            _, err = recorder.communicate(timeout=60)
            if recorder.returncode != 0:
                raise RuntimeError(f"py-spy failed: {err.decode(errors='replace').strip()[-300:]}")
        return Profile(
            framework,
            server,
            adapter_svg=str(svgs["adapter"].relative_to(out)),
            bare_svg=str(svgs["bare"].relative_to(out)),
            adapter_rps=rps["adapter"],
            bare_rps=rps["bare"],
            top_adapter=top_frames(svgs["adapter"]),
            top_bare=top_frames(svgs["bare"]),
        )
    except FAILURES as exc:
        return Profile(framework, server, "", "", 0, 0, [], [], str(exc).splitlines()[0][:200])
    finally:
        for d in pair.values():
            d.stop()


def _py_spy() -> str:
    import shutil

    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed: pip install py-spy (the dev extra)")
    return found
