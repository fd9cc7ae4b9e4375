"""What the simple routes answer, written once for the four adapters."""

from __future__ import annotations

import asyncio

from core.models import AddResult, Message, StoredItem, UserEcho

__all__ = ["add", "async_route", "hello", "item_location", "user"]


def hello() -> Message:
    return Message(message="Hello World")


def add(x: int, y: int) -> AddResult:
    return AddResult(result=x + y)


def user(user_id: int, name: str | None) -> UserEcho:
    return UserEcho(user_id=user_id, name=name)


async def async_route(delay: float) -> Message:
    await asyncio.sleep(delay)
    return Message(message="This is an asynchronous route")


def item_location(stored: StoredItem) -> str:
    """Relative to the app, as every Location a handler writes: the contract adds the prefix."""
    return f"/items/{stored.id}"
