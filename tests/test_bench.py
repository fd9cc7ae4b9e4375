"""`asgi-compare bench` for real on one cell for a second: the output's shape, never its speed."""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from asgi_compare import bench, cli
from asgi_compare.bench import measure

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
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads((out / "results.json").read_text())
    assert {"command", "machine", "versions", "settings", "cells"} <= set(data)
    cells = {(c["app"], c["framework"]): c for c in data["cells"]}
    assert set(cells) == {("raw", ""), ("bare", "falcon"), ("adapter", "falcon")}
    for cell in cells.values():
        assert cell["error"] == "" and cell["requests"] > 0 and cell["non_2xx"] == 0
        assert cell["p50_ms"] <= cell["p99_ms"] and cell["peak_rss_mb"] > 0
    assert (out / "charts" / "hello.png").read_bytes().startswith(b"\x89PNG")
    markdown = (out / "results.md").read_text()
    assert "| falcon | uvicorn |" in markdown and "adapter / bare" in markdown


def test_one_cell_has_a_ratio_and_the_cpu_per_request(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: `make test` installs it (apt-get install wrk)")
    out = tmp_path / "bench"
    argv = ["bench", "--framework", "falcon", "--server", "uvicorn", "--endpoint", "hello"]
    argv += ["--duration", "1", "--rounds", "2", "--extras", "async", "--out", str(out)]
    assert cli.main([*argv, "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    (ratio,) = data["ratios"]
    assert (ratio["framework"], ratio["server"]) == ("falcon", "uvicorn")
    assert len(ratio["rounds"]) == 2 and ratio["ratio"] > 0 and ratio["cpu_ratio"] > 0
    assert ratio["adapter_cpu_us"] > 0 and ratio["bare_cpu_us"] > 0 and ratio["raw_rps"] > 0
    assert ratio["same_answer"] is True
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
        ratios=[bench.Ratio("falcon", "uvicorn", 0.9, [0.9, 0.91], 900, 1000, 2000, 0.92, 55, 50)],
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
        seconds=12.0,
    )


def test_every_result_is_written(tmp_path: Path) -> None:
    results = _results()
    bench.write(results, tmp_path, "asgi-compare bench --profile")
    data = json.loads((tmp_path / "results.json").read_text())
    sections = {"ratios", "settled", "goals", "cold_start", "imports", "loop", "stall"}
    assert sections | {"async_route", "plot", "scaling", "profiles"} <= set(data)
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
    ):
        assert heading in markdown
    assert "[adapter](flame/falcon-adapter.svg)" in markdown
    for chart in ("hello", "hello-ratio", "scaling"):
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
