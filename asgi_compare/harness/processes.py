"""Child processes: each in its own process group, stopped with all its children.

Servers fork workers (Sanic's and granian's managers, hypercorn's and uvicorn's supervisors),
so signalling the leader is not enough; every process started here is also stopped at
interpreter exit, when a run fails or is interrupted.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

_LIVE: set[subprocess.Popen[bytes]] = set()


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` with ``env`` added to ours, stdout and stderr appended to ``log``."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,  # its own process group: stopped with all its workers
        )
    _LIVE.add(proc)
    return proc


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is left (zombies included, until reaped)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left after ``timeout``.

    Waiting for the leader is not enough: Sanic's and granian's managers exit while their
    workers are still shutting down.
    """
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, or the group stays "alive" as a zombie
        if not group_alive(proc.pid):
            break
        time.sleep(0.05)
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    _LIVE.discard(proc)


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE):
        stop(proc, timeout=2.0)


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Until something listens on ``port``; raises with the log's tail if ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}:\n{tail(log)}")
        if listening(port):
            return
        time.sleep(0.05)
    stop(proc)  # a server that never listens is not left running
    raise RuntimeError(f"not listening on {port} after {timeout:.0f}s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    """The last lines of a log, for an error message."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def peak_memory(pid: int) -> int:
    """Bytes: the peak resident memory (VmHWM) of a process and its descendants, summed.

    The peak, not the current size, so a test can tell whether a request ever made the server
    hold something large; summed, because a server's workers are its children.
    """
    import psutil  # only the tools that measure need it (the ``serve`` extra)

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:  # exited meanwhile
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) * 1024  # reported in kB
    return total
