"""HAProxy: ``http-request replace-path`` and ``option forwardfor``."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

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


class HAProxy(ProxyProcess):
    """HAProxy (Debian's ``haproxy``) in master-worker mode: SIGUSR2 reloads its configuration."""

    name = "haproxy"
    install = Install("haproxy", debian="haproxy")
    clear_syntax = "haproxy"
    reload_signal = signal.SIGUSR2
    modes: ClassVar[Mapping[str, Behaviour]] = {
        "strip": Behaviour("1.1", "client", headers("pass", "pass", "pass", "append")),
        "forwarded": Behaviour("1.1", "client", headers("set", "set", "set", "append")),
        "keep": Behaviour("1.1", "client", headers("pass", "pass", "pass", "append")),
    }

    @property
    def config_path(self) -> Path:
        return self.workdir / "haproxy.cfg"

    def config(self, routes: list[Route]) -> str:
        return templates.HAPROXY_GLOBAL + "".join(self.route_config(r) for r in routes)

    def route_config(self, route: Route) -> str:
        template = templates.HAPROXY_PROXIES[route.mode]
        return fill(
            template,
            listen=route.listen,
            port=route.upstream,
            prefix=PREFIX,
            clear=self.clear_lines(route.mode),
        )

    def command(self) -> list[str]:
        # -W: master-worker, so a reload keeps the process; -db: foreground.
        return [self.binary(), "-W", "-db", "-f", str(self.config_path)]
