"""The scheme, host and client a trusted proxy forwards (``X-Forwarded-Proto``, ``-Host``,
``-For``), put where the app reads them: the scope's ``scheme``, ``Host`` header and ``client``.
What the app then sees, ``/about`` reports.

Of a list, the scheme and host are the last element, the one the app's peer added
(:func:`core.head.nearest`, werkzeug ``ProxyFix``'s rule for one proxy); the client is the
nearest address in ``X-Forwarded-For`` that is not a trusted proxy (uvicorn's rule, which also
walks back through a chain of trusted proxies). A value the peer passed on from its client
unchanged cannot be told from one it set: a proxy in front of the app must set or clear each
of these headers (docs/proxy.md)."""

from __future__ import annotations

from typing import NamedTuple

from core.head import RequestHead, Scope, nearest
from core.trust import TrustedPeers

__all__ = ["Forwarded", "ForwardedFacts"]


class ForwardedFacts(NamedTuple):  # per request: a NamedTuple, as RequestHead (core/head.py)
    scheme: str | None = None
    host: str | None = None
    client: str | None = None


class Forwarded:
    def __init__(self, trusted: TrustedPeers | None = None) -> None:
        self.trusted = TrustedPeers() if trusted is None else trusted

    def of(self, head: RequestHead) -> ForwardedFacts | None:
        """What a trusted peer forwards; None when it forwards nothing or is not trusted."""
        sent = head.forwarded
        if not sent or not self.trusted.trusts(head.peer):
            return None
        proto = nearest(sent.get("proto", "")).lower()
        chain = sent.get("for")
        scheme = proto if proto in ("http", "https") else None
        host = nearest(sent.get("host", "")) or None
        client = (self.trusted.client_of(chain) or None) if chain else None
        if scheme is None and host is None and client is None:
            return None
        return ForwardedFacts(scheme, host, client)

    @staticmethod
    def apply(scope: Scope, facts: ForwardedFacts) -> None:
        """Into a scope of the contract's own (a copy): the server's is left as it came."""
        if facts.scheme:
            scope["scheme"] = facts.scheme
        if facts.client:
            scope["client"] = (facts.client, 0)
        if facts.host:
            host = facts.host.encode("latin-1")
            headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() != b"host"]
            scope["headers"] = [(b"host", host), *headers]
