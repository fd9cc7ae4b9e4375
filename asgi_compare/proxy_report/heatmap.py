"""The proxy report's summary as an image: one heat map per app kind, taken in at a glance."""

from __future__ import annotations

from pathlib import Path

from asgi_compare.proxy_report.results import Row, column_title, columns, pairs


def heatmap(rows: list[Row], path: Path) -> None:
    """Probes passed per framework x server (rows) and proxy x mode (columns), written as PNG.

    Two panels, the native app and the adapter; red: none passed, green: all.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display: write files only
    import matplotlib.pyplot as plt
    import numpy as np

    cols = columns(rows)
    found = pairs(rows)
    frameworks = list(dict.fromkeys(r.framework for r in rows))
    servers = list(dict.fromkeys(r.server for r in rows))
    lines = sorted(
        {(r.framework, r.server) for r in rows},
        key=lambda line: (frameworks.index(line[0]), servers.index(line[1])),
    )
    titles = [column_title(rows, c) for c in cols]
    width = max(6.0, 1.0 + 0.75 * len(cols))
    fig, axes = plt.subplots(
        1, 2, figsize=(2 * width, 0.9 + 0.32 * len(lines)), sharey=True, layout="constrained"
    )
    for panel, (ax, variant) in enumerate(zip(axes, ("native", "adapter"), strict=True)):
        share = np.full((len(lines), len(cols)), np.nan)
        for i, (framework, server) in enumerate(lines):
            for j, c in enumerate(cols):
                pair = found.get((framework, server, *c))
                if pair is None:
                    continue
                passed, judged = pair[panel].score
                share[i, j] = passed / judged if judged else np.nan
                dark = judged and not 0.2 < passed / judged < 0.85  # the map's darkest ends
                colour = "white" if dark else "black"
                ax.text(
                    j, i, f"{passed}/{judged}", ha="center", va="center", fontsize=7, color=colour
                )
        ax.imshow(share, cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_title(f"{variant}: probes passed")
        ax.set_xticks(range(len(cols)), titles, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(lines)), [f"{f} / {s}" for f, s in lines], fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
