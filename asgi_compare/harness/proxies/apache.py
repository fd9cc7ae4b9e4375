"""Apache httpd: mod_proxy's ``ProxyPass``, with and without ``ProxyPassReverse``."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from dataclasses import replace
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

MODULES = "/usr/lib/apache2/modules"  # Debian's apache2


class Apache(ProxyProcess):
    """Apache httpd (Debian's ``apache2``) with its own configuration file, not Debian's.

    ``ProxyPass`` with ``ProxyPassReverse``, as Apache's reverse-proxy guide pairs them;
    ``apache-no-reverse`` is ``ProxyPass`` alone. A graceful restart (SIGUSR1) reads new routes.
    """

    name = "apache"
    install = Install("apache2", debian="apache2")
    clear_syntax = "apache"
    reload_signal = signal.SIGUSR1
    reverse: ClassVar[bool] = True
    modes: ClassVar[Mapping[str, Behaviour]] = {
        "strip": Behaviour(
            "1.1",
            "upstream",
            headers("pass", "append", "pass", "append"),
            upstream_location="rewritten",
        ),
        "forwarded": Behaviour(
            "1.1",
            "upstream",
            headers("set", "append", "set", "append"),
            upstream_location="rewritten",
        ),
        "keep": Behaviour("1.1", "upstream", headers("pass", "append", "pass", "append")),
    }

    @property
    def error_log(self) -> Path:
        return self.workdir / "apache-error.log"

    def config(self, routes: list[Route]) -> str:
        # As root, httpd's children must run as someone else; they only pass requests on.
        user = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
        main = fill(templates.APACHE_MAIN, workdir=self.workdir, modules=MODULES, user=user)
        return main + "".join(self.route_config(r) for r in routes)

    def route_config(self, route: Route) -> str:
        values = self.values(route)
        reverse = fill(templates.APACHE_REVERSE[route.mode], **values) if self.reverse else ""
        vhost = templates.APACHE_VHOSTS[route.mode]
        return fill(vhost, reverse=reverse, upgrade=templates.APACHE_UPGRADE, **values)

    def command(self) -> list[str]:
        return [self.binary(), "-f", str(self.config_path), "-DFOREGROUND"]


class ApacheNoReverse(Apache):
    """``ProxyPass`` without ``ProxyPassReverse``: a Location naming the upstream goes out as is."""

    name = "apache-no-reverse"
    reverse = False
    modes: ClassVar[Mapping[str, Behaviour]] = {
        mode: replace(behaviour, upstream_location="kept")
        for mode, behaviour in Apache.modes.items()
    }
