"""The ``/about`` answer, built once here; each adapter passes what its request says."""

from __future__ import annotations

import functools
from importlib.metadata import version

from core.models import About

__all__ = ["about"]


_HTTP_SCHEME = {"ws": "http", "wss": "https"}


@functools.cache  # reading a distribution's metadata takes about 0.1 ms
def _version(framework: str) -> str:
    return version(framework)


def about(
    framework: str, *, root_path: str, scheme: str, host: str | None, client: str | None
) -> About:
    """``framework`` is the adapter's distribution name; its version is the installed one.
    Asked on a WebSocket (``ws``, ``wss``), it answers what ``GET /about`` would: ``http``,
    ``https``."""
    return About(
        framework=framework,
        framework_version=_version(framework),
        root_path=root_path,
        scheme=_HTTP_SCHEME.get(scheme, scheme),
        host=host or "",
        client=client or None,
    )
