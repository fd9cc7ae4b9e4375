"""Large /fit bodies, decoded, validated and fitted in worker processes, off the event loop.

The standard json module and pydantic-core hold the GIL while they turn a 20 MB body into a
million floats and check them (about half a second on a small machine), and a thread does not
help while they hold it: every other request of the process waits. :class:`FitPool` hands such
a body (in a file in /dev/shm) to a ``ProcessPoolExecutor``, whose processes read it with the
adapters' own rules (:class:`core.validation.RequestParser`, which answers as FastAPI does),
fit it with :func:`core.regression.fit_of` and answer with the coefficients, or with the error
to raise.
A body up to ``offload_bytes`` stays in the server's process, where it costs less than the trip.
The one place that hands a body on is core's ASGI layer (``core.asgi``), for all four adapters,
before any framework reads it; on Sanic's own server, ``sanic_app.contract`` asks the same
:meth:`FitPool.offloads`.

The processes run under Linux's ``SCHED_IDLE`` policy (elsewhere at ``nice 19``): on a core they
share with the event loop (the bench pins the server to one), they take the time the loop
leaves, and the loop's process, woken by a request, takes the core from them at once. At
``nice 19`` alone it waited for the scheduler's next turn, up to a few milliseconds. With the memory
store, the training data come back as NumPy arrays, one buffer each, and the fit is saved here;
with SQLite or PostgreSQL the worker saves it itself. A worker that dies is a 503
(:class:`FitPoolUnavailable`), and the next large body starts a new pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import ApiError, StoreUnavailable
from core.models import Coefs, FitData
from core.regression import MemoryModelStore, ModelStore, Regression, fit_of
from core.routes import operation
from core.settings import MEMORY, Settings
from core.store import open_stores
from core.validation import RequestParser

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["OFFLOADED", "FitPool", "FitPoolUnavailable"]

OFFLOADED = operation("fit")  # the one route whose large bodies go to a worker process

NICE = 19  # the workers' CPU priority: the lowest, so that the event loop's process comes first
# Where a body waits for its worker: memory, where Linux has it.
SPILL_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else None


class FitPoolUnavailable(StoreUnavailable):
    """The worker processes died under a fit (the machine ran out of memory, or they were
    killed): 503 with ``Retry-After``, as when the store is down; nothing was saved."""

    detail = "The fitting processes are not available; try again shortly"


@dataclass(frozen=True, slots=True)
class _Fitted:
    intercept: float
    coef: list[float]
    # The training data, for the memory store in the server's process; None once saved by the
    # worker in a shared store.
    X: NDArray[np.float64] | None
    y: NDArray[np.float64] | None


@dataclass(frozen=True, slots=True)
class _Refused:
    """An :class:`ApiError` raised in a worker. Pickling would rebuild it as ``cls(*args)``,
    which fails for errors whose ``__init__`` takes other arguments (``TooManyValues``), so
    its class and attributes are sent instead."""

    kind: type[ApiError]
    args: tuple[Any, ...]
    attributes: dict[str, Any]

    @classmethod
    def of(cls, exc: ApiError) -> _Refused:
        return cls(type(exc), exc.args, dict(vars(exc)))

    def error(self) -> ApiError:
        exc = self.kind.__new__(self.kind)
        exc.args = self.args
        vars(exc).update(self.attributes)
        return exc


def lowest_priority() -> None:
    """This process yields its core to any other at once: ``SCHED_IDLE`` where there is one."""
    os.nice(NICE)
    with contextlib.suppress(AttributeError, OSError):  # Linux only
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


# In a worker process only: the shared store it saves fits to, set by its initializer (the
# documented way to give ProcessPoolExecutor's workers state). None with the memory store.
_worker_store: ModelStore | None = None


def _start_worker(store: str) -> None:
    global _worker_store
    lowest_priority()
    if store != MEMORY:
        _worker_store = open_stores(Settings(store=store))[1]
    import sklearn.linear_model  # noqa: F401  (the first body need not wait for it)


def _spill(body: bytes) -> str | bytes:
    """``body`` in a file, for a worker to read. The executor would pickle it, a copy made
    holding the GIL (about 30 ms for 20 MB); the kernel copies it to a file without. Where
    there is no room (a container's /dev/shm is 64 MB by default), the body itself."""
    path = ""
    try:
        fd, path = tempfile.mkstemp(prefix="asgi-compare-fit-", dir=SPILL_DIR)
        with open(fd, "wb") as file:
            file.write(body)
    except OSError:
        _remove(path)
        return body
    return path


def _remove(path: str | bytes) -> None:
    if isinstance(path, str) and path:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _fit_spilled(
    spilled: str | bytes, content_type: str | None, max_cells: int
) -> _Fitted | _Refused:
    if isinstance(spilled, str):
        with open(spilled, "rb") as file:
            body = file.read()
        _remove(spilled)  # at once: the server's process may be killed before it would
    else:
        body = spilled
    try:
        parser = RequestParser()
        data = parser.body(FitData, body, content_type)
        parser.check()
        fit = fit_of(data, max_cells)
        if _worker_store is None:
            return _Fitted(fit.intercept, fit.coef, fit.X, fit.y)
        _worker_store.save(fit.intercept, fit.coef, data.X, data.y)
        return _Fitted(fit.intercept, fit.coef, None, None)
    except ApiError as exc:
        return _Refused.of(exc)


class FitPool:
    """Worker processes for the large bodies of one app's /fit; started on the first one."""

    def __init__(self, model: Regression, settings: Settings) -> None:
        self.model = model
        self.settings = settings
        self.processes = settings.fit_processes or len(os.sched_getaffinity(0))
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # apps may be served from several threads (tests)
        # A worker saves to the store the settings name; the memory store is this process's.
        # A store passed in that the settings do not name cannot be reached from a worker.
        memory = type(model.store) is MemoryModelStore
        self._reachable = memory or settings.store != MEMORY
        # Sanic's own server runs apps in daemonic processes, which may not start processes
        # (multiprocessing refuses): there every body is read where it arrives, as before.
        self._usable = self._reachable and not multiprocessing.current_process().daemon
        self._closed = False

    def offloads(self, method: str, route_path: str) -> bool:
        """Whether a request's body may go to a worker: /fit's, once this pool can start one."""
        return method == OFFLOADED.method and route_path == OFFLOADED.path and self._usable

    def takes(self, body: bytes) -> bool:
        """Whether ``body`` goes to a worker process rather than being read here."""
        return len(body) > self.settings.offload_bytes and self._usable and not self._closed

    async def fit(self, body: bytes, content_type: str | None) -> Coefs:
        """/fit of a raw body: what the adapter's own validation and ``Regression.fit`` would
        answer or raise (422, 400, 413), read and fitted in a worker process."""
        executor = self._started()
        spilled = await asyncio.to_thread(_spill, body)
        try:
            future = executor.submit(_fit_spilled, spilled, content_type, self.model.max_cells)
            outcome = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._discard(executor)
            raise FitPoolUnavailable() from None
        finally:
            _remove(spilled)
        if isinstance(outcome, _Refused):
            raise outcome.error()
        if outcome.X is not None and outcome.y is not None:
            assert isinstance(self.model.store, MemoryModelStore)
            self.model.store.save(outcome.intercept, outcome.coef, outcome.X, outcome.y)
        return Coefs(intercept=outcome.intercept, coef=outcome.coef)

    def close(self) -> None:
        """Stop the worker processes, waiting for them: called at the app's shutdown."""
        with self._lock:
            executor, self._executor, self._closed = self._executor, None, True
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:  # a request that outlived the app's shutdown
                raise FitPoolUnavailable()
            if self._executor is None:
                # "spawn": the server's process has threads (fork would copy their locks held),
                # and a fresh interpreter holds none of the server's memory.
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.settings.store,),
                )
            return self._executor

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)
