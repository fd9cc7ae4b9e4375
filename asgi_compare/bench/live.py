"""Measurements of the live routes (``WS /ws``, ``GET /events``) on running deployments: the
load process (:mod:`asgi_compare.live_load`) driven on CPU 1 as wrk is, resident memory with idle
WebSockets open, and what each app answers on them."""

from __future__ import annotations

import importlib.util
import json
import select
import subprocess
import sys
from dataclasses import replace
from typing import Any

import httpx

from asgi_compare.bench.endpoints import IDLE_WEBSOCKETS, LIVE
from asgi_compare.bench.measure import (
    FAILURES,
    UNCOMPARED,
    current_rss_mb,
    open_file_limit,
    server_pids,
    settle,
)
from asgi_compare.bench.results import IdleSockets, LiveRun
from asgi_compare.harness import AppKind, Deployment
from asgi_compare.live_load import CLIENT, GUARD_S, SPARE_FILES

MODULE = "asgi_compare.live_load"


def live_client() -> None:
    """The websockets library the load process uses: missing, fail before starting anything."""
    if importlib.util.find_spec("websockets") is None:
        raise RuntimeError(
            "the live measurements need the websockets library: pip install 'asgi-compare[serve]'"
        )


def _command(mode: str, d: Deployment, pin: bool, *options: str) -> list[str]:
    pids = ",".join(str(p) for p in server_pids(d))
    cmd = [sys.executable, "-m", MODULE, mode, d.server_url, *options, "--pids", pids]
    return ["taskset", "-c", "1", *cmd] if pin else cmd


def _parsed(line: str, what: str) -> dict[str, Any]:
    try:
        got: dict[str, Any] = json.loads(line)
    except ValueError:
        raise RuntimeError(f"{what}: no result ({line.strip()[:200] or 'nothing'})") from None
    if "error" in got:
        raise RuntimeError(f"{what}: {got['error']}")
    return got


def live_run(d: Deployment, name: str, seconds: float, pin: bool) -> LiveRun:
    """One run of the load process on measurement ``name`` (:data:`~.endpoints.LIVE`)."""
    load = LIVE[name]
    options = ["--connections", str(load.connections), "--duration", f"{seconds:g}"]
    out = subprocess.run(
        _command(load.mode, d, pin, *options),
        capture_output=True,
        text=True,
        timeout=seconds + 2 * GUARD_S,
    )
    lines = out.stdout.strip().splitlines() or [out.stderr.strip()[-300:]]
    got = _parsed(lines[-1], f"{name} load")
    return LiveRun.of(
        got["count"], got["seconds"], got["client_cpu_s"], got["server_cpu_s"], got["errors"]
    )


def _line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The process's next line of output, or "" if it has none within ``timeout`` (a hang
    guard) or has ended."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def idle_sockets(
    d: Deployment, app: AppKind, pin: bool, count: int = IDLE_WEBSOCKETS
) -> IdleSockets:
    """The server's resident memory (its whole process tree) before and with ``count``
    WebSockets open, each past its handshake and hello, held by the load process; the server
    idle at both readings. An error (the open-file limit, a refused handshake) is reported in
    the result, not raised."""
    result = IdleSockets(app, d.framework if app != "raw" else "", d.server, count)
    limit = open_file_limit(d)
    if 0 <= limit < count + SPARE_FILES:
        return replace(
            result,
            error=f"the server may open {limit} files, below the {count + SPARE_FILES} that "
            f"{count:,} WebSockets need: raise the hard limit (ulimit -Hn) to measure them",
        )
    proc: subprocess.Popen[str] | None = None
    try:
        settle([d], timeout=30)
        before = current_rss_mb(d)
        proc = subprocess.Popen(
            _command("idle", d, pin, "--connections", str(count)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        got = _parsed(_line(proc, 2 * GUARD_S + count * 0.1), "idle WebSockets")
        settle([d], timeout=30)
        held = current_rss_mb(d)
        delta = round(held - before, 1)
        return replace(
            result,
            opened=got["opened"],
            open_seconds=got["seconds"],
            rss_before_mb=before,
            rss_open_mb=held,
            delta_mb=delta,
            kb_per_socket=round(delta * 1024 / got["opened"], 1) if got["opened"] else 0.0,
        )
    except FAILURES as exc:
        return replace(result, error=str(exc).splitlines()[0][:200])
    finally:
        if proc is not None:
            _closed(proc)
        settle([d], timeout=30)  # the closes handled before the next measurement


def _closed(proc: subprocess.Popen[str]) -> None:
    """Tell the load process to close its WebSockets, and wait until it has."""
    try:
        proc.communicate("close\n", timeout=2 * GUARD_S)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.communicate()


LiveAnswer = dict[str, Any]


def live_answer(d: Deployment, closing: bool = False) -> LiveAnswer:
    """What the app answers on the live routes, to compare a baseline's with its adapter's:
    the subprotocol selected, the first message's type, a text's echo and a binary message's,
    and ``GET /events?count=3&interval=0``'s status, headers (but the date and the framing)
    and body. With ``closing``, also the close codes of the text ``close`` and of a message
    over the default limit (Sanic's bare app over ASGI sends none: see its docstring)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = "ws" + d.server_url.removeprefix("http") + "/ws"
    got: LiveAnswer = {}
    with connect(url, **CLIENT) as ws:
        got["subprotocol"] = ws.subprotocol
        got["hello"] = json.loads(ws.recv(timeout=GUARD_S)).get("type")
        ws.send("hi")
        got["text"] = ws.recv(timeout=GUARD_S)
        ws.send(b"\x00\xff")
        got["binary"] = ws.recv(timeout=GUARD_S)
    if closing:
        for name, message in (("close", "close"), ("too_big", "x" * (64 * 1024 + 1))):
            with connect(url, **CLIENT) as ws:
                ws.recv(timeout=GUARD_S)  # the hello
                ws.send(message)
                try:
                    ws.recv(timeout=GUARD_S)
                    got[name] = "open"
                except ConnectionClosed as exc:
                    got[name] = exc.rcvd.code if exc.rcvd else None
    events = httpx.get(f"{d.server_url}/events?count=3&interval=0", timeout=GUARD_S)
    got["events"] = (
        events.status_code,
        sorted((k, v) for k, v in events.headers.items() if k not in UNCOMPARED),
        events.text,
    )
    return got


def safe_live_answer(d: Deployment) -> LiveAnswer:
    """:func:`live_answer`, or what it failed with (``{"error": ...}``)."""
    from websockets.exceptions import WebSocketException

    failures: tuple[type[Exception], ...] = (*FAILURES, WebSocketException, TimeoutError)
    try:
        return live_answer(d)
    except failures as exc:
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
