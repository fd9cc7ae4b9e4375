"""The linear-regression model behind /fit, /predict, /coefs, /plot and /reset.

All methods are blocking CPU work: adapters run :meth:`fit`, :meth:`predict` and :meth:`plot_png`
off the event loop. A fit is swapped in whole, under a lock, so a predict running in another
thread sees either the old fit or the new one, never half of each. scikit-learn and NumPy are
imported on first use to keep start-up fast.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from core.errors import ModelNotFitted, RequestInvalid
from core.models import Coefs, FitData, PredictData, Prediction
from core.plots import residual_plot_png

__all__ = ["Regression"]


@dataclass(slots=True)
class _Fit:
    model: Any  # sklearn.linear_model.LinearRegression
    fitted: list[float]  # the training data's fitted values and residuals, for the plot
    residuals: list[float]
    columns: int
    plot: bytes | None = field(default=None)


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


class Regression:
    def __init__(self) -> None:
        self._fit: _Fit | None = None
        self._lock = threading.Lock()
        self._drawing = threading.Lock()

    def fit(self, data: FitData) -> Coefs:
        import numpy as np
        from sklearn.linear_model import LinearRegression

        X = np.asarray(data.X, dtype=float)
        y = np.asarray(data.y, dtype=float)
        with np.errstate(all="ignore"):  # overflow is checked below, not warned about
            model = LinearRegression().fit(X, y)
            fitted = model.predict(X)
            residuals = y - fitted
        if not all(np.isfinite(a).all() for a in (model.coef_, model.intercept_, residuals)):
            raise _overflow(["body"], "the fit")  # the previous fit, if any, is kept
        with self._lock:
            self._fit = _Fit(model, fitted.tolist(), residuals.tolist(), X.shape[1])
        return _coefs(model)

    def predict(self, data: PredictData) -> Prediction:
        import numpy as np

        fit = self._current()
        expected = fit.columns
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
            y_hat = fit.model.predict(np.asarray(data.X, dtype=float))
        if not np.isfinite(y_hat).all():
            raise _overflow(["body", "X"], "the prediction")
        return Prediction(y_hat=y_hat.tolist())

    def coefs(self) -> Coefs:
        fit = self._fit
        return Coefs(intercept=None, coef=None) if fit is None else _coefs(fit.model)

    def plot_png(self) -> bytes:
        """The residual plot of the training data, drawn once per fit and then served from cache."""
        fit = self._current()
        if fit.plot is None:
            # One request draws; the others that arrive meanwhile wait for it, not draw again.
            with self._drawing:
                if fit.plot is None:
                    fit.plot = residual_plot_png(fit.fitted, fit.residuals)
        return fit.plot

    def reset(self) -> None:
        with self._lock:
            self._fit = None

    def _current(self) -> _Fit:
        fit = self._fit
        if fit is None:
            raise ModelNotFitted()
        return fit


def _coefs(model: Any) -> Coefs:
    return Coefs(intercept=float(model.intercept_), coef=model.coef_.tolist())
