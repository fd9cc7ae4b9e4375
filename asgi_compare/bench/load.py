"""The load generator: wrk, one thread, its report parsed into a :class:`WrkRun`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from asgi_compare.bench.endpoints import Endpoint
from asgi_compare.bench.results import Sleeps, WrkRun

_LUA = """wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""
# Each connection's first answer counts; the thread stops at the last of them. wrk opens its
# connections before it starts any request's clock, and times each request from its own send,
# so the slowest answer is the server's time, not the client's.
_ONCE_LUA = """local answered = 0
function response(status, headers, body)
  answered = answered + 1
  if answered >= {count} then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ONCE %d %d %d\\n", summary.requests, latency.max,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


def wrk_version() -> str:
    out = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True)
    words = (out.stdout or out.stderr).split()  # wrk -v prints "wrk 4.1.0 [epoll] ..."
    return words[1] if len(words) > 1 else "?"


def parse_wrk(out: str) -> WrkRun:
    def number(pattern: str) -> str | None:
        found = re.search(pattern, out, re.M)
        return found.group(1) if found else None

    def latency(pct: str) -> float:
        found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        return float(found.group(1)) * _UNIT_MS[found.group(2)] if found else 0.0

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkRun(
        rps=float(number(r"Requests/sec:\s+([\d.]+)") or 0),
        requests=int(number(r"(\d+) requests in") or 0),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        non_2xx=int(number(r"Non-2xx or 3xx responses:\s+(\d+)") or 0),
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def run_wrk(
    url: str, endpoint: Endpoint, duration: float, connections: int, pin: bool, workdir: Path
) -> WrkRun:
    """Load ``url + endpoint.path``; wrk on CPU 1 when pinned (the server has CPU 0)."""
    cmd = [wrk_binary(), "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    body = endpoint.body
    if body is not None:
        script = workdir / f"{endpoint.method.lower()}-{abs(hash(body))}.lua"
        script.write_text(_LUA.format(method=endpoint.method, body=json.dumps(body.decode())))
        cmd += ["-s", str(script)]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(
        [*cmd, url + endpoint.path], capture_output=True, text=True, timeout=duration + 60
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr.strip() or out.stdout.strip()}")
    return parse_wrk(out.stdout)


def run_once(url: str, count: int, pin: bool, workdir: Path, timeout: float = 3.0) -> Sleeps:
    """``count`` connections send one GET ``url`` each at once; the slowest answer's time."""
    script = workdir / f"once-{count}.lua"
    script.write_text(_ONCE_LUA.format(count=count))
    seconds = max(1, round(timeout))
    cmd = [wrk_binary(), "-t1", f"-c{count}", f"-d{seconds}s", f"--timeout={seconds}s"]
    cmd += ["-s", str(script), url]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    found = re.search(r"^ONCE (\d+) (\d+) (\d+)$", out.stdout, re.M)
    if out.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed: {out.stderr.strip() or out.stdout.strip()}")
    requests, max_us, errors = (int(g) for g in found.groups())
    return Sleeps(
        requests=count, answered=min(requests, count), max_ms=round(max_us / 1000, 1), errors=errors
    )
