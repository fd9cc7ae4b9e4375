"""One app's state: its settings, greetings, item store and model, built fresh per app."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.greetings import Greetings
from core.items import ItemStore, MemoryItemStore
from core.regression import Regression
from core.settings import Settings

__all__ = ["Service"]


@dataclass(slots=True)
class Service:
    settings: Settings
    greetings: Greetings
    items: ItemStore = field(default_factory=MemoryItemStore)
    model: Regression = field(default_factory=Regression)

    @classmethod
    def create(cls, settings: Settings | None = None, items: ItemStore | None = None) -> Service:
        """Everything an adapter's ``create_app()`` needs; collaborators may be passed in."""
        settings = Settings.from_env() if settings is None else settings
        return cls(
            settings=settings,
            greetings=Greetings.from_file(settings.greetings_file),
            items=MemoryItemStore() if items is None else items,
        )
