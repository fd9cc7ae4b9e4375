"""The residuals-vs-fitted plot, drawn with matplotlib's object API on the Agg canvas.

No pyplot: pyplot keeps global figure state, which is neither thread-safe nor needed here.
matplotlib is imported on first use so that an app starts without it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

__all__ = ["residual_plot_png"]

# PNG's only default metadata is a "Software" text naming matplotlib's version: left out, the
# bytes depend on the pixels alone, the same for the same fit on every adapter.
_METADATA: dict[str, str | None] = {"Software": None}


def residual_plot_png(fitted: Sequence[float], residuals: Sequence[float]) -> bytes:
    """The lecture's picture: residuals against fitted values, a dashed red line at zero."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # Arrays, not lists: scatter makes a masked array of a list element by element (a third of
    # the time of a 10,000-point plot).
    ax.scatter(np.asarray(fitted, dtype=float), np.asarray(residuals, dtype=float), alpha=0.6)
    ax.axhline(0, color="red", linewidth=1, linestyle="--")
    ax.set_xlabel("Fitted values")
    ax.set_ylabel("Residuals")
    ax.set_title("Residuals vs Fitted")
    fig.tight_layout()
    # Laid out once: tight_layout leaves a placeholder layout engine behind, for which savefig
    # draws the whole figure a second time, unrendered, before the real draw (same pixels).
    fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=_METADATA)
    return buf.getvalue()
