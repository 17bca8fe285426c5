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
from scalelab.scaling.plots import cost_curves, downtime_bars, duration_text, share_text, usl_curve
from scalelab.scaling.pricing import MODELS, price_list
from scalelab.viz.widgets import ControlPanel, slider

#: The availability targets the panel offers: two to five nines.
TARGETS = (0.99, 0.999, 0.9999, 0.99999)

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {
    "n": 4,
    "k": 3,
    "a": 0.99,
    "target": 0.999,
    "model": "linear",
    "sigma": 0.05,
    "kappa": 0.001,
}


def scaling_figure(
    n: int, k: int, a: float, target: float, model: str, sigma: float, kappa: float
) -> Figure:
    """Downtime of k of n against the target's (left), cost of scale up against scale out (middle),
    the USL (right)."""
    k = min(k, n)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(11, 3.3))
    fig.subplots_adjust(left=0.075, right=0.98, top=0.8, bottom=0.17, wspace=0.35)
    downtime_bars(k, a, n_max=max(12, n), chosen=n, ax=left, target=target)
    cost_curves(price_list(model), ax=middle, title=f"Cost with a spare ({model} prices)")
    usl_curve(sigma, kappa, ax=right)
    up = availability(n, k, a)
    fig.suptitle(
        f"{k} of {n} servers needed, each up {a:.2%}: pool up {share_text(up)}, "
        f"{duration_text(downtime_per_year(up))} down per year"
    )
    return fig


class _KOfNPanel(ControlPanel):
    """A ControlPanel whose k never exceeds n: moving n below k lowers k too, in one redraw.

    (Linking n to k's maximum with ``widgets.dlink`` redrew twice: once when k was clamped, once for n.)
    """

    def __init__(self, draw: Callable[..., Figure], **controls: widgets.ValueWidget) -> None:
        self._clamping = False
        super().__init__(draw, **controls)

    def _on_change(self, change: dict) -> None:
        if self._clamping:
            return  # k clamped by a change of n: that change redraws
        if change["owner"] is self.controls["n"]:
            self._clamping = True
            try:
                self.controls["k"].max = change["new"]  # clamps k's value if it was above
            finally:
                self._clamping = False
        self.refresh()


def panel() -> ControlPanel:
    """Chapter 04's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    controls = {
        "n": slider("servers (n)", 1, 12, 1, DEFAULTS["n"]),
        "k": slider("servers needed (k)", 1, DEFAULTS["n"], 1, DEFAULTS["k"]),
        "a": slider("one server up (a)", 0.9, 0.999, 0.001, DEFAULTS["a"]),
        "target": widgets.Dropdown(
            options=list(TARGETS),  # plain values: bench/bench.py sets each option as the value
            value=DEFAULTS["target"],
            description="target (A wanted)",
            style=wide,
        ),
        "model": widgets.Dropdown(
            options=list(MODELS), value=DEFAULTS["model"], description="price model", style=wide
        ),
        "sigma": slider("contention σ", 0.0, 0.3, 0.01, DEFAULTS["sigma"]),
        "kappa": slider("coherency κ", 0.0, 0.01, 0.0005, DEFAULTS["kappa"]),
    }
    return _KOfNPanel(scaling_figure, **controls)


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"04-scale-up-vs-out": panel}
