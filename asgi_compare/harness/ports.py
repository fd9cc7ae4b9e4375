"""Free loopback ports, asked of the kernel rather than picked from hand-kept bands."""

from __future__ import annotations

import atexit
import fcntl
import os
import socket
import tempfile
import threading
from pathlib import Path

# Ports handed out by any process of this user, one file each holding the owner's pid, so
# that processes running side by side (parallel test workers, two runs at once) never get the
# same port while the owner has not bound it yet.
RESERVED = Path(tempfile.gettempdir()) / f"asgi-compare-ports-{os.getuid()}"

_handed_out: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A port nothing listens on now, never the same twice in this process or in another
    process alive that asked for one here.

    As anyio's ``free_tcp_port_factory``: bind port 0, let the kernel choose, and remember the
    answer, because the kernel may offer a port again once its probing socket is closed, before
    the server that was given it has bound it (a test run plans its servers' ports up front,
    minutes before some of them start). The memory is kept in files, for other processes.

    A client's outgoing connection does not take such a port meanwhile: Linux (>= 4.2) gives
    connect() even ports and bind() to port 0 odd ones, while the even ones last.
    """
    with _lock:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port: int = sock.getsockname()[1]
            if port not in _handed_out and _reserve(port):
                _handed_out.add(port)
                return port


def _reserve(port: int) -> bool:
    """Claim ``port`` unless a live process holds it; under a lock shared by every process."""
    RESERVED.mkdir(exist_ok=True)
    with open(RESERVED / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        claim = RESERVED / str(port)
        try:
            owner = int(claim.read_text() or 0)
        except (FileNotFoundError, ValueError):
            owner = 0
        if owner and owner != os.getpid() and _alive(owner):
            return False
        claim.write_text(str(os.getpid()))
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@atexit.register
def _release() -> None:
    """Give this process's claims back; a claim left by a killed process lapses with it."""
    for port in _handed_out:
        claim = RESERVED / str(port)
        try:
            if claim.read_text() == str(os.getpid()):  # not a forked child's inherited memory
                claim.unlink()
        except FileNotFoundError:
            pass
