"""Chapter 01's own figure: the hockey stick of latency against utilisation."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scalelab.viz.plots import axes, log_axis, target_band
from scalelab.viz.style import PERCENTILE_COLORS


def hockey_stick(
    utilisation: np.ndarray,
    simulated: dict[int, np.ndarray],
    theory: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str = "Latency vs utilisation of one server",
) -> Figure:
    """Latency (ms) against utilisation: simulated percentiles by q, and the formula's mean if given."""
    ax = axes(ax)
    for p, values in simulated.items():
        ax.plot(
            utilisation,
            1000 * values,
            "o-",
            color=PERCENTILE_COLORS.get(p),
            ms=4,
            label=f"simulated p{p}",
        )
    if theory is not None:
        ax.plot(utilisation, 1000 * theory, "k--", label="theory: mean = cpu / (1 − ρ)")
    ax.set_xlabel("utilisation ρ = arrival rate / capacity")
    ax.set_ylabel("latency (ms)")
    log_axis(ax)
    target_band(ax)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure
