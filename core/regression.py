"""The linear-regression model behind /fit, /predict, /coefs, /plot and /reset.

All methods are blocking (CPU work, and with the SQLite store, file I/O): adapters run them off
the event loop. The fit itself is scikit-learn's; what is kept of it is its intercept and
coefficients, with the training data for the plot, in a :class:`ModelStore`: this process's
memory by default, or SQLite (:mod:`core.store`) so that every worker process serves the same
fit and a restart keeps it. A fit is saved whole, so a predict running in another thread or
process sees either the old fit or the new one, never half of each. Predictions are
``X @ coef + intercept``, which is what scikit-learn's ``LinearRegression.predict`` computes.
scikit-learn and NumPy are imported on first use to keep start-up fast.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import ModelNotFitted, RequestInvalid, TooManyValues
from core.models import Coefs, FitData, PredictData, Prediction
from core.plots import residual_plot_png

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    from numpy.typing import NDArray

    # Training data as the request gave them, or as the arrays a worker process fitted them
    # (core.offload): a million floats come back from it as one buffer, not a million objects.
    Rows: TypeAlias = list[list[float]] | NDArray[np.float64]
    Values: TypeAlias = list[float] | NDArray[np.float64]

__all__ = ["Fit", "FitState", "MemoryModelStore", "ModelStore", "Regression", "fit_of"]


@dataclass(frozen=True, slots=True)
class FitState:
    """What is kept of a fit. ``version`` changes with every fit and reset (it keys the plot)."""

    version: int
    intercept: float
    coef: list[float]
    X: Rows | None = None  # the training data: loaded only to draw the plot
    y: Values | None = None


class ModelStore(Protocol):
    def save(
        self, intercept: float, coef: list[float], X: list[list[float]], y: list[float]
    ) -> None: ...
    def load(self, training: bool = False) -> FitState | None: ...
    def clear(self) -> None: ...


class MemoryModelStore:
    """The fit in this process's memory: each worker process has its own."""

    def __init__(self) -> None:
        self._state: FitState | None = None
        self._versions = itertools.count(1)
        self._lock = threading.Lock()

    def save(self, intercept: float, coef: list[float], X: Rows, y: Values) -> None:
        with self._lock:
            self._state = FitState(next(self._versions), intercept, coef, X, y)

    def load(self, training: bool = False) -> FitState | None:
        return self._state

    def clear(self) -> None:
        with self._lock:
            self._state = None
            next(self._versions)


def _overflow(loc: list[str | int], what: str) -> RequestInvalid:
    """Finite inputs can still overflow float64; JSON has no number for the result."""
    return RequestInvalid(
        [
            {
                "type": "value_error",
                "loc": loc,
                "msg": f"Value error, {what} overflowed to a non-finite number; scale data down",
                "input": None,
            }
        ]
    )


@dataclass(frozen=True, slots=True)
class Fit:
    """scikit-learn's fit of one request's data, with the data as it fitted them."""

    intercept: float
    coef: list[float]
    X: NDArray[np.float64]
    y: NDArray[np.float64]

    @property
    def coefs(self) -> Coefs:
        return Coefs(intercept=self.intercept, coef=self.coef)


def fit_of(data: FitData, max_cells: int) -> Fit:
    """The fit of ``data``, refused past ``max_cells`` values or when it overflows; nothing is
    saved. The same in the server's process and in a worker process (core.offload)."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    _check_size(data.X, max_cells)
    X = np.asarray(data.X, dtype=float)
    y = np.asarray(data.y, dtype=float)
    with np.errstate(all="ignore"):  # overflow is checked below, not warned about
        model = LinearRegression().fit(X, y)
        residuals = y - model.predict(X)
    if not all(np.isfinite(a).all() for a in (model.coef_, model.intercept_, residuals)):
        raise _overflow(["body"], "the fit")  # the previous fit, if any, is kept
    return Fit(float(model.intercept_), model.coef_.tolist(), X, y)


def _check_size(X: list[list[float]], max_cells: int) -> None:
    cells = len(X) * len(X[0])
    if cells > max_cells:
        raise TooManyValues(cells, max_cells)


def _predict(X: Any, state: FitState) -> Any:
    import numpy as np

    return np.asarray(X, dtype=float) @ np.asarray(state.coef, dtype=float) + state.intercept


class Regression:
    def __init__(self, store: ModelStore | None = None, max_cells: int = 100_000) -> None:
        self.store: ModelStore = MemoryModelStore() if store is None else store
        self.max_cells = max_cells
        self._plot: tuple[int, bytes] | None = None  # (version, PNG) of the last plot drawn
        self._drawing = threading.Lock()

    def fit(self, data: FitData) -> Coefs:
        fit = fit_of(data, self.max_cells)
        self.store.save(fit.intercept, fit.coef, data.X, data.y)
        return fit.coefs

    def predict(self, data: PredictData) -> Prediction:
        import numpy as np

        _check_size(data.X, self.max_cells)
        state = self._current()
        expected = len(state.coef)
        if len(data.X[0]) != expected:
            raise RequestInvalid(
                [
                    {
                        "type": "value_error",
                        "loc": ["body", "X"],
                        "msg": (
                            f"Value error, the model was fitted on {expected} columns;"
                            f" X has {len(data.X[0])}"
                        ),
                        "input": data.X[0],
                    }
                ]
            )
        with np.errstate(all="ignore"):
            y_hat = _predict(data.X, state)
        if not np.isfinite(y_hat).all():
            raise _overflow(["body", "X"], "the prediction")
        return Prediction(y_hat=y_hat.tolist())

    def coefs(self) -> Coefs:
        state = self.store.load()
        if state is None:
            return Coefs(intercept=None, coef=None)
        return Coefs(intercept=state.intercept, coef=state.coef)

    def plot_png(self) -> bytes:
        """The residual plot of the training data, drawn once per fit and then served from cache."""
        version = self._current().version
        if self._plot is None or self._plot[0] != version:
            # One request draws; the others that arrive meanwhile wait for it, not draw again.
            with self._drawing:
                if self._plot is None or self._plot[0] != version:
                    self._plot = self._draw()
        return self._plot[1]

    def reset(self) -> None:
        self.store.clear()

    def _draw(self) -> tuple[int, bytes]:
        import numpy as np

        state = self.store.load(training=True)
        if state is None or state.X is None or state.y is None:
            raise ModelNotFitted()  # reset meanwhile
        fitted = _predict(state.X, state)
        residuals = np.asarray(state.y, dtype=float) - fitted
        return state.version, residual_plot_png(fitted.tolist(), residuals.tolist())

    def _current(self) -> FitState:
        state = self.store.load()
        if state is None:
            raise ModelNotFitted()
        return state
