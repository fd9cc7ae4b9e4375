"""What runs things: the registry of names, free ports, server processes and proxies.

Used by the CLI, the bench, the proxy report and the conformance suite; it imports none of
them, nor pytest, and needs nothing beyond the base install (the standard library and
packaging) until it measures memory (psutil).
"""

from __future__ import annotations

from asgi_compare.harness.deployment import Deployment
from asgi_compare.harness.ports import free_port
from asgi_compare.harness.processes import group_alive, peak_memory
from asgi_compare.harness.proxies import PROXIES, Nginx, Proxy, Route
from asgi_compare.harness.registry import (
    DISTRIBUTIONS,
    FRAMEWORKS,
    PREFIX,
    PROXY_MODES,
    REFERENCE,
    SERVERS,
    AppKind,
    applies,
    entrypoint,
    installed_versions,
)
from asgi_compare.harness.servers import server_command

__all__ = [
    "DISTRIBUTIONS",
    "FRAMEWORKS",
    "PREFIX",
    "PROXIES",
    "PROXY_MODES",
    "REFERENCE",
    "SERVERS",
    "AppKind",
    "Deployment",
    "Nginx",
    "Proxy",
    "Route",
    "applies",
    "entrypoint",
    "free_port",
    "group_alive",
    "installed_versions",
    "peak_memory",
    "server_command",
]
