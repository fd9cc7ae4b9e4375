"""With ``ASGI_COMPARE_API_KEY`` set, 401 to any request outside the docs that lacks the key.

Decided before routing, so that unknown paths reveal nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from core.errors import Unauthorized
from core.head import RequestHead

__all__ = ["ApiKey"]

# What a client may load without the key: the redirect to the docs, the docs page, its files
# and the OpenAPI document it renders.
_OPEN_PATHS = frozenset(("/", "/docs", "/openapi.json"))
_OPEN_PREFIX = "/docs/static/"
_KEY_SCHEMES = ("key", "bearer")  # Posit Connect's "Key <key>", and the usual "Bearer <key>"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest()


class ApiKey:
    def __init__(self, key: str) -> None:
        self._key = _digest(key)

    def refuses(self, head: RequestHead, route_path: str) -> Unauthorized | None:
        if self._open(route_path) or self._admits(head.header(b"authorization")):
            return None
        return Unauthorized()

    @staticmethod
    def _open(route_path: str) -> bool:
        path = route_path.rstrip("/") or "/"
        return path in _OPEN_PATHS or route_path.startswith(_OPEN_PREFIX)

    def _admits(self, credentials: str | None) -> bool:
        """``Key <key>`` or ``Bearer <key>``, compared in constant time (as digests)."""
        scheme, _, token = (credentials or "").strip().partition(" ")
        if scheme.lower() not in _KEY_SCHEMES:
            token = ""  # still compared, so that a wrong scheme takes as long as a wrong key
        return hmac.compare_digest(_digest(token.strip()), self._key)
