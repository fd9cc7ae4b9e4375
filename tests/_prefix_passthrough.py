"""A pytest plugin (``-p tests._prefix_passthrough``) that makes ``PrefixMiddleware`` hand every
request on as it came: what the adapters would do if their prefix were applied anywhere else."""

from __future__ import annotations

import pytest

from core.head import Receive, Scope, Send
from core.prefix import PrefixMiddleware


async def _pass_through(self: PrefixMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
    await self.app(scope, receive, send)


def pytest_configure(config: pytest.Config) -> None:
    PrefixMiddleware.__call__ = _pass_through  # type: ignore[method-assign]
