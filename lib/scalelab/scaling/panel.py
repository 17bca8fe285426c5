"""Chapter 04's control panel: a pool's availability, what it costs, and how far it scales.

All closed forms (no simulation), so it redraws at once. The static figure above the panel is
:func:`scaling_figure` at :data:`DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from scalelab.scaling.availability import availability, downtime_per_year
from scalelab.scaling.plots import cost_curves, downtime_bars, usl_curve
from scalelab.scaling.pricing import MODELS, price_list
from scalelab.viz.widgets import ControlPanel, slider

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {
    "n": 4,
    "k": 3,
    "a": 0.99,
    "model": "linear",
    "sigma": 0.05,
    "kappa": 0.001,
}


def scaling_figure(n: int, k: int, a: float, model: str, sigma: float, kappa: float) -> Figure:
    """Downtime of k of n (left), cost of scale up against scale out (middle), the USL (right)."""
    k = min(k, n)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(11, 3.3))
    fig.subplots_adjust(left=0.075, right=0.98, top=0.8, bottom=0.17, wspace=0.35)
    downtime_bars(k, a, n_max=max(12, n), chosen=n, ax=left)
    cost_curves(price_list(model), ax=middle, title=f"Cost with a spare ({model} prices)")
    usl_curve(sigma, kappa, ax=right)
    up = availability(n, k, a)
    fig.suptitle(
        f"{k} of {n} servers needed, each up {a:.2%}: pool up {up:.6%}, "
        f"{downtime_per_year(up):,.2f} h down per year"
    )
    return fig


def panel() -> ControlPanel:
    """Chapter 04's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    controls = {
        "n": slider("servers (n)", 1, 12, 1, DEFAULTS["n"]),
        "k": slider("servers needed (k)", 1, 12, 1, DEFAULTS["k"]),
        "a": slider("one server up (a)", 0.9, 0.999, 0.001, DEFAULTS["a"]),
        "model": widgets.Dropdown(
            options=list(MODELS), value=DEFAULTS["model"], description="price model", style=wide
        ),
        "sigma": slider("contention σ", 0.0, 0.3, 0.01, DEFAULTS["sigma"]),
        "kappa": slider("coherency κ", 0.0, 0.01, 0.0005, DEFAULTS["kappa"]),
    }
    widgets.dlink((controls["n"], "value"), (controls["k"], "max"))  # k of n: never more than n
    return ControlPanel(scaling_figure, **controls)


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"04-scale-up-vs-out": panel}
