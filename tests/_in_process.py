"""One adapter's app, its lifespan started, and an httpx client for it, in-process."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from conformance_tests._apis import client_of
from core.settings import Settings


def create_app_of(adapter: str) -> Any:
    """``adapter``'s ``create_app``."""
    return importlib.import_module(f"{adapter}_app.app").create_app


@asynccontextmanager
async def app_client(
    adapter: str, settings: Settings | None = None, peer: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh app of ``adapter`` from its ``create_app``, reached from ``peer``."""
    async with client_of(create_app_of(adapter)(settings), client=(peer, 50000)) as c:
        yield c
