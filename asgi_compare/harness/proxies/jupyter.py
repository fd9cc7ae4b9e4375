"""jupyter-server-proxy's standalone proxy, the way a JupyterHub user reaches a server."""

from __future__ import annotations

import http.client
import shlex
import time
from collections.abc import Mapping
from typing import ClassVar

from asgi_compare.harness import processes
from asgi_compare.harness.proxies import templates
from asgi_compare.harness.proxies.base import Behaviour, Install, Proxy, Route, fill, headers
from asgi_compare.harness.registry import PREFIX


class JupyterServerProxy(Proxy):
    """``jupyter standaloneproxy`` wrapped around the server's command, as people run it.

    It starts the server itself, as its child, and only when the first request arrives, so it
    is no process of its own here: ``wrap`` turns a deployment's server command into the
    proxy's, the deployment spawns that (one proxy per deployment; its peak memory counts the
    proxy too), and ``serve`` sends the first request. ``--server-port`` keeps the server on
    the deployment's port (the server's own ``--port`` agrees). ``--no-authentication``: there
    is no JupyterHub to ask.
    """

    name = "jupyter-server-proxy"
    install = Install("jupyter-standaloneproxy", pip="jupyter-server-proxy[standalone]")
    # It completes the client's handshake, answering with the first subprotocol offered, before
    # it opens its own to the server (jupyterhub/jupyter-server-proxy#459; the server's choice
    # is only logged as a warning). And it passes an answer on as it comes only to a request
    # whose Accept is exactly text/event-stream (ProxyHandler.proxy, #479); any other answer it
    # reads whole first (#502).
    # A handshake the app refuses reaches the client as that 101, then a close; and a close
    # the app sends, whatever its code, reaches the client without one (1005), as the
    # conformance suite sees it (conformance_tests/test_live.py).
    # And it sets X-Forwarded-Prefix, -Context and X-ProxyContextPath on HTTP requests only
    # (ProxyHandler._build_proxy_request); a WebSocket's handshake to the server has the
    # client's headers alone (proxy_open, jupyter_server_proxy/handlers.py, 4.6).
    subprotocol = "first offered"
    handshake = "proxy's"
    forwards_prefix_on_websocket = False
    close_code = "none"
    event_stream = "streamed if asked"
    modes: ClassVar[Mapping[str, Behaviour]] = {
        # It sends X-Forwarded-Prefix, -Context and X-ProxyContextPath with a trailing slash,
        # and prefixes path-only Locations; with --absolute-url it does neither.
        mode: Behaviour(
            "1.1",
            "client",
            headers("set", "pass", "pass", "pass"),
            location="prefixed",
            prefix_value=f"{PREFIX}/",
            context="set",
        )
        for mode in ("strip", "forwarded")
    } | {
        "keep": Behaviour("1.1", "client", headers("pass", "pass", "pass", "pass")),
    }

    def arguments(self, route: Route) -> list[str]:
        """The proxy's own options for one route, as a user gives them."""
        own = [fill(a, prefix=PREFIX) for a in templates.JUPYTER_ARGS[route.mode]]
        return [f"--port={route.listen}", *own]

    def route_config(self, route: Route) -> str:
        """The command line a user runs, before the server's (which listens on ``{port}``)."""
        return shlex.join(["jupyter", "standaloneproxy", *self.arguments(route), "--"])

    def wrap(self, listen: int, server: list[str]) -> list[str]:
        route = self.routes[listen]
        return [
            self.binary(),
            *self.arguments(route),
            "--address=127.0.0.1",
            f"--server-port={route.upstream}",
            "--no-authentication",
            "--activity-interval=0",  # no hub to report activity to
            "--timeout=60",  # seconds for the server to answer its first request
            "--",
            *server,
        ]

    def serve(self, listen: int) -> None:
        """Until the proxy listens, then one request through it, which starts the server."""
        deadline = time.monotonic() + 60.0
        while not processes.listening(listen):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: not listening on {listen} after 60s")
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", listen, timeout=90.0)
        try:
            conn.request("GET", f"{PREFIX}/")
            conn.getresponse().read()  # any answer: the server has started
        finally:
            conn.close()

    def stop(self) -> None:
        """Nothing: each proxy is stopped with the deployment that spawned it."""
