"""The residuals-vs-fitted plot, drawn with matplotlib's object API on the Agg canvas.

No pyplot: pyplot keeps global figure state, which is neither thread-safe nor needed here.
matplotlib is imported on first use so that an app starts without it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

__all__ = ["residual_plot_png"]


def residual_plot_png(fitted: Sequence[float], residuals: Sequence[float]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
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
