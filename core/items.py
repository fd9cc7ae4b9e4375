"""The item store: ids are ints from 0, handed out once and never reused."""

from __future__ import annotations

import threading
from typing import Any, Protocol

from core.errors import ItemNotFound, NegativeItemId
from core.models import Item, StoredItem

__all__ = ["ItemStore", "MemoryItemStore", "checked_id"]


class ItemStore(Protocol):
    """Blocking calls: adapters make them off the event loop (the SQLite store does file I/O)."""

    def add(self, item: Item) -> StoredItem: ...
    def page(self, offset: int, limit: int) -> list[StoredItem]: ...
    def get(self, item_id: int) -> StoredItem: ...
    def replace(self, item_id: int, item: Item) -> StoredItem: ...
    def update(self, item_id: int, changes: dict[str, Any]) -> StoredItem: ...
    def delete(self, item_id: int) -> None: ...


def checked_id(item_id: int) -> int:
    if item_id < 0:
        raise NegativeItemId()
    return item_id


class MemoryItemStore:
    """Items in this process's memory, safe to use from several threads."""

    def __init__(self) -> None:
        self._items: dict[int, Item] = {}  # dicts keep insertion order
        self._next_id = 0
        self._lock = threading.Lock()

    def add(self, item: Item) -> StoredItem:
        with self._lock:
            item_id = self._next_id
            self._next_id += 1
            self._items[item_id] = item
        return StoredItem(id=item_id, **item.model_dump())

    def page(self, offset: int, limit: int) -> list[StoredItem]:
        with self._lock:
            page = list(self._items.items())[offset : offset + limit]
        return [StoredItem(id=i, **item.model_dump()) for i, item in page]

    def get(self, item_id: int) -> StoredItem:
        item = self._items.get(checked_id(item_id))
        if item is None:
            raise ItemNotFound()
        return StoredItem(id=item_id, **item.model_dump())

    def replace(self, item_id: int, item: Item) -> StoredItem:
        with self._lock:
            if checked_id(item_id) not in self._items:
                raise ItemNotFound()
            self._items[item_id] = item
        return StoredItem(id=item_id, **item.model_dump())

    def update(self, item_id: int, changes: dict[str, Any]) -> StoredItem:
        with self._lock:
            current = self._items.get(checked_id(item_id))
            if current is None:
                raise ItemNotFound()
            updated = current.model_copy(update=changes)
            self._items[item_id] = updated
        return StoredItem(id=item_id, **updated.model_dump())

    def delete(self, item_id: int) -> None:
        with self._lock:
            if self._items.pop(checked_id(item_id), None) is None:
                raise ItemNotFound()
