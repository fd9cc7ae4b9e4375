"""One app's state: its settings, greetings, item store and model, built fresh per app."""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass, field

from core.greetings import Greetings
from core.items import ItemStore, MemoryItemStore
from core.offload import FitPool
from core.regression import Regression
from core.settings import Settings
from core.store import open_stores

__all__ = ["WARM_UP_DELAY_S", "Service"]

WARM_UP_DELAY_S = 0.25


@dataclass(slots=True)
class Service:
    settings: Settings
    greetings: Greetings
    items: ItemStore = field(default_factory=MemoryItemStore)
    model: Regression = field(default_factory=Regression)
    # Large /fit bodies go to worker processes (core.offload), started on the first one.
    fit_pool: FitPool = field(init=False)

    def __post_init__(self) -> None:
        self.fit_pool = FitPool(self.model, self.settings)

    @classmethod
    def create(cls, settings: Settings | None = None, items: ItemStore | None = None) -> Service:
        """Everything an adapter's ``create_app()`` needs; collaborators may be passed in.

        The stores are the ones ``settings.store`` names (``ASGI_COMPARE_STORE``).
        """
        settings = Settings.from_env() if settings is None else settings
        item_store, model_store = open_stores(settings)
        return cls(
            settings=settings,
            greetings=Greetings.from_file(settings.greetings_file),
            items=item_store if items is None else items,
            model=Regression(model_store, max_cells=settings.max_cells),
        )

    def close(self) -> None:
        """Called from each adapter's shutdown hook: stops the worker processes, if any."""
        self.fit_pool.close()

    def warm_up(self) -> threading.Thread:
        """Import NumPy, scikit-learn and matplotlib in the background, then freeze the heap.

        Called from each adapter's start-up hook: the app starts without them (fast cold start)
        and the first /fit or /plot does not wait for them (about 3 s on a small machine).
        The imports begin ``WARM_UP_DELAY_S`` after start-up, once the server listens: they
        hold the GIL for long stretches (extension modules initialise without releasing it),
        which delayed the first answers (health checks, readiness probes) by 15 to 45 ms.
        """
        thread = threading.Timer(WARM_UP_DELAY_S, _import_scientific_stack)
        thread.name, thread.daemon = "warm-up", True
        thread.start()
        return thread


def _import_scientific_stack() -> None:
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401
    import numpy  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    # The stack leaves several hundred thousand long-lived objects that every full garbage
    # collection would scan again: measured on Quart, GET /hello's p99 fell from 130 ms to
    # 8 ms and its throughput nearly doubled once they were frozen out of collection.
    gc.freeze()
