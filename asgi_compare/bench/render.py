"""A bench run written out: ``results.md``, ``results.json`` and a chart per endpoint."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asgi_compare.bench.endpoints import ENDPOINTS, IDLE, IDLE_WEBSOCKETS, LIVE
from asgi_compare.bench.load import wrk_version
from asgi_compare.bench.results import IdleSockets, Results
from asgi_compare.bench.run import BASELINES, WARM_LIVE
from asgi_compare.bench_apps import summary
from asgi_compare.harness import installed_versions
from asgi_compare.live_load import OPENING


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
    try:
        extra = installed_versions("uvloop", "httptools", "pydantic", "websockets", "py-spy")
    except Exception:  # py-spy: only --profile needs it
        extra = installed_versions("uvloop", "httptools", "pydantic", "websockets")
    return {**extra, "wrk": wrk_version()}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if a and b else "n/a"


# The goals the figures are read against (docs/benchmarks.md); reported, never asserted.
RATIO_GOAL = 0.95
LOOP_GOAL = 3.0  # busy p99 / idle p99
SLEEPS_GOAL_MS = 1100.0
PLOT_FIRST_GOAL_MS = 150.0
PLOT_REPEATED_GOAL_MS = 2.0
COLD_GOAL_S = 0.5


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _against_plain(ratio: float, plain_rps: float) -> str:
    """A ratio against plain, or n/a where no plain baseline was measured."""
    return f"{ratio:.2f}" if plain_rps else "n/a"


def _libraries(results: Results) -> list[str]:
    """Bare against plain on GET /hello: what each framework's libraries and structure, as the
    adapter uses them, cost a request against the same framework without them."""
    ratios = [r for r in results.ratios if r.plain_rps]
    if not ratios:
        return []
    lines = [
        "## GET /hello: what each framework's libraries and structure cost (bare against plain)",
        "",
        "Bare is the adapter without core: its router or blueprint, its validation library "
        "attached where it has one, a pydantic model answered. Plain is the same framework "
        "without them. Bare / plain is what a user of those libraries pays a request before "
        "any code of their own; CPU µs, bare - plain: the same cost in the server's CPU time a "
        "request (the medians' difference).",
        "",
        "| framework | server | plain req/s | bare req/s | bare / plain | rounds | adapter / "
        "plain | CPU µs a request, plain | bare | bare - plain | same answer |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in ratios:
        lines.append(
            f"| {r.framework} | {r.server} | {r.plain_rps:,.0f} | {r.bare_rps:,.0f} | "
            f"**{r.bare_plain:.2f}** | {', '.join(f'{x:.2f}' for x in r.bare_plain_rounds)} | "
            f"{r.plain_ratio:.2f} | {r.plain_cpu_us:.0f} | {r.bare_cpu_us:.0f} | "
            f"{r.bare_cpu_us - r.plain_cpu_us:+.0f} | {_yes(r.plain_same_answer)} |"
        )
    lines.append("")
    for framework in dict.fromkeys(r.framework for r in ratios):
        for kind in BASELINES[::-1]:
            lines.append(f"- {framework}, {kind}: " + summary(framework, kind).replace("``", "`"))
    lines.append("")
    return lines


def _span(values: list[float], fmt: str = "{:.2f}") -> str:
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)} to {fmt.format(hi)}"


def goals(results: Results) -> list[tuple[str, str, str]]:
    """Goal, measured, met? for every goal the run measured."""
    rows: list[tuple[str, str, str]] = []
    if results.ratios:
        by_fw: dict[str, list[float]] = {}
        for r in results.ratios:
            by_fw.setdefault(r.framework, []).append(r.ratio)
        low = [f for f, v in by_fw.items() if min(v) < RATIO_GOAL]
        rows.append(
            (
                f"adapter / bare on GET /hello >= {RATIO_GOAL} on every server",
                "; ".join(f"{f} {_span(v)}" for f, v in by_fw.items()),
                _yes(not low) + (f": {', '.join(low)} below" if low else ""),
            )
        )
    if results.loop:
        coefs = {lh.coef_sha256 for lh in results.loop.values()}
        fits_ok = all(lh.fit_statuses == [200] and lh.fits > 0 for lh in results.loop.values())
        same = len(coefs) == 1 and "" not in coefs
        over = [f for f, lh in results.loop.items() if lh.ratio > LOOP_GOAL]
        rows.append(
            (
                f"/hello p99 while four clients post 20,000 x 50 fits <= {LOOP_GOAL:g}x idle; "
                "every fit 200, same coefficients",
                "; ".join(f"{f} {lh.ratio}x" for f, lh in results.loop.items())
                + f"; fits all 200: {'yes' if fits_ok else 'no'}; coefficients identical on "
                f"every fit and adapter: {'yes' if same else 'no'}",
                _yes(not over and fits_ok and same) + (f": {', '.join(over)} over" if over else ""),
            )
        )
    if results.stall:
        rows.append(
            (
                "longest stall of the loop at the default limits (reported)",
                "; ".join(f"{f} {st.max_ms} ms" for f, st in results.stall.items()),
                "n/a",
            )
        )
    if results.sleeps:
        slow = [
            f
            for f, sl in results.sleeps.items()
            if sl.answered < sl.requests or sl.max_ms > SLEEPS_GOAL_MS
        ]
        rows.append(
            (
                f"200 concurrent /async-route?delay=1 all answered within {SLEEPS_GOAL_MS:,.0f} ms",
                "; ".join(
                    f"{f} {sl.answered}/{sl.requests} in {sl.max_ms:,.0f} ms"
                    for f, sl in results.sleeps.items()
                ),
                _yes(not slow) + (f": {', '.join(slow)} not" if slow else ""),
            )
        )
    if results.plot:
        plots = results.plot
        first = [f for f, p in plots.items() if p.first_ms > PLOT_FIRST_GOAL_MS]
        repeated = [f for f, p in plots.items() if p.cached_median_ms > PLOT_REPEATED_GOAL_MS]
        hashes = {p.png_sha256 for p in plots.values()}
        same = len(hashes) == 1 and all(p.same_bytes_repeated for p in plots.values())
        rows += [
            (
                f"first GET /plot after a 10,000-row fit <= {PLOT_FIRST_GOAL_MS:g} ms",
                "; ".join(f"{f} {p.first_ms} ms" for f, p in plots.items()),
                _yes(not first) + (f": {', '.join(first)} over" if first else ""),
            ),
            (
                f"repeated GET /plot <= {PLOT_REPEATED_GOAL_MS:g} ms",
                "; ".join(f"{f} {p.cached_median_ms} ms" for f, p in plots.items()),
                _yes(not repeated) + (f": {', '.join(repeated)} over" if repeated else ""),
            ),
            (
                "same PNG bytes for the same fit on every adapter",
                "sha256 " + ", ".join(sorted(h for h in hashes)),
                _yes(same),
            ),
        ]
    if results.cold_start:
        slow = [c.framework for c in results.cold_start if c.median > COLD_GOAL_S]
        rows.append(
            (
                f"cold start to the first 200 on uvicorn <= {COLD_GOAL_S} s (median)",
                "; ".join(f"{c.framework} {c.median:.2f} s" for c in results.cold_start),
                _yes(not slow) + (f": {', '.join(slow)} over" if slow else ""),
            )
        )
    if results.live_ratios:
        by_load: dict[str, list[float]] = {}
        for lr in results.live_ratios:
            by_load.setdefault(lr.measure, []).append(lr.ratio)
        rows.append(
            (
                "live routes, adapter / bare (reported)",
                "; ".join(f"{name} {_span(v)}" for name, v in by_load.items()),
                "n/a",
            )
        )
    idle = [i for i in results.idle if not i.error and i.app == "adapter"]
    if idle:
        rows.append(
            (
                f"resident memory a WebSocket, {IDLE_WEBSOCKETS:,} idle, adapters (reported)",
                _span([i.kb_per_socket for i in idle], "{:.1f}") + " KB",
                "n/a",
            )
        )
    if results.scaling:
        ok = [sc for sc in results.scaling if not sc.error]
        rows.append(
            (
                "2 workers against 1, and RSS per worker (reported)",
                (
                    f"x{_span([sc.gain for sc in ok])} requests/s; "
                    f"{_span([sc.rss_worker_mb_2 for sc in ok], '{:.0f}')} MB a worker"
                    if ok
                    else "errors"
                ),
                "n/a",
            )
        )
    return rows


def _cells_intro(results: Results) -> str:
    """How the HTTP cells were measured."""
    s = results.settings
    settled = _settled(results, live=False)
    return (
        f"Each cell: one worker{' pinned to CPU 0, wrk pinned to CPU 1' if s.pin else ''}; "
        f"`wrk -t1 -c{s.connections} -d{s.duration:g}s --latency`. Every app of a server is "
        "started at once; each adapter answers one small POST /fit (its scientific stack "
        "loaded, as in use); then the bench waits until the servers idle: for 0.5 s no thread "
        "of theirs runs or waits for a core, and they use under 5% of one (from start to "
        f"idle: {settled}). Each app then gets 1 s of load. Each framework has two "
        "baselines with only GET /hello (`asgi_compare/bench_apps/`): bare, built with the "
        "adapter's libraries and structure, so that adapter / bare is what core and the "
        "contract cost; and plain, the framework alone, so that bare / plain is what those "
        f"libraries and that structure cost. GET /hello is then measured in {s.rounds} rounds "
        "over every app, forwards and backwards in turn, so an adapter and its bare app run one "
        "right after the other, its plain app in the same rounds; the tables show each app's "
        "median, and every ratio between two apps is the median of the rounds' ratios. CPU µs "
        "a request: the server's CPU time over the requests it answered in a round (median), a "
        "second reading of the same ratio that a busy machine disturbs less. Other endpoints: "
        "one run each. Same answer: the adapter's GET /hello and the baseline's have the same "
        "status, body and headers (but the date, and a length or chunks), byte for byte. RSS is "
        "the server's peak resident memory over its whole life."
    )


def _live_intro(results: Results) -> str:
    """How the live routes were measured."""
    s = results.settings
    loads = "; ".join(f"{name}: {load.what}" for name, load in LIVE.items())
    return (
        "The live routes: every app of a server with them (the raw app, and each framework's "
        "bare app and adapter) is started at once, one worker each"
        f"{', pinned to CPU 0' if s.pin else ''}; the load generator "
        f"(`asgi_compare/live_load.py`, the `websockets` library's asyncio client on uvloop, "
        f"and httpx for the stream) is a process of its own{' on CPU 1' if s.pin else ''}. "
        f"Once the servers idle (from start to idle: {_settled(results, live=True)}), each "
        f"app gets {WARM_LIVE:g} s of each load; then each load runs "
        f"{s.rounds} times per app for {s.duration:g} s, over every app forwards and backwards "
        f"in turn, as GET /hello's rounds ({loads}). Echo: every WebSocket is open (handshake, "
        "hello read) before the clock starts; each sends a text, waits for its echo, and sends "
        "again; every echo is checked. Events: one connection, each stream read to its end "
        "and its events counted. Cores: the CPU time the server and the load generator spent "
        "over the measured span, in cores (1.00: one core busy the whole time), so a row "
        "shows which side was the limit. Same answer: the bare app and the adapter select the "
        "same subprotocol, echo a text and a binary message alike, and answer GET "
        "/events?count=3&interval=0 with the same status, headers (but the date and framing) "
        "and body; the hello differs (bare's has no about). "
        f"Idle: {IDLE}, each past its "
        f"handshake and hello, opened {OPENING} at a time by the load generator, one app after the "
        "other; the server's resident memory (every process of it) once it idled with them "
        "open, against once it idled before."
    )


def _live(results: Results) -> list[str]:
    """The live routes' tables: each load adapter against bare and raw, the load generator's
    ceiling against the raw app, and memory with idle WebSockets."""
    lines: list[str] = []
    if results.live_ratios:
        lines += [
            "## The live routes: adapter against bare and the raw ASGI app",
            "",
            "![adapter / bare on the live routes](charts/live-ratio.png)",
            "",
        ]
    for name, load in LIVE.items():
        ratios = [lr for lr in results.live_ratios if lr.measure == name]
        if not ratios:
            continue
        unit = load.unit
        lines += [
            f"### {name}: {load.what}",
            "",
            f"| framework | server | adapter {unit}/s | bare {unit}/s | raw {unit}/s | adapter "
            "/ bare | rounds | adapter / raw | CPU µs each, adapter | bare | bare / adapter CPU "
            "| same answer |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for lr in ratios:
            raw = f"{lr.raw_rate:,.0f}" if lr.raw_rate else "n/a"
            lines.append(
                f"| {lr.framework} | {lr.server} | {lr.adapter_rate:,.0f} | {lr.bare_rate:,.0f} "
                f"| {raw} | **{lr.ratio:.2f}** | {', '.join(f'{x:.2f}' for x in lr.rounds)} | "
                f"{_ratio(lr.adapter_rate, lr.raw_rate)} | {lr.adapter_cpu_us:,.0f} | "
                f"{lr.bare_cpu_us:,.0f} | {lr.cpu_ratio:.2f} | {_yes(lr.same_answer)} |"
            )
        lines.append("")
    lines += _limits(results)
    if results.idle:
        lines += _idle(results)
    failed = [c for c in results.live if c.error or c.run.errors]
    failed_idle = [i for i in results.idle if i.error]
    if failed or failed_idle:
        lines += ["### Failures", ""]
        lines += [
            f"- {c.app} {c.framework or '-'} on {c.server}, {c.measure}: "
            + (c.error or f"{c.run.errors} wrong answers")
            for c in failed
        ]
        lines += [
            f"- {i.app} {i.framework or '-'} on {i.server}, idle: {i.error}" for i in failed_idle
        ]
        lines.append("")
    return lines


def _limits(results: Results) -> list[str]:
    """Each app's rate on each live load with the cores the server and the load generator
    kept busy: the raw app's rows are the load generator's ceiling."""
    loads = [name for name in LIVE if any(c.measure == name for c in results.live)]
    by = {(c.app, c.framework, c.server, c.measure): c for c in results.live}
    apps = list(dict.fromkeys((c.server, c.app, c.framework) for c in results.live))
    if not apps:
        return []
    lines = [
        "### Where the limit was: cores busy during each load",
        "",
        "Each app's rate with the cores the server and the load generator kept busy over the "
        "measured span (medians of the rounds). The raw app's rows are the load generator's "
        "ceiling: where its client column is near 1.00, the client was the limit, and an app "
        "that reaches that rate is held by the client too.",
        "",
        "| server | app | framework | "
        + " | ".join(f"{name} /s | server | client" for name in loads)
        + " |",
        "|---|---|---|" + "---|---|---|" * len(loads),
    ]
    for server, app, framework in apps:
        row = []
        for name in loads:
            c = by.get((app, framework, server, name))
            if c is None or c.error:
                row.append("error | | " if c else "n/a | | ")
            else:
                row.append(f"{c.run.rate:,.0f} | {c.run.server_cpu:.2f} | {c.run.client_cpu:.2f}")
        lines.append(f"| {server} | {app} | {framework or '-'} | " + " | ".join(row) + " |")
    lines.append("")
    return lines


def _idle(results: Results) -> list[str]:
    """Memory with idle WebSockets, per framework and server: adapter, bare and raw."""
    by = {(i.app, i.framework, i.server): i for i in results.idle}
    raw = {i.server: i for i in results.idle if i.app == "raw"}

    def kb(i: IdleSockets | None) -> str:
        if i is None:
            return "n/a"
        return f"error: {i.error}" if i.error else f"{i.kb_per_socket:.1f}"

    lines = [
        f"### Resident memory with {IDLE_WEBSOCKETS:,} idle WebSockets",
        "",
        "| framework | server | KB a WebSocket, adapter | bare | raw | adapter - bare | "
        "adapter MB before | + MB open | bare MB before | + MB open | opened (adapter, bare) "
        "| s to open them (adapter, bare) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    pairs = dict.fromkeys((i.framework, i.server) for i in results.idle if i.app != "raw")
    for framework, server in pairs:
        a, b = by.get(("adapter", framework, server)), by.get(("bare", framework, server))
        both = a is not None and b is not None and not a.error and not b.error
        diff = f"{a.kb_per_socket - b.kb_per_socket:+.1f}" if both and a and b else "n/a"

        def mb(i: IdleSockets | None) -> str:
            ok = i is not None and not i.error
            return f"{i.rss_before_mb} | +{i.delta_mb}" if ok and i else "n/a | n/a"

        opened = ", ".join(str(i.opened) if i else "n/a" for i in (a, b))
        seconds = ", ".join(f"{i.open_seconds:.1f}" if i else "n/a" for i in (a, b))
        lines.append(
            f"| {framework} | {server} | **{kb(a)}** | {kb(b)} | {kb(raw.get(server))} | {diff} | "
            f"{mb(a)} | {mb(b)} | {opened} | {seconds} |"
        )
    lines.append("")
    return lines


def _settled(results: Results, live: bool) -> str:
    """How long each server group took to idle, of the HTTP cells or of the live routes."""
    return (
        ", ".join(
            f"{x.server} {x.seconds} s" + ("" if x.steady else " (still busy: measured anyway)")
            for x in results.settled
            if x.live == live
        )
        or "n/a"
    )


def render_markdown(results: Results, command_line: str) -> str:
    s = results.settings
    lines = [
        "# Benchmark results",
        "",
        f"`{command_line}`, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, {results.seconds:.0f} s.",
        "",
        f"Machine: {json.dumps(machine())}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in versions().items())
        + ".",
        "",
    ]
    if results.cells:
        lines += [_cells_intro(results), ""]
    if results.live or results.idle:
        lines += [_live_intro(results), ""]
    rows = goals(results)
    if rows:
        lines += ["## Goals", "", "| goal | measured | met? |", "|---|---|---|"]
        lines += [f"| {g} | {m} | {ok} |" for g, m, ok in rows]
        lines.append("")
    if results.ratios:
        lines += [
            "## GET /hello: adapter against its baselines and the raw ASGI limit",
            "",
            "![adapter / bare and adapter / plain](charts/hello-ratio.png)",
            "",
            "| framework | server | adapter req/s | bare req/s | raw req/s | adapter / bare "
            "| rounds | adapter / plain | adapter / raw | bare / raw | CPU µs a request, adapter "
            "| bare | bare / adapter CPU | same answer |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results.ratios:
            raw = f"{r.raw_rps:,.0f}" if r.raw_rps else "n/a"
            lines.append(
                f"| {r.framework} | {r.server} | {r.adapter_rps:,.0f} | {r.bare_rps:,.0f} | "
                f"{raw} | **{r.ratio:.2f}** | {', '.join(f'{x:.2f}' for x in r.rounds)} | "
                f"{_against_plain(r.plain_ratio, r.plain_rps)} | "
                f"{_ratio(r.adapter_rps, r.raw_rps)} | {_ratio(r.bare_rps, r.raw_rps)} | "
                f"{r.adapter_cpu_us:.0f} | {r.bare_cpu_us:.0f} | {r.cpu_ratio:.2f} | "
                f"{'yes' if r.same_answer else '**no**'} |"
            )
        lines.append("")
        lines += _libraries(results)
    measured = [n for n in s.endpoints if any(c.endpoint == n for c in results.cells)]
    if measured:
        lines += ["## Every endpoint (adapters)", ""]
    for name in measured:
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
    lines += _live(results)
    if results.cold_start:
        lines += [
            "## Cold start: process spawn to the first 200 on /hello",
            "",
            "| adapter/server | median s | all |",
            "|---|---|---|",
        ]
        for cold in results.cold_start:
            lines.append(
                f"| {cold.framework}/{cold.server} | {cold.median:.3f} | "
                + ", ".join(f"{t:.3f}" for t in cold.seconds)
                + " |"
            )
        lines.append("")
    if results.imports:
        lines += [
            '## Imports at start: `python -X importtime -c "import <framework>_app.app"`',
            "",
            "Cumulative milliseconds of the adapter module (its app created) and of the five "
            "largest packages it imports (each at its outermost import, so a package's count "
            "includes what it imports in turn). One run, not pinned.",
            "",
            "| framework | total ms | largest packages, cumulative ms | scientific stack at "
            "start |",
            "|---|---|---|---|",
        ]
        for framework, imp in results.imports.items():
            lines.append(
                f"| {framework} | {imp.total_ms:.0f} | "
                + ", ".join(f"{name} {ms:.0f}" for name, ms in imp.top)
                + f" | {', '.join(imp.scientific) or 'none'} |"
            )
        lines.append("")
    if results.loop:
        lines += [
            "## Event-loop health on uvicorn: GET /hello p99 while four clients keep posting "
            "20,000 x 50 fits",
            "",
            "`wrk -t1 -c4` on GET /hello, idle, then while four clients each post the fit again "
            "as soon as it is answered (limits raised with ASGI_COMPARE_MAX_BODY_BYTES and "
            "ASGI_COMPARE_MAX_CELLS). Coefficients: a hash of every answer's intercept and "
            "coefficients; one value means every fit answered the same.",
            "",
            "| framework | idle p99 ms | busy p99 ms | busy / idle | /hello answered busy | "
            "fits answered | fit statuses | slowest fit s | fit body MB | coefficients |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for framework, loop in results.loop.items():
            lines.append(
                f"| {framework} | {loop.idle_p99_ms:.2f} | {loop.busy_p99_ms:.2f} | "
                f"**{loop.ratio}** | {loop.busy_requests:,} | {loop.fits} | {loop.fit_statuses} "
                f"| {loop.fit_seconds_max} | {loop.fit_body_mb} | "
                f"{loop.coef_sha256 or 'differ'} |"
            )
        lines.append("")
    if results.stall:
        lines += [
            "## The longest stall of the event loop, at the default limits, on uvicorn",
            "",
            "A task on the server's loop sleeps 2 ms again and again "
            "(`asgi_compare/bench_apps/ticker.py`); how late it wakes is how long the loop was "
            "held. Load: four clients posting the largest fit the default limits accept for "
            "3 s, then the first GET /plot of the last fit.",
            "",
            "| framework | longest stall ms | stalls over 10 ms | over 50 ms | ticks | fit "
            "rows x 50 | fit body KB | fits | fit statuses |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for framework, st in results.stall.items():
            lines.append(
                f"| {framework} | **{st.max_ms}** | {st.over_10ms} | {st.over_50ms} | "
                f"{st.ticks:,} | {st.fit_rows:,} | {st.fit_body_kb} | {st.fits} | "
                f"{st.fit_statuses} |"
            )
        lines.append("")
    if results.sleeps:
        lines += [
            "## 200 concurrent GET /async-route?delay=1 on uvicorn",
            "",
            "`wrk -t1 -c200` with a Lua script that stops at the 200th answer: wrk opens its "
            "200 connections first and times each request from its own send, so the slowest "
            "answer is the server's time. Each request sleeps 1,000 ms.",
            "",
            "| framework | answered | slowest answer ms | errors |",
            "|---|---|---|---|",
        ]
        for framework, sleeps in results.sleeps.items():
            lines.append(
                f"| {framework} | {sleeps.answered}/{sleeps.requests} | **{sleeps.max_ms:,.1f}**"
                f" | {sleeps.errors} |"
            )
        lines.append("")
    if results.plot:
        lines += [
            "## GET /plot after a 10,000-row fit, on uvicorn",
            "",
            "| framework | first (drawn) ms | repeated median ms | PNG sha256 (first 16) | "
            "PNG bytes | repeated same bytes |",
            "|---|---|---|---|---|---|",
        ]
        for framework, plot in results.plot.items():
            lines.append(
                f"| {framework} | **{plot.first_ms}** | {plot.cached_median_ms} | "
                f"`{plot.png_sha256}` | {plot.png_bytes:,} | {_yes(plot.same_bytes_repeated)} |"
            )
        lines.append("")
    if results.scaling:
        lines += [
            "## One worker against two",
            "",
            "![scaling](charts/scaling.png)",
            "",
            "Two workers cannot share one core, so here nothing is pinned: the server (one "
            "worker, or two) and wrk share both cores. Every adapter of a server runs with one "
            "worker and with two, all side by side; once they idle, GET /hello goes over them "
            f"forwards, then backwards, `wrk -t1 -c{s.connections} -d{s.duration:g}s`, median "
            "of the 2 runs. RSS: each "
            "worker's resident memory after the load (the largest processes of the server; "
            "the rest supervise), and the whole two-worker server's. Sanic's own server runs "
            "in its multi-process mode here, for one worker as for two.",
            "",
            "| framework | server | 1 worker req/s | 2 workers req/s | 2 / 1 | RSS per worker "
            "MB, 1 | RSS per worker MB, 2 | RSS total MB, 2 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for sc in results.scaling:
            lines.append(
                f"| {sc.framework} | {sc.server} | "
                + (
                    f"error: {sc.error} | | | | | |"
                    if sc.error
                    else f"{sc.rps_1:,.0f} | {sc.rps_2:,.0f} | **{sc.gain:.2f}** | "
                    f"{sc.rss_worker_mb_1} | {sc.rss_worker_mb_2} | {sc.rss_total_mb_2} |"
                )
            )
        lines.append("")
    if results.profiles:
        lines += [
            "## Flame graphs: adapter and bare under the same load",
            "",
            "`py-spy record --nonblocking --rate 200` for 5 s of each server process (CPU 0) under "
            f"`wrk -t1 -c{s.connections}` (CPU 1). The functions with the most samples of their "
            "own, as % of the process's samples; the frame that runs the loop (`Runner.run`, "
            "or Sanic's `_run_server_forever`) holds the samples in uvloop's native code "
            "(sockets, the loop itself), which py-spy does not see into.",
            "",
        ]
        for pr in results.profiles:
            if pr.error:
                lines += [f"- {pr.framework}: error: {pr.error}", ""]
                continue
            lines += [
                f"### {pr.framework} on {pr.server}: [adapter]({pr.adapter_svg}) "
                f"{pr.adapter_rps:,.0f} req/s, "
                f"[bare]({pr.bare_svg}) {pr.bare_rps:,.0f} req/s",
                "",
                "| adapter | % | bare | % |",
                "|---|---|---|---|",
            ]
            for i in range(max(len(pr.top_adapter), len(pr.top_bare))):
                a = pr.top_adapter[i] if i < len(pr.top_adapter) else ("", 0.0)
                b = pr.top_bare[i] if i < len(pr.top_bare) else ("", 0.0)
                lines.append(
                    f"| `{a[0]}` | {a[1] or ''} | `{b[0]}` | {b[1] or ''} |".replace("``", "")
                )
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
        "goals": [
            {"goal": g, "measured": m, "met": ok.replace("*", "")} for g, m, ok in goals(results)
        ],
        "ratios": [asdict(r) for r in results.ratios],
        "settled": [asdict(x) for x in results.settled],
        "cold_start": {f"{c.framework}/{c.server}": c.seconds for c in results.cold_start},
        "imports": {framework: asdict(got) for framework, got in results.imports.items()},
        "loop": {framework: asdict(got) for framework, got in results.loop.items()},
        "stall": {framework: asdict(got) for framework, got in results.stall.items()},
        "async_route": {framework: asdict(got) for framework, got in results.sleeps.items()},
        "plot": {framework: asdict(got) for framework, got in results.plot.items()},
        "scaling": [{**asdict(sc), "gain": round(sc.gain, 2)} for sc in results.scaling],
        "profiles": [asdict(pr) for pr in results.profiles],
        "live": [asdict(c) for c in results.live],
        "live_ratios": [asdict(lr) for lr in results.live_ratios],
        "idle": [asdict(i) for i in results.idle],
    }


def render_charts(results: Results, folder: Path) -> list[Path]:
    """A bar chart of the adapters' requests per second per endpoint, adapter / bare and
    adapter / plain, and one worker against two."""
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
    if results.ratios:
        written.append(_ratio_chart(results, folder, Figure, FigureCanvasAgg))
    if any(not sc.error for sc in results.scaling):
        written.append(_scaling_chart(results, folder, Figure, FigureCanvasAgg))
    if results.live_ratios:
        written.append(_live_chart(results, folder, Figure, FigureCanvasAgg))
    return written


def _ratio_chart(results: Results, folder: Path, figure: Any, canvas: Any) -> Path:
    """Adapter / bare and adapter / plain per framework and server, with the goal's line."""
    ratios = results.ratios
    fig = figure(figsize=(8, 0.5 * len(ratios) + 1.8), dpi=100)
    canvas(fig)
    ax = fig.add_subplot()
    y = list(range(len(ratios)))
    ax.barh([i - 0.2 for i in y], [r.ratio for r in ratios], height=0.4, label="adapter / bare")
    ax.barh(
        [i + 0.2 for i in y], [r.plain_ratio for r in ratios], height=0.4, label="adapter / plain"
    )
    ax.set_yticks(y, [f"{r.framework} / {r.server}" for r in ratios])
    ax.axvline(RATIO_GOAL, color="#cc3311", linestyle="--", label=f"goal {RATIO_GOAL} (bare)")
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("GET /hello requests per second, adapter / baseline (median of rounds)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    path = folder / "hello-ratio.png"
    fig.savefig(path)
    return path


def _scaling_chart(results: Results, folder: Path, figure: Any, canvas: Any) -> Path:
    """Requests per second with one worker and with two, per adapter and server."""
    rows = [sc for sc in results.scaling if not sc.error]
    fig = figure(figsize=(8, 0.5 * len(rows) + 1.4), dpi=100)
    canvas(fig)
    ax = fig.add_subplot()
    labels = [f"{sc.framework} / {sc.server}" for sc in rows]
    y = list(range(len(rows)))
    ax.barh([i - 0.2 for i in y], [sc.rps_1 for sc in rows], height=0.4, label="1 worker")
    ax.barh([i + 0.2 for i in y], [sc.rps_2 for sc in rows], height=0.4, label="2 workers")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("GET /hello requests per second (server and wrk share both cores)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = folder / "scaling.png"
    fig.savefig(path)
    return path


def _live_chart(results: Results, folder: Path, figure: Any, canvas: Any) -> Path:
    """Adapter / bare on each live load, per framework and server."""
    pairs = list(dict.fromkeys((lr.framework, lr.server) for lr in results.live_ratios))
    loads = [name for name in LIVE if any(lr.measure == name for lr in results.live_ratios)]
    ratio = {(lr.framework, lr.server, lr.measure): lr.ratio for lr in results.live_ratios}
    fig = figure(figsize=(8, 0.6 * len(pairs) + 1.8), dpi=100)
    canvas(fig)
    ax = fig.add_subplot()
    height = 0.8 / len(loads)
    for k, name in enumerate(loads):
        ax.barh(
            [i - 0.4 + height * (k + 0.5) for i in range(len(pairs))],
            [ratio.get((f, srv, name), 0.0) for f, srv in pairs],
            height=height,
            label=name,
        )
    ax.set_yticks(range(len(pairs)), [f"{f} / {srv}" for f, srv in pairs])
    ax.axvline(1.0, color="#555555", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("live routes, adapter / bare (median of the rounds' ratios)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(loads), frameon=False)
    fig.tight_layout()
    path = folder / "live-ratio.png"
    fig.savefig(path)
    return path


def write(results: Results, folder: Path, command_line: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.md").write_text(render_markdown(results, command_line) + "\n")
    data = render_json(results, command_line)
    (folder / "results.json").write_text(json.dumps(data, indent=1) + "\n")
    render_charts(results, folder / "charts")
