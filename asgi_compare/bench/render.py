"""A bench run written out: ``results.md``, ``results.json`` and a chart per endpoint."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asgi_compare.bench.endpoints import ENDPOINTS, ROUNDS
from asgi_compare.bench.load import wrk_version
from asgi_compare.bench.results import Results
from asgi_compare.harness import installed_versions


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
    return {**installed_versions("uvloop", "httptools", "pydantic"), "wrk": wrk_version()}


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
                    f"error: {c.error} | | | |"
                    if c.error
                    else f"{c.rps:,.0f} | {c.p50_ms:.2f} | {c.p99_ms:.2f} | {c.non_2xx} | "
                    f"{c.peak_rss_mb}"
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
        for cold in results.cold_start:
            lines.append(
                f"| {cold.framework}/{cold.server} | {cold.median:.2f} | "
                + ", ".join(f"{t:.2f}" for t in cold.seconds)
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
        for framework, loop in results.loop.items():
            lines.append(
                f"| {framework} | {loop.idle_p99_ms:.2f} | {loop.busy_p99_ms:.2f} | "
                f"{loop.ratio} | {loop.fit_body_mb} | {loop.fit_seconds_max} | "
                f"{loop.fit_statuses} |"
            )
        lines.append("")
    if results.sleeps:
        lines += [
            "## 200 concurrent GET /async-route?delay=1 on uvicorn",
            "",
            "| framework | wall s | 200 OK |",
            "|---|---|---|",
        ]
        for framework, sleeps in results.sleeps.items():
            lines.append(f"| {framework} | {sleeps.wall_seconds} | {sleeps.ok} |")
        lines.append("")
    if results.plot:
        lines += [
            "## GET /plot after a 10,000-row fit, on uvicorn",
            "",
            "| framework | first (drawn) ms | repeated (cached) median ms |",
            "|---|---|---|",
        ]
        for framework, plot in results.plot.items():
            lines.append(f"| {framework} | {plot.first_ms} | {plot.cached_median_ms} |")
        lines.append("")
    return "\n".join(lines)


def render_json(results: Results, command_line: str) -> dict[str, Any]:
    return {
        "command": command_line,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "settings": asdict(results.settings),
        "seconds": results.seconds,
        "cells": [asdict(c) for c in results.cells],
        "cold_start": {f"{c.framework}/{c.server}": c.seconds for c in results.cold_start},
        "loop": {framework: asdict(got) for framework, got in results.loop.items()},
        "async_route": {framework: asdict(got) for framework, got in results.sleeps.items()},
        "plot": {framework: asdict(got) for framework, got in results.plot.items()},
    }


def render_charts(results: Results, folder: Path) -> list[Path]:
    """A bar chart of the adapters' requests per second, one per endpoint."""
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
    data = render_json(results, command_line)
    (folder / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    render_charts(results, folder / "charts")
