"""The load generator of ``asgi-compare bench``'s live routes, a process of its own as wrk is
(on CPU 1 when pinned): ``python -m asgi_compare.live_load MODE URL [options]`` prints its
result as one JSON line, or ``{"error": ...}``. Outside the bench package, whose import loads
the whole bench: this one loads the standard library, then the client it uses (websockets,
httpx) and psutil, so that a run starts quickly.

- ``echo``: ``--connections`` WebSockets to ``URL/ws`` (subprotocol asgi-compare.v1, hello
  read), all open before the clock starts; each then sends a text, waits for its echo and
  sends again until ``--duration`` has passed. Round trips counted, every echo checked.
- ``events``: ``GET URL/events?count=100&interval=0`` read to the end, again and again on one
  connection, for ``--duration``. Events counted, each stream's count checked.
- ``idle``: ``--connections`` WebSockets opened (handshake and hello read, 50 at a time) and
  held open; prints ``{"opened": N, ...}`` once they are, then closes them all when a line
  (or the end) comes on its standard input.

``--pids`` names the server's processes: their CPU time over the measured span is reported
(``server_cpu_s``), beside the client's own (``client_cpu_s``), so a result says which side
was the limit. The soft limit of open files is raised to what the connections need, up to the
hard limit; above it the result is an error saying so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

# The contract's (core.live), written here to keep its pydantic models out of this process's
# start; tests/test_bench.py checks that they agree.
SUBPROTOCOL = "asgi-compare.v1"
MESSAGE = "ping"
ECHO = json.dumps({"type": "echo", "text": MESSAGE})  # core.live.reply(MESSAGE)
EVENTS_QUERY = {"count": 100, "interval": 0}
EVENTS_COUNT = EVENTS_QUERY["count"]
OPENING = 50  # handshakes in flight at once: a server's listen backlog may be 100 (hypercorn)
SPARE_FILES = 64  # open files besides the connections (the interpreter, its libraries)
GUARD_S = 60.0  # a hang guard on every handshake and read, not a deadline
# The websockets client's options, here and where the bench checks the apps' answers: no
# proxy from the environment, no compression offered (a server would spend its time in zlib),
# no pings during a run.
CLIENT: dict[str, Any] = {
    "subprotocols": [SUBPROTOCOL],
    "compression": None,
    "proxy": None,
    "open_timeout": GUARD_S,
    "ping_interval": None,
    "max_size": None,
}


def raise_file_limit(connections: int) -> str:
    """Raise the soft RLIMIT_NOFILE to what ``connections`` sockets need; "" when it fits,
    else why it cannot."""
    needed = connections + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed or soft == resource.RLIM_INFINITY:
        return ""
    if hard != resource.RLIM_INFINITY and hard < needed:
        return (
            f"the open-file limit is {hard} (hard), below the {needed} that {connections} "
            "connections need: raise it (ulimit -Hn) to measure them"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return ""


def _server_cpu(pids: Sequence[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def _open(url: str) -> ClientConnection:
    from websockets.asyncio.client import connect

    ws = await connect(url, **CLIENT)
    hello = json.loads(await asyncio.wait_for(ws.recv(), GUARD_S))
    if hello.get("type") != "hello":
        raise RuntimeError(f"the first message is not a hello: {str(hello)[:80]}")
    return ws


async def _open_all(url: str, count: int) -> list[ClientConnection]:
    gate = asyncio.Semaphore(OPENING)

    async def one() -> ClientConnection:
        async with gate:
            return await _open(url)

    return await asyncio.gather(*(one() for _ in range(count)))


async def _closed(connections: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True)


def _ws_url(url: str) -> str:
    return "ws" + url.removeprefix("http") + "/ws"


async def echo(url: str, connections: int, duration: float, pids: Sequence[int]) -> dict[str, Any]:
    opened = await _open_all(_ws_url(url), connections)
    counts = [0] * connections
    wrong = [0] * connections
    cpu, server = time.process_time(), _server_cpu(pids)
    began = time.perf_counter()
    deadline = began + duration

    async def loop(i: int, ws: ClientConnection) -> None:
        while time.perf_counter() < deadline:
            await ws.send(MESSAGE)
            got = await asyncio.wait_for(ws.recv(), GUARD_S)
            counts[i] += 1
            wrong[i] += got != ECHO

    await asyncio.gather(*(loop(i, ws) for i, ws in enumerate(opened)))
    seconds = time.perf_counter() - began
    server = _server_cpu(pids) - server
    cpu = time.process_time() - cpu
    await _closed(opened)
    return _result(sum(counts), seconds, cpu, server, errors=sum(wrong))


def events(url: str, duration: float, pids: Sequence[int]) -> dict[str, Any]:
    import httpx

    count = EVENTS_COUNT
    total = wrong = 0
    with httpx.Client(base_url=url, timeout=GUARD_S) as client:
        client.get("/events", params=EVENTS_QUERY).raise_for_status()  # the connection open
        cpu, server = time.process_time(), _server_cpu(pids)
        began = time.perf_counter()
        while time.perf_counter() - began < duration:
            answer = client.get("/events", params=EVENTS_QUERY)
            got = answer.content.count(b"event: tick")
            total += got
            wrong += answer.status_code != 200 or got != count
        seconds = time.perf_counter() - began
        server = _server_cpu(pids) - server
        cpu = time.process_time() - cpu
    return _result(total, seconds, cpu, server, errors=wrong)


def _result(count: int, seconds: float, cpu: float, server: float, errors: int) -> dict[str, Any]:
    return {
        "count": count,
        "seconds": round(seconds, 4),
        "client_cpu_s": round(cpu, 4),
        "server_cpu_s": round(server, 4),
        "errors": errors,
    }


async def idle(url: str, connections: int, say: Callable[[str], None]) -> None:
    """Open, say so, hold until a line on stdin, close."""
    began = time.perf_counter()
    opened = await _open_all(_ws_url(url), connections)
    seconds = round(time.perf_counter() - began, 3)
    say(json.dumps({"opened": len(opened), "seconds": seconds}))
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await _closed(opened)
    say(json.dumps({"closed": len(opened)}))


def _run(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """On uvloop where it is installed, as the servers run: the client's own ceiling higher."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asgi_compare.live_load")
    parser.add_argument("mode", choices=("echo", "events", "idle"))
    parser.add_argument("url", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=1.0)
    parser.add_argument("--pids", default="", help="the server's processes, comma-separated")
    args = parser.parse_args(argv)
    pids = [int(p) for p in args.pids.split(",") if p]

    def say(line: str) -> None:
        print(line, flush=True)  # noqa: T201 -- the result, for the bench to read

    limit = raise_file_limit(args.connections)
    if limit:
        say(json.dumps({"error": limit}))
        return 1
    try:
        if args.mode == "echo":
            say(json.dumps(_run(lambda: echo(args.url, args.connections, args.duration, pids))))
        elif args.mode == "events":
            say(json.dumps(events(args.url, args.duration, pids)))
        else:
            _run(lambda: idle(args.url, args.connections, say))
    except Exception as exc:  # any failure is the run's result, for the bench to report
        say(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
