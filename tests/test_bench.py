"""`asgi-compare bench` for real on one cell for a second: the output's shape, never its speed.
And its baselines: each answers GET /hello as its adapter does."""

from __future__ import annotations

import ast
import asyncio
import importlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from asgi_compare import bench, cli, live_load
from asgi_compare.bench import live as bench_live
from asgi_compare.bench import measure
from asgi_compare.bench import render as bench_render
from asgi_compare.bench import run as bench_run
from asgi_compare.harness import FRAMEWORKS, AppKind, Deployment, applies

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:27000/hello
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  350.00us   9.00ms   90.00%
    Req/Sec    29.00k     1.00k   30.10k    80.00%
  Latency Distribution
     50%    1.02ms
     75%    1.20ms
     90%    1.40ms
     99%    2.50ms
  29150 requests in 1.00s, 4.30MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  29137.42
Transfer/sec:      4.30MB
"""


def test_wrk_output_is_parsed() -> None:
    assert bench.parse_wrk(WRK_OUTPUT) == bench.WrkRun(
        rps=29137.42, requests=29150, p50_ms=1.02, p99_ms=2.5, non_2xx=3, socket_errors=0
    )


def test_one_cell_for_a_second(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: `make test` installs it (apt-get install wrk)")
    out = tmp_path / "bench"
    code = cli.main(
        [
            "bench",
            "--framework",
            "falcon",
            "--server",
            "uvicorn",
            "--endpoint",
            "hello",
            "--duration",
            "1",
            "--rounds",
            "1",
            "--extras",
            "none",
            "--live",
            "none",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads((out / "results.json").read_text())
    assert {"command", "machine", "versions", "settings", "cells"} <= set(data)
    cells = {(c["app"], c["framework"]): c for c in data["cells"]}
    assert set(cells) == {
        ("raw", ""),
        ("plain", "falcon"),
        ("bare", "falcon"),
        ("adapter", "falcon"),
    }
    for cell in cells.values():
        assert cell["error"] == "" and cell["requests"] > 0 and cell["non_2xx"] == 0
        assert cell["p50_ms"] <= cell["p99_ms"] and cell["peak_rss_mb"] > 0
    assert (out / "charts" / "hello.png").read_bytes().startswith(b"\x89PNG")
    markdown = (out / "results.md").read_text()
    assert "| falcon | uvicorn |" in markdown and "adapter / bare" in markdown
    assert "adapter / plain" in markdown and "bare / plain" in markdown


def test_one_cell_has_a_ratio_and_the_cpu_per_request(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: `make test` installs it (apt-get install wrk)")
    out = tmp_path / "bench"
    argv = ["bench", "--framework", "falcon", "--server", "uvicorn", "--endpoint", "hello"]
    argv += ["--duration", "1", "--rounds", "2", "--extras", "async", "--live", "none"]
    argv += ["--out", str(out)]
    assert cli.main([*argv, "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    (ratio,) = data["ratios"]
    assert (ratio["framework"], ratio["server"]) == ("falcon", "uvicorn")
    assert len(ratio["rounds"]) == 2 and ratio["ratio"] > 0 and ratio["cpu_ratio"] > 0
    assert ratio["adapter_cpu_us"] > 0 and ratio["bare_cpu_us"] > 0 and ratio["raw_rps"] > 0
    assert ratio["same_answer"] is True and ratio["plain_same_answer"] is True
    assert ratio["plain_rps"] > 0 and ratio["plain_cpu_us"] > 0
    assert ratio["plain_ratio"] > 0 and ratio["bare_plain"] > 0
    assert len(ratio["bare_plain_rounds"]) == 2
    assert [s["server"] for s in data["settled"]] == ["uvicorn"]
    assert all(c["cpu_us"] > 0 for c in data["cells"])
    sleeps = data["async_route"]["falcon"]
    assert sleeps["requests"] == 200 and sleeps["answered"] == 200 and sleeps["max_ms"] >= 1000
    assert [g["goal"].split()[0] for g in data["goals"]] == ["adapter", "200"]
    assert (out / "charts" / "hello-ratio.png").read_bytes().startswith(b"\x89PNG")
    markdown = (out / "results.md").read_text()
    assert "## Goals" in markdown and "| falcon | 200/200 |" in markdown


def _results() -> bench.Results:
    """One of every result, as a run of every extra would leave them."""
    settings = bench.Settings(["falcon"], ["uvicorn"], ["hello"], profile=True)
    run = bench.WrkRun(rps=1000, requests=1000, p50_ms=1, p99_ms=2, cpu_us=50)
    return bench.Results(
        settings,
        cells=[bench.Cell.of("adapter", "falcon", "uvicorn", "hello", run, 50.0)],
        ratios=[
            bench.Ratio(
                "falcon",
                "uvicorn",
                0.9,
                [0.9, 0.91],
                900,
                1000,
                2000,
                0.92,
                55,
                50,
                plain_rps=1250,
                plain_ratio=0.72,
                bare_plain=0.8,
                bare_plain_rounds=[0.8, 0.81],
                plain_cpu_us=40,
                plain_same_answer=False,
            )
        ],
        settled=[bench.Settled("uvicorn", 1.5, True)],
        cold_start=[bench.ColdStart("falcon", "uvicorn", [0.4, 0.6, 0.7])],
        imports={"falcon": bench.ImportTime("falcon", 250.0, [("falcon", 60.0)], [])},
        loop={"falcon": bench.LoopHealth(1, 30, 30, 19.5, 2.5, [200], 8, "ab12", 900)},
        stall={"falcon": bench.Stall(120.0, 1500, 12, 2, 900, 926.4, 40, [200])},
        sleeps={"falcon": bench.Sleeps(200, 200, 1020.5, 0)},
        plot={"falcon": bench.PlotTiming(160.0, 1.1, "0f60807fdee72628", 40000, True)},
        scaling=[bench.Scaling("falcon", "uvicorn", 5000, 8000, 170, 165, 400)],
        profiles=[
            bench.Profile(
                "falcon",
                "uvicorn",
                "flame/falcon-adapter.svg",
                "flame/falcon-bare.svg",
                900,
                1000,
                [("Falcon.__call__ (falcon/asgi/app.py)", 12.5)],
                [],
            )
        ],
        live=[
            bench.LiveCell(
                app,
                "" if app == "raw" else "falcon",
                "uvicorn",
                name,
                bench.LiveRun.of(rate, 1.0, 0.5, 0.9, 0),
                [rate, rate],
            )
            for name in bench.LIVE
            for app, rate in (("raw", 4000), ("bare", 2000), ("adapter", 1800))
        ],
        live_ratios=[
            bench.LiveRatio("falcon", "uvicorn", name, 0.9, [0.9, 0.9], 1800, 2000, 4000, 0.88)
            for name in bench.LIVE
        ],
        idle=[
            bench.IdleSockets("raw", "", "uvicorn", 1000, 1000, 2.0, 30, 47, 17, 17.4),
            bench.IdleSockets("bare", "falcon", "uvicorn", 1000, 1000, 2.5, 50, 72, 22, 22.5),
            bench.IdleSockets("adapter", "falcon", "uvicorn", 1000, 0, error="the limit"),
        ],
        seconds=12.0,
    )


def test_every_result_is_written(tmp_path: Path) -> None:
    results = _results()
    bench_render.write(results, tmp_path, "asgi-compare bench --profile")
    data = json.loads((tmp_path / "results.json").read_text())
    sections = {"ratios", "settled", "goals", "cold_start", "imports", "loop", "stall"}
    assert sections | {"async_route", "plot", "scaling", "profiles"} <= set(data)
    assert {"live", "live_ratios", "idle"} <= set(data)
    assert [c["run"]["rate"] for c in data["live"][:3]] == [4000, 2000, 1800]
    assert data["idle"][2]["error"] == "the limit"
    assert data["scaling"][0]["gain"] == 1.6 and data["stall"]["falcon"]["max_ms"] == 120.0
    met = {g["goal"].split(" <= ")[0].split(" >= ")[0]: g["met"] for g in data["goals"]}
    assert met["cold start to the first 200 on uvicorn"] == "no: falcon over"
    assert met["200 concurrent /async-route?delay=1 all answered within 1,100 ms"] == "yes"
    assert met["adapter / bare on GET /hello"] == "no: falcon below"
    markdown = (tmp_path / "results.md").read_text()
    for heading in (
        "## Goals",
        "## Cold start",
        "## Imports at start",
        "## Event-loop health",
        "## The longest stall",
        "## 200 concurrent",
        "## GET /plot",
        "## One worker against two",
        "## Flame graphs",
        "## The live routes: adapter against bare",
        "### echo-1: WebSocket echo round trips a second, 1 connection",
        "### echo-100: ",
        "### events: GET /events?count=100&interval=0",
        "### Where the limit was",
        "### Resident memory with 1,000 idle WebSockets",
        "### Failures",
    ):
        assert heading in markdown
    assert "[adapter](flame/falcon-adapter.svg)" in markdown
    assert data["ratios"][0]["bare_plain"] == 0.8 and data["ratios"][0]["plain_ratio"] == 0.72
    hello_row = "| falcon | uvicorn | 900 | 1,000 | 2,000 | **0.90** | 0.90, 0.91 | 0.72 |"
    assert hello_row in markdown
    # plain against bare: req/s, bare / plain and its rounds, CPU µs and their difference
    row = "| falcon | uvicorn | 1,250 | 1,000 | **0.80** | 0.80, 0.81 | 0.72 | 40 | 50 | +10 |"
    assert row + " **no** |" in markdown  # plain answered otherwise than the adapter
    assert "- falcon, bare: GET /hello on Falcon built as the adapter is" in markdown
    assert "- falcon, plain: GET /hello on Falcon alone" in markdown
    live_row = "| falcon | uvicorn | 1,800 | 2,000 | 4,000 | **0.90** | 0.90, 0.90 | 0.45 |"
    assert live_row in markdown
    assert "| uvicorn | raw | - | 4,000 | 0.90 | 0.50 | 4,000 | 0.90 | 0.50 |" in markdown
    # KB a WebSocket: the adapter failed, bare and raw measured
    assert "| falcon | uvicorn | **error: the limit** | 22.5 | 17.4 | n/a |" in markdown
    assert "- adapter falcon on uvicorn, idle: the limit" in markdown
    assert met["live routes, adapter / bare (reported)"] == "n/a"
    for chart in ("hello", "hello-ratio", "scaling", "live-ratio"):
        assert (tmp_path / "charts" / f"{chart}.png").read_bytes().startswith(b"\x89PNG")


def test_a_flame_graph_is_read_by_own_samples(tmp_path: Path) -> None:
    frame = '<g><title>{} ({} samples, 1%)</title><rect x="0%" y="{}" width="1%" height="15" '
    frame += 'fill="rgb(0,0,0)" fg:x="{}" fg:w="{}"/></g>'
    svg = tmp_path / "f.svg"
    svg.write_text(
        frame.format("all", 10, 52, 0, 10)
        + frame.format("main (app.py:3)", 10, 68, 0, 10)
        + frame.format("parse (app.py:9)", 6, 84, 0, 6)
        + frame.format("parse (app.py:11)", 1, 84, 6, 1)
    )
    assert measure.top_frames(svg) == [("parse (app.py)", 70.0), ("main (app.py)", 30.0)]


def test_the_ticker_reports_a_blocked_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASGI_COMPARE_BENCH_APP", "asgi_compare.bench_apps.raw:app")
    sys.modules.pop("asgi_compare.bench_apps.ticker", None)
    ticker = importlib.import_module("asgi_compare.bench_apps.ticker")
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def scenario() -> dict[str, float]:
        scope = {"type": "http", "path": "/hello"}
        await ticker.app(scope, receive, send)  # starts the ticker on this loop
        await asyncio.sleep(0.05)
        time.sleep(0.08)  # noqa: ASYNC251 -- the point: a loop held for 80 ms
        await asyncio.sleep(0.02)
        await ticker.app({"type": "http", "path": "/__ticker"}, receive, send)
        seen: dict[str, float] = json.loads(sent[-1]["body"])  # type: ignore[arg-type]
        ticker.app.task.cancel()
        return seen

    seen = asyncio.run(scenario())
    assert sent[1]["body"] == b'{"message":"Hello World"}'
    assert seen["max_ms"] >= 70 and seen["over_50ms"] == 1 and seen["ticks"] > 5


def test_imports_are_the_adapters_own() -> None:
    got = measure.import_time("falcon")
    names = [name for name, _ in got.top]
    assert got.total_ms > 0 and len(names) == 5 and "falcon" in names
    assert not {"site", "encodings"} & set(names)  # the interpreter's start is not counted
    assert all(ms <= got.total_ms for _, ms in got.top)


def test_each_framework_has_its_baselines_before_its_adapter_bare_last() -> None:
    settings = bench.Settings(
        ["falcon", "sanic"], ["uvicorn", "native"], ["hello"], extras=[], live=[]
    )
    assert bench_run.groups(settings) == [
        (
            "uvicorn",
            [
                ("raw", ""),
                ("plain", "falcon"),
                ("bare", "falcon"),
                ("adapter", "falcon"),
                ("plain", "sanic"),
                ("bare", "sanic"),
                ("adapter", "sanic"),
            ],
        ),
        ("native", [("plain", "sanic"), ("bare", "sanic"), ("adapter", "sanic")]),
    ]
    assert bench_run.planned(settings) == 10  # a progress line per app and server


def test_the_rounds_give_every_ratio_and_check_every_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Fake servers, one rate each (the plain one slower in its second round): the ratios are
    medians of the rounds' ratios, the bare app runs right next to its adapter in both orders,
    and each baseline's answer is checked against the adapter's."""
    rps = {"raw": 4000.0, "plain": 1000.0, "bare": 800.0, "adapter": 760.0}
    cpu = {"raw": 10.0, "plain": 40.0, "bare": 50.0, "adapter": 55.0}
    order: list[str] = []

    def hello(d: Any, settings: bench.Settings, workdir: Path, seconds: float) -> bench.WrkRun:
        order.append(d)
        slow = d == "plain" and order.count("plain") == 2
        got = rps[d] / 2 if slow else rps[d]
        return bench.WrkRun(rps=got, requests=int(got), p50_ms=1, p99_ms=2, cpu_us=cpu[d])

    answers: dict[str, measure.Answer] = {
        "adapter": (200, b"{}", [("content-type", "application/json")]),
        "bare": (200, b"{}", [("content-type", "application/json")]),
        "plain": (200, b"{}", [("content-type", "text/plain")]),
    }
    monkeypatch.setattr(bench_run, "hello", hello)
    monkeypatch.setattr(bench_run, "answer", answers.__getitem__)
    monkeypatch.setattr(bench_run, "peak_rss_mb", lambda d: 1.0)
    settings = bench.Settings(["falcon"], ["uvicorn"], ["hello"], rounds=2, live=[])
    results = bench.Results(settings)
    [(_, apps)] = bench_run.groups(settings)
    deployments: dict[tuple[AppKind, str], Any] = {app: app[0] for app in apps}
    bench_run._hello_rounds(results, "uvicorn", deployments, tmp_path, lambda c: None)
    assert order == ["raw", "plain", "bare", "adapter", "adapter", "bare", "plain", "raw"]
    [r] = results.ratios
    assert (r.ratio, r.rounds, r.cpu_ratio) == (0.95, [0.95, 0.95], 0.91)
    assert (r.adapter_rps, r.bare_rps, r.raw_rps, r.plain_rps) == (760, 800, 4000, 750)
    assert r.bare_plain_rounds == [0.8, 1.6] and r.bare_plain == 1.2
    assert r.plain_ratio == 1.14  # the median of 0.76 and 1.52
    assert (r.adapter_cpu_us, r.bare_cpu_us, r.plain_cpu_us) == (55, 50, 40)
    assert r.same_answer is True and r.plain_same_answer is False


BASELINE_SERVERS = [(f, s) for f in FRAMEWORKS for s in ("uvicorn", "native") if applies(f, s)]


@pytest.mark.parametrize(("framework", "server"), BASELINE_SERVERS)
def test_the_baselines_answer_as_the_adapter(framework: str, server: str, tmp_path: Path) -> None:
    """GET /hello from the adapter, the bare app and the plain one on a real server: the same
    status, body and headers, but the date and the framing (what the bench's same answer
    compares), and that answer is the contract's."""
    kinds: list[AppKind] = ["adapter", *bench_run.BASELINES]
    deployments: dict[AppKind, Deployment] = {
        kind: measure.deployment(kind, framework, server, tmp_path, pin=False) for kind in kinds
    }
    try:
        for d in deployments.values():
            d.start()
        for d in deployments.values():
            d.wait_ready(path="/hello", timeout=60)
        got = {kind: measure.answer(d) for kind, d in deployments.items()}
    finally:
        for d in deployments.values():
            d.stop()
    status, body, headers = got["adapter"]
    assert status == 200 and json.loads(body) == {"message": "Hello World"}
    assert ("content-type", "application/json") in headers
    assert got["bare"] == got["adapter"]
    assert got["plain"] == got["adapter"]


@pytest.mark.parametrize("kind", bench_run.BASELINES)
def test_a_baseline_imports_neither_core_nor_an_adapter(kind: str) -> None:
    """What the adapter / bare ratio charges: core and the contract, never in a baseline."""
    folder = Path(bench.__file__).parent.parent / "bench_apps"
    own = "asgi_compare.bench_apps.models"  # the baselines' models, written without core
    for module in [*(f"{framework}_{kind}" for framework in FRAMEWORKS), "models"]:
        tree = ast.parse((folder / f"{module}.py").read_text())
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if name != own
        }
        adapters = {f"{f}_app" for f in FRAMEWORKS}
        assert not imported & {"core", "asgi_compare", *adapters}, (module, imported)


def test_bare_fastapi_tries_the_routes_the_adapter_tries_before_hello() -> None:
    """Starlette matches a request against an app's routes in order, so the bare app declares
    the routes the adapter declares before /hello, as the adapter does: the ratio then charges
    the adapter for core and the contract, not for its route table."""
    from fastapi.routing import APIRoute

    from asgi_compare.bench_apps import fastapi_bare
    from fastapi_app import app as adapter

    def before_hello(routes: list[Any]) -> list[tuple[str, set[str]]]:
        paths = [(r.path, set(r.methods or ())) for r in routes if isinstance(r, APIRoute)]
        return paths[: [p for p, _ in paths].index("/hello") + 1]

    assert before_hello(adapter.router.routes) == before_hello(fastapi_bare.router.routes)

    # and the app's own routes before /hello (FastAPI's /openapi.json) alike, whether FastAPI
    # keeps the included router as one route (0.165: _IncludedRouter) or copies its routes in
    def app_routes(app: Any) -> list[str]:
        names = [getattr(r, "path", type(r).__name__) for r in app.routes]
        last = next(i for i, n in enumerate(names) if n in ("/hello", "_IncludedRouter"))
        return names[: last + 1]

    assert app_routes(adapter.app) == app_routes(fastapi_bare.app)


def test_the_live_routes_for_real(tmp_path: Path) -> None:
    """The live measurements on a real server for a second each: every load counts something
    on every app, each ratio has its rounds, the bare app answers as the adapter, and 1,000
    idle WebSockets open on each app and grow its memory."""
    out = tmp_path / "bench"
    argv = ["bench", "--framework", "falcon", "--server", "uvicorn", "--endpoint", "none"]
    argv += ["--extras", "none", "--duration", "1", "--rounds", "2", "--out", str(out)]
    assert cli.main([*argv, "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["cells"] == [] and data["ratios"] == []
    cells = {(c["app"], c["measure"]): c for c in data["live"]}
    assert set(cells) == {(app, m) for app in ("raw", "bare", "adapter") for m in bench.LIVE}
    for c in cells.values():
        run = c["run"]
        assert c["error"] == "" and run["errors"] == 0 and len(c["rounds"]) == 2
        assert run["count"] > 0 and run["rate"] > 0
    # CPU time is read in clock ticks (10 ms): a short run on a loaded machine may read none,
    # but not every run
    assert sum(c["run"]["cpu_us"] for c in cells.values()) > 0
    assert sum(c["run"]["client_cpu"] for c in cells.values()) > 0
    ratios = {r["measure"]: r for r in data["live_ratios"]}
    assert set(ratios) == set(bench.LIVE)
    for r in ratios.values():
        assert r["framework"] == "falcon" and len(r["rounds"]) == 2 and r["ratio"] > 0
        assert r["raw_rate"] > 0 and r["same_answer"] is True
    idle = {i["app"]: i for i in data["idle"]}
    assert set(idle) == {"raw", "bare", "adapter"}
    for i in idle.values():
        assert i["error"] == "" and i["opened"] == bench.IDLE_WEBSOCKETS
        assert i["delta_mb"] > 0 and i["kb_per_socket"] > 0
        assert i["rss_open_mb"] > i["rss_before_mb"] > 0
    assert [s["live"] for s in data["settled"]] == [True]
    markdown = (out / "results.md").read_text()
    assert "### echo-100: WebSocket echo round trips a second, 100 connections" in markdown
    assert "| falcon | uvicorn | **" in markdown  # the idle table's row
    assert (out / "charts" / "live-ratio.png").read_bytes().startswith(b"\x89PNG")


def test_the_live_rounds_alternate_and_give_every_ratio(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Fake loads, one rate each: each load goes over every app forwards, then backwards; the
    ratios are medians of the rounds' own; a bare app that answered otherwise is marked."""
    rate = {"raw": 4000.0, "bare": 2000.0, "adapter": 1800.0}
    order: list[tuple[str, str]] = []

    def live_run(d: Any, name: str, seconds: float, pin: bool) -> bench.LiveRun:
        order.append((d[0], name))
        return bench.LiveRun.of(int(rate[d[0]]), 1.0, 0.5, rate[d[0]] / 10_000, 0)

    answers = {"adapter": {"text": "echo"}, "bare": {"text": "other"}}
    monkeypatch.setattr(bench_run, "live_run", live_run)
    monkeypatch.setattr(bench_run, "safe_live_answer", lambda d: answers[d[0]])
    settings = bench.Settings(["falcon"], ["uvicorn"], [], rounds=2)
    results = bench.Results(settings)
    [(_, apps)] = bench_run.live_groups(settings)
    assert apps == [("raw", ""), ("bare", "falcon"), ("adapter", "falcon")]
    deployments: dict[tuple[AppKind, str], Any] = {app: app for app in apps}
    seen: list[bench.LiveCell] = []
    bench_run._live_rounds(results, "uvicorn", deployments, ["echo-1", "events"], seen.append)
    forwards = ["raw", "bare", "adapter"]
    assert [a for a, n in order if n == "echo-1"] == forwards + forwards[::-1]
    assert [n for _, n in order] == ["echo-1"] * 6 + ["events"] * 6
    assert [(c.app, c.measure, c.run.rate) for c in seen[:3]] == [
        ("raw", "echo-1", 4000),
        ("bare", "echo-1", 2000),
        ("adapter", "echo-1", 1800),
    ]
    [echo, events] = results.live_ratios
    assert (echo.measure, events.measure) == ("echo-1", "events")
    assert (echo.ratio, echo.rounds, echo.raw_rate) == (0.9, [0.9, 0.9], 4000)
    assert echo.cpu_ratio == 1.0  # each load's server time scales with its rate here
    assert echo.same_answer is False


def test_the_live_groups_and_plan() -> None:
    settings = bench.Settings(
        ["falcon", "sanic"], ["uvicorn", "native"], [], extras=[], live=["echo-1", "idle"]
    )
    assert bench_run.live_groups(settings) == [
        (
            "uvicorn",
            [
                ("raw", ""),
                ("bare", "falcon"),
                ("adapter", "falcon"),
                ("bare", "sanic"),
                ("adapter", "sanic"),
            ],
        ),
        ("native", [("bare", "sanic"), ("adapter", "sanic")]),
    ]
    assert bench_run.planned(settings) == (5 + 2) * 2  # a line per app, load and server


def test_the_load_generator_speaks_the_contract() -> None:
    """What the load process expects, written there to keep core out of its start, is what
    core says."""
    from core import live
    from core.models import EventsQuery
    from core.settings import Settings as AppSettings

    assert live_load.SUBPROTOCOL == live.SUBPROTOCOL
    limit = AppSettings().max_ws_message_bytes
    assert live_load.ECHO == live.reply(live_load.MESSAGE, limit).message
    query = EventsQuery.model_validate(live_load.EVENTS_QUERY)
    assert (query.count, query.interval) == (live_load.EVENTS_COUNT, 0)


def test_the_open_file_limit_is_raised_or_said(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    limits = {"now": (256, 4096)}
    monkeypatch.setattr(resource, "getrlimit", lambda kind: limits["now"])
    monkeypatch.setattr(resource, "setrlimit", lambda kind, new: limits.update(now=new))
    assert live_load.raise_file_limit(1000) == ""
    assert limits["now"] == (1000 + live_load.SPARE_FILES, 4096)
    assert live_load.raise_file_limit(100) == ""  # already enough: unchanged
    assert limits["now"] == (1000 + live_load.SPARE_FILES, 4096)
    limits["now"] = (256, 512)
    said = live_load.raise_file_limit(1000)
    assert "512 (hard), below the 1064 that 1000 connections need" in said
    assert limits["now"] == (256, 512)


@pytest.mark.parametrize(("framework", "server"), BASELINE_SERVERS)
def test_the_bare_apps_answer_the_live_routes_as_the_adapter(
    framework: str, server: str, tmp_path: Path
) -> None:
    """The bare app and the adapter on a real server, on the live routes: the same subprotocol,
    echoes, close codes and event stream (the hello aside: bare's has no about), and those
    are the contract's. Sanic's bare app over ASGI sends no close (its WebSocket's close does
    nothing there, which the adapter mends), so its close codes are compared on Sanic's own
    server only."""
    from core import live

    closing = not (framework == "sanic" and server != "native")
    kinds: list[AppKind] = ["adapter", "bare"]
    deployments = {
        kind: measure.deployment(kind, framework, server, tmp_path, pin=False) for kind in kinds
    }
    try:
        for d in deployments.values():
            d.start()
        for d in deployments.values():
            d.wait_ready(path="/hello", timeout=60)
        got = {kind: bench_live.live_answer(d, closing=closing) for kind, d in deployments.items()}
    finally:
        for d in deployments.values():
            d.stop()
    adapter = got["adapter"]
    assert adapter["subprotocol"] == live.SUBPROTOCOL and adapter["hello"] == "hello"
    assert json.loads(adapter["text"]) == {"type": "echo", "text": "hi"}
    assert adapter["binary"] == b"\x00\xff"
    if closing:
        assert (adapter["close"], adapter["too_big"]) == (
            live.NORMAL_CLOSURE,
            live.MESSAGE_TOO_BIG,
        )
    status, headers, body = adapter["events"]
    assert status == 200 and ("x-accel-buffering", "no") in headers
    assert body.count("event: tick") == 3 and '"n":3,"count":3' in body
    assert got["bare"] == adapter


def test_a_missing_websockets_library_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    live = importlib.import_module("asgi_compare.bench.live")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        live.importlib.util, "find_spec", lambda name: None if name == "websockets" else real(name)
    )
    argv = ["bench", "--endpoint", "none", "--extras", "none", "--live", "echo-1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "asgi-compare bench: the live measurements need the websockets library: "
        "pip install 'asgi-compare[serve]'"
    ]
