"""HAProxy: ``http-request replace-path`` and ``option forwardfor``."""

from __future__ import annotations

import signal
from collections.abc import Mapping
from typing import ClassVar

from asgi_compare.harness.proxies import templates
from asgi_compare.harness.proxies.base import Behaviour, Install, ProxyProcess, headers


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

    config_name = "haproxy.cfg"
    global_template = templates.HAPROXY_GLOBAL
    route_templates = templates.HAPROXY_PROXIES

    def command(self) -> list[str]:
        # -W: master-worker, so a reload keeps the process; -db: foreground.
        return [self.binary(), "-W", "-db", "-f", str(self.config_path)]
