"""Reverse proxies in front of deployments, one class each, and the registry of them.

A deployment registers its route with ``proxy.add(mode, upstream_port)``, which returns the
port the proxy listens on for it, and ``proxy.serve(listen)`` when it starts. Each class
declares, as data read without starting anything, the modes it supports (each with what it
does to a request: ``Behaviour``) and how it is installed. A new proxy is one more class and
one entry in ``PROXIES``; its configuration templates live in ``templates``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from asgi_compare.harness.proxies.apache import Apache, ApacheNoReverse
from asgi_compare.harness.proxies.base import (
    CONTEXT,
    FORWARDED,
    Behaviour,
    Handling,
    Install,
    Proxy,
    ProxyProcess,
    Route,
)
from asgi_compare.harness.proxies.caddy import Caddy
from asgi_compare.harness.proxies.haproxy import HAProxy
from asgi_compare.harness.proxies.jupyter import JupyterServerProxy
from asgi_compare.harness.proxies.nginx import ConnectEmulation, Nginx, NginxDefault, nginx_binary
from asgi_compare.harness.proxies.traefik import Traefik

PROXIES: dict[str, type[Proxy]] = {
    cls.name: cls
    for cls in (
        Nginx,
        NginxDefault,
        Traefik,
        Caddy,
        Apache,
        ApacheNoReverse,
        HAProxy,
        JupyterServerProxy,
        ConnectEmulation,
    )
}


def proxies_in(workdir: Path, names: Iterable[str]) -> dict[str, Proxy]:
    """One proxy of each name, each in a directory of its own below ``workdir``: two of one
    program (Apache with and without ProxyPassReverse) would otherwise share a pid file."""
    made: dict[str, Proxy] = {}
    for name in dict.fromkeys(names):
        (workdir / name).mkdir(exist_ok=True)
        made[name] = PROXIES[name](workdir / name)
    return made


__all__ = [
    "CONTEXT",
    "FORWARDED",
    "PROXIES",
    "Apache",
    "ApacheNoReverse",
    "Behaviour",
    "Caddy",
    "ConnectEmulation",
    "HAProxy",
    "Handling",
    "Install",
    "JupyterServerProxy",
    "Nginx",
    "NginxDefault",
    "Proxy",
    "ProxyProcess",
    "Route",
    "Traefik",
    "nginx_binary",
    "proxies_in",
]
