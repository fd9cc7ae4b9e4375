"""Child processes: each in its own process group, stopped with all its children.

Servers fork workers (Sanic's and granian's managers, hypercorn's and uvicorn's supervisors),
so signalling the leader is not enough; every process started here is also stopped at
interpreter exit, when a run fails or is interrupted.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

_LIVE: set[subprocess.Popen[bytes]] = set()


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` with ``env`` added to ours, stdout and stderr appended to ``log``."""
    _adopt_orphans()
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


def _adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux's child subreaper).

    A server's workers outlive a SIGKILLed supervisor as orphans. They are handed to the
    nearest subreaper, else to PID 1; a container's PID 1 is often no init and never reaps
    them (Docker without ``--init``), so they would stay zombies. As the subreaper, ``stop()``
    reaps them itself. Elsewhere nothing changes: zombies are told apart from the living.
    """
    global _ADOPTING
    if _ADOPTING or not sys.platform.startswith("linux"):
        return
    _ADOPTING = True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl here: orphans go to PID 1, as before
        pass


_ADOPTING = False
_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def group_members(pgid: int) -> dict[int, str]:
    """Each process of the group, with its state as ``/proc`` gives it (``Z``: a zombie).

    Where there is no ``/proc``, every member is reported alive (``?``) while the group exists.
    """
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return {}
        return {pgid: "?"}
    members = {}
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid:
            members[int(entry.name)] = _state(entry, state)
    return members


def _state(entry: Path, state: str) -> str:
    """The process's state, or a thread's while one still runs after its leader ended.

    SIGKILL makes a process's main thread a zombie before its other threads have exited, and
    the files they share (a listening socket among them) stay open until the last one has:
    such a process has not ended yet.
    """
    if state not in _ENDED:
        return state
    try:
        tasks = list((entry / "task").iterdir())
    except OSError:  # reaped meanwhile
        return state
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:  # this thread exited meanwhile
            continue
        thread_state = stat[stat.rindex(")") + 2 :].split()[0]
        if thread_state not in _ENDED:
            return thread_state
    return state


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running: a zombie has ended, and counts not.

    ``killpg(pgid, 0)`` succeeds while a zombie of the group waits for its parent to reap it,
    which may be never where PID 1 does not reap.
    """
    return any(state not in _ENDED for state in group_members(pgid).values())


_ENDED = frozenset("ZX")  # zombie, dead


def reap(pgid: int) -> None:
    """Collect the group's zombies that are this process's children (see ``_adopt_orphans``).

    Not the leader (its pid is the group's): its ``Popen`` collects it, with its exit status.
    """
    for pid, state in group_members(pgid).items():
        if state in _ENDED and pid != pgid:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # another parent's, or already collected
                pass


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left after ``timeout``; returns
    once no process of the group runs, and its zombies that are ours are reaped.

    Waiting for the leader is not enough: Sanic's and granian's managers exit while their
    workers are still shutting down.
    """
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    if _ended(proc, timeout):
        proc.wait()
        _LIVE.discard(proc)
    else:
        kill(proc)


def kill(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGKILL to every process of the group at once: nothing gets to flush or clean up.

    Returns once none runs; raises if one outlives SIGKILL by ``timeout`` (stuck in the
    kernel), rather than report a group stopped that is not.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if not _ended(proc, timeout):
        raise RuntimeError(f"process group {proc.pid} outlived SIGKILL: {group_members(proc.pid)}")
    proc.wait()
    _LIVE.discard(proc)


def _ended(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether every process of ``proc``'s group ends within ``timeout``, reaping as they do."""
    deadline = time.monotonic() + timeout
    while True:
        proc.poll()  # reap the leader
        reap(proc.pid)
        if not group_alive(proc.pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE):
        try:
            stop(proc, timeout=2.0)
        except RuntimeError as exc:  # said, and the others still stopped
            print(f"asgi-compare: {exc}", file=sys.stderr)  # noqa: T201


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
