"""Large /fit bodies are read and fitted in worker processes (core.offload), answered exactly as
in the server's process, and the processes end with the app."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import anyio
import httpx
import psutil
import pytest

from asgi_compare.harness import REFERENCE
from asgi_compare.harness.deployment import Deployment
from core.settings import Settings
from tests._in_process import app_client

pytestmark = pytest.mark.anyio

# A hang guard, not a deadline: a worker imports NumPy and scikit-learn before its first fit
# (3 s of CPU) at the lowest priority, which on a busy machine gets only what is left over
# (112 s seen with the tests on 3 workers of 2 cores).
TIMEOUT_S = 600
MAX_CELLS = 1000
INLINE = Settings(max_cells=MAX_CELLS, offload_bytes=1 << 30)  # every body read in the process
OFFLOADED = Settings(max_cells=MAX_CELLS, offload_bytes=1, fit_processes=1)
JSON = "application/json"


def _fit(X: Any, y: Any) -> bytes:
    return json.dumps({"X": X, "y": y}).encode()


# (body, content type): every way a /fit body can be answered, each read both ways.
BODIES: list[tuple[bytes, str | None]] = [
    (_fit([[1, 2], [2, 1], [3, 5]], [1, 2, 3]), JSON),
    (_fit([[1.5, 2], [2, 1], [3, 5], [4, 4]], [1, 2, 3.25, 7]), "application/vnd.api+json"),
    (b'{"X": [[1, true]], "y": [1]}', JSON),
    (b'{"X": [[1, "2.5"]], "y": [1]}', JSON),
    (b'{"X": [[NaN]], "y": [1]}', JSON),
    (b'{"X": [[1e400]], "y": [1]}', JSON),
    (_fit([[1, 2], [1]], [1, 2]), JSON),
    (_fit([[1], [2]], [1]), JSON),
    (b'{"X": [[1]]}', JSON),
    (_fit([], []), JSON),
    (b"[1, 2]", JSON),
    (b'{"X": [[1', JSON),
    (b"\xff\xfe\xfd", JSON),
    (b"[" * 100_000, JSON),  # deeper than the parser goes: FastAPI's 400
    (_fit([[1, 2], [2, 1], [3, 5]], [1, 2, 3]), "text/plain"),
    (_fit([[1, 2], [2, 1], [3, 5]], [1, 2, 3]), None),
    (_fit([[float(i)] * 50 for i in range(30)], [1.0] * 30), JSON),  # 1500 values: 413
    (_fit([[1e300], [2e300], [-3e300]], [1e300, -1e300, 2e300]), JSON),  # overflows: 422
    (_fit([[1.0, 0.5], [2.0, 0.25], [3.0, 4.0], [5.0, 1.0]], [2.0, 4.5, 6.0, 11.0]), JSON),
]


def content(r: httpx.Response) -> Any:
    """A JSON answer's value: a large body is answered by core's ASGI layer, in core's JSON
    spacing, a small one by the framework, in its own; the bytes of any other answer."""
    return r.json() if r.headers.get("content-type") == JSON else r.content


async def answers(c: httpx.AsyncClient) -> list[tuple[int, Any, str | None]]:
    got = []
    for body, content_type in BODIES:
        headers = {} if content_type is None else {"content-type": content_type}
        r = await c.post("/fit", content=body, headers=headers)
        got.append((r.status_code, content(r), r.headers.get("retry-after")))
    for path in ("/coefs", "/plot"):  # the fit kept is the last good one, whichever way
        r = await c.get(path)
        got.append((r.status_code, content(r), None))
    return got


def workers() -> set[multiprocessing.process.BaseProcess]:
    return set(multiprocessing.active_children())


async def test_a_large_body_is_answered_as_in_the_servers_process(adapter: str) -> None:
    before = workers()
    with anyio.fail_after(TIMEOUT_S):
        async with app_client(adapter, INLINE) as c:
            inline = await answers(c)
        # Nothing was large enough to leave the process: no process started. (One that was
        # already running, an earlier test's worker still stopping, may end meanwhile.)
        assert not workers() - before
        async with app_client(adapter, OFFLOADED) as c:
            offloaded = await answers(c)
            started = workers() - before
    assert started, "no body went to a worker process"
    assert offloaded == inline
    assert {status for status, _, _ in inline} == {200, 400, 413, 422}
    # The app's shutdown stopped its workers: none is left behind.
    assert not any(p.is_alive() for p in started)


async def test_a_worker_that_dies_is_a_503_and_the_next_body_starts_a_new_one(
    adapter: str,
) -> None:
    body = _fit([[1, 2], [2, 1], [3, 5]], [1, 2, 3])
    before = workers()
    with anyio.fail_after(TIMEOUT_S):
        async with app_client(adapter, OFFLOADED) as c:
            first = await c.post("/fit", content=body, headers={"content-type": JSON})
            [worker] = workers() - before
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            worker.join()
            down = await c.post("/fit", content=body, headers={"content-type": JSON})
            again = await c.post("/fit", content=body, headers={"content-type": JSON})
            started = workers() - before
    assert first.status_code == 200
    assert down.status_code == 503
    assert down.json() == {"detail": "The fitting processes are not available; try again shortly"}
    assert down.headers["retry-after"] == "5"
    assert again.status_code == 200
    assert again.json() == first.json()
    assert not any(p.is_alive() for p in started)


async def test_a_worker_yields_its_core_to_the_event_loop_at_once() -> None:
    # SCHED_IDLE: a process woken on the core (the loop's) takes it from the worker at once.
    body = _fit([[1, 2], [2, 1], [3, 5]], [1, 2, 3])
    before = workers()
    with anyio.fail_after(TIMEOUT_S):
        async with app_client("falcon", OFFLOADED) as c:
            fitted = await c.post("/fit", content=body, headers={"content-type": JSON})
            [worker] = workers() - before
            assert worker.pid is not None
            policy = os.sched_getscheduler(worker.pid)
    assert fitted.status_code == 200
    assert policy == os.SCHED_IDLE


async def test_a_worker_saves_the_fit_to_a_shared_store(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'fits.db'}"
    body = _fit([[1, 2], [2, 1], [3, 5], [4, 4]], [1, 2, 3.25, 7])
    with anyio.fail_after(TIMEOUT_S):
        async with app_client(REFERENCE, Settings(store=store, offload_bytes=1)) as c:
            fitted = await c.post("/fit", content=body, headers={"content-type": JSON})
            kept = await c.get("/coefs")
            plot = await c.get("/plot")
        async with app_client(REFERENCE, Settings(store=store, offload_bytes=1 << 30)) as c:
            inline = await c.post("/fit", content=body, headers={"content-type": JSON})
    assert fitted.status_code == 200
    assert kept.json() == fitted.json() == inline.json()
    assert plot.status_code == 200 and plot.headers["content-type"] == "image/png"


def fit_workers(pid: int) -> list[psutil.Process]:
    """The worker processes of a ProcessPoolExecutor under the process ``pid``."""
    children = psutil.Process(pid).children(recursive=True)
    return [p for p in children if any("spawn_main" in part for part in p.cmdline())]


async def test_sanic_s_own_server_sends_a_large_body_to_a_worker(tmp_path: Path) -> None:
    """Sanic's own server runs no ASGI middleware: ``sanic_app.contract.offloaded`` hands the
    body on there. In one process (``--single-process``) it may start worker processes."""
    with anyio.fail_after(TIMEOUT_S):
        async with app_client("sanic", INLINE) as c:
            inline = await answers(c)
    env = {
        "ASGI_COMPARE_MAX_CELLS": str(MAX_CELLS),
        "ASGI_COMPARE_OFFLOAD_BYTES": "1",
        "ASGI_COMPARE_FIT_PROCESSES": "1",
    }
    d = Deployment("sanic", "native", workdir=tmp_path, env=env, tuned=True)
    d.start()
    try:
        d.wait_ready(timeout=60.0)
        assert d.proc is not None
        assert not fit_workers(d.proc.pid)
        async with httpx.AsyncClient(base_url=d.base_url, timeout=TIMEOUT_S) as c:
            offloaded = await answers(c)
        started = fit_workers(d.proc.pid)
    finally:
        d.stop()
    assert started, "no body went to a worker process"
    assert offloaded == inline
