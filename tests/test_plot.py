"""GET /plot: the lecture's picture, the same bytes on every adapter, drawn once per fit."""

from __future__ import annotations

import hashlib
import importlib
import io
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from asgi_compare.harness import FRAMEWORKS
from conformance_tests._apis import client_of
from core.plots import residual_plot_png

pytestmark = pytest.mark.anyio


def _data(rows: int = 400, cols: int = 3) -> tuple[list[list[float]], list[float]]:
    rng = np.random.default_rng(14)
    X = rng.normal(size=(rows, cols))
    y = X @ rng.normal(size=cols) + rng.normal(scale=0.5, size=rows)
    return X.tolist(), y.tolist()


def _lecture_png(fitted: list[float], residuals: list[float]) -> bytes:
    """The lecture's /plot (shared seeds), with the object API in place of pyplot."""
    fig = Figure(figsize=(6.4, 4.8), dpi=100)  # plt.subplots()'s defaults
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.scatter(fitted, residuals, alpha=0.6)
    ax.axhline(0, color="red", linewidth=1, linestyle="--")
    ax.set_xlabel("Fitted values")
    ax.set_ylabel("Residuals")
    ax.set_title("Residuals vs Fitted")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _pixels(png: bytes) -> Any:
    return np.asarray(Image.open(io.BytesIO(png)))


def _residuals() -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(3)
    fitted = rng.normal(size=2_000) * 10
    return fitted.tolist(), (rng.normal(size=2_000) * 2).tolist()


def test_the_plot_is_the_lectures_picture() -> None:
    fitted, residuals = _residuals()
    assert np.array_equal(
        _pixels(residual_plot_png(fitted, residuals)), _pixels(_lecture_png(fitted, residuals))
    )


def test_the_png_names_no_software_version() -> None:
    """Nothing in the bytes depends on the installed matplotlib but the pixels."""
    image = Image.open(io.BytesIO(residual_plot_png(*_residuals())))
    assert image.format == "PNG" and "Software" not in image.info


def test_the_figure_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """tight_layout leaves a layout engine behind, for which savefig draws twice."""
    draws: list[Figure] = []
    draw = Figure.draw

    def counted(self: Figure, renderer: Any) -> None:
        draws.append(self)
        draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    residual_plot_png(*_residuals())
    assert len(draws) == 1


async def _plot_of_fit(adapter: str, X: list[list[float]], y: list[float]) -> bytes:
    create_app: Any = importlib.import_module(f"{adapter}_app.app").create_app
    async with client_of(create_app()) as c:
        assert (await c.post("/fit", json={"X": X, "y": y})).status_code == 200
        r = await c.get("/plot")
        assert (r.status_code, r.headers["content-type"]) == (200, "image/png")
        return r.content


async def test_the_same_fit_gives_the_same_png_on_every_adapter() -> None:
    X, y = _data()
    digests = {a: hashlib.sha256(await _plot_of_fit(a, X, y)).hexdigest() for a in FRAMEWORKS}
    assert len(set(digests.values())) == 1, digests
