"""Free loopback ports, asked of the kernel rather than picked from hand-kept bands."""

from __future__ import annotations

import socket
import threading

_handed_out: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A port nothing listens on now, never the same twice in this process.

    As anyio's ``free_tcp_port_factory``: bind port 0, let the kernel choose, and remember the
    answer, because the kernel may offer a port again once its probing socket is closed, before
    the server that was given it has bound it.

    A client's outgoing connection does not take such a port meanwhile: Linux (>= 4.2) gives
    connect() even ports and bind() to port 0 odd ones, while the even ones last.
    """
    with _lock:
        while True:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port: int = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
