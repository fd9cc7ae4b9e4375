"""Shared request data: the lecture's regression data set and scikit-learn's answer to it."""

from __future__ import annotations

from typing import Any


def lecture_data(n: int = 100) -> tuple[list[list[float]], list[float]]:
    """X (n x 5, standard normal) and y = X @ [5, 0, 0, 3, -2] + noise, as in the lecture."""
    import numpy as np

    rng = np.random.default_rng(seed=1234)
    X = rng.normal(size=(n, 5))
    b = np.array([5, 0, 0, 3, -2]).reshape(-1, 1)
    y = (X @ b).squeeze() + rng.normal(scale=0.5, size=n)
    return X.tolist(), y.tolist()


def sklearn_fit(X: list[list[float]], y: list[float]) -> Any:
    from sklearn.linear_model import LinearRegression

    return LinearRegression().fit(X, y)
