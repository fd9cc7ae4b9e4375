"""Which peers' ``X-Forwarded-*`` headers are believed: uvicorn's ``--forwarded-allow-ips`` rule."""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Iterable

__all__ = ["TrustedPeers"]

logger = logging.getLogger("asgi_compare")

_Net = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedPeers:
    """Addresses or networks, or ``"*"`` for any peer; an entry that is neither is logged and
    left out. With no entries nobody is trusted."""

    def __init__(self, allow: Iterable[str] = ("127.0.0.1",)) -> None:
        allow = tuple(allow)
        nets: list[_Net] = []
        for entry in allow:
            if entry != "*":
                try:
                    nets.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    logger.warning("ignoring forwarded-allow entry %r: not an IP or network", entry)
        self.anyone = "*" in allow
        self.nets = tuple(nets)

    def trusts(self, peer: str | None) -> bool:
        return _trusts(peer or "", self.anyone, self.nets)

    def client_of(self, chain: str) -> str:
        """The nearest address in an ``X-Forwarded-For`` chain that is not a trusted proxy."""
        hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else ""


@functools.lru_cache(maxsize=4096)  # a few peers ask again and again: parse each address once
def _trusts(peer: str, anyone: bool, nets: tuple[_Net, ...]) -> bool:
    if anyone:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in net for net in nets)
