"""`asgi-compare bench` for real on one cell for a second: the output's shape, never its speed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from asgi_compare import bench, cli

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
