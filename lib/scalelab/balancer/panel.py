"""Chapter 05's control panel: a pool behind a balancer, a crash, health checks, and the load.

The static dashboard the chapter shows above the panel is :func:`dashboard_figure` at :data:`DEFAULTS`,
so the picture and the panel always start from the same settings.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from scalelab.balancer.health import HealthCheck
from scalelab.balancer.strategies import LeastConnections, Random, RoundRobin, WeightedRoundRobin
from scalelab.sim import Outage, Server, poisson, pool, simulate
from scalelab.viz import plots
from scalelab.viz.widgets import ControlPanel, slider

#: CPU seconds per request in chapter 05: one worker answers 1 / 0.02 = 50 requests/s.
CPU_TIME = 0.02

#: The strategies the chapter compares, by the name it uses for them.
STRATEGIES = {
    "round robin": RoundRobin,
    "random": Random,
    "least connections": LeastConnections,
    "weighted round robin": WeightedRoundRobin,
}

#: Where the panel starts, and what the figure above it shows.
DEFAULTS = {
    "servers": 4,
    "strategy": "round robin",
    "crash": True,
    "crashed": 2,
    "health_checks": True,
    "rate": 120,
    "slow_web1": False,
}


def make_pool(n: int, slow_first: bool) -> list[Server]:
    """``n`` servers; with ``slow_first``, web-1 runs at half speed and gets half the others' weight."""
    if not slow_first:
        return pool(n)
    slow = Server(speed=0.5, weight=1, name="web-1 (slow)")
    return [slow] + [Server(weight=2, name=f"web-{i}") for i in range(2, n + 1)]


def dashboard_figure(
    servers: int,
    strategy: str,
    crash: bool,
    crashed: int,
    health_checks: bool,
    rate: int,
    slow_web1: bool,
) -> Figure:
    """45 s of seeded traffic through the chosen balancer; the dashboard of what users saw."""
    traffic = poisson(rate, duration=45, cpu_time=CPU_TIME, rng=np.random.default_rng(7))
    servers_ = make_pool(servers, slow_first=slow_web1)
    outages = [Outage(min(crashed, servers) - 1, 10.5, 30.5)] if crash else []
    checker = HealthCheck() if health_checks else None
    result = simulate(
        traffic, servers_, STRATEGIES[strategy](), outages, checker, rng=np.random.default_rng(7)
    )
    fig = plots.dashboard(result, title=f"{strategy}, {servers} servers, {rate} requests/s")
    fig.suptitle(result.summary())
    return fig


def panel() -> ControlPanel:
    """Chapter 05's panel, starting at :data:`DEFAULTS`."""
    wide = {"description_width": "160px"}
    controls = {
        "servers": slider("servers", 2, 8, 1, DEFAULTS["servers"]),
        "strategy": widgets.Dropdown(
            options=list(STRATEGIES), value=DEFAULTS["strategy"], description="strategy", style=wide
        ),
        "crash": widgets.Checkbox(value=DEFAULTS["crash"], description="a server crashes"),
        "crashed": slider("which server (web-k)", 1, 8, 1, DEFAULTS["crashed"]),
        "health_checks": widgets.Checkbox(
            value=DEFAULTS["health_checks"], description="health checks"
        ),
        "rate": slider("arrival rate (requests/s)", 50, 300, 10, DEFAULTS["rate"]),
        "slow_web1": widgets.Checkbox(
            value=DEFAULTS["slow_web1"], description="web-1 at half speed"
        ),
    }
    widgets.dlink(
        (controls["servers"], "value"), (controls["crashed"], "max")
    )  # existing servers only
    # Least connections runs compiled (numba): load it now, so that choosing it in the menu later
    # redraws at once instead of pausing about a second the first time.
    tiny = poisson(10.0, 1.0, CPU_TIME, np.random.default_rng(0))
    simulate(tiny, pool(2), LeastConnections(), rng=np.random.default_rng(0))
    return ControlPanel(dashboard_figure, **controls)


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {"05-load-balancer": panel}
