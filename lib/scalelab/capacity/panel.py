"""The control panels of chapters 00 and 01: one server, and sliders for its load.

Each panel re-simulates a seeded run whenever a slider is released, so only the sliders change the
picture; the static figure a chapter shows above its panel is the same function at the defaults.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from scalelab.sim import Server, poisson, simulate
from scalelab.theory import queueing
from scalelab.viz import plots
from scalelab.viz.widgets import ControlPanel, slider

#: Chapter 00's server: 50 ms of CPU per request.
WELCOME_CPU_TIME = 0.050


def welcome_figure(rate: int) -> Figure:
    """Chapter 00: five minutes of ``rate`` requests/s on one server, latency over time."""
    workload = poisson(rate, 300, WELCOME_CPU_TIME, np.random.default_rng(1))
    result = simulate(workload, [Server()])
    capacity = Server().capacity(WELCOME_CPU_TIME)
    title = f"{rate} requests/s on a server that can finish {capacity:.0f}/s"
    return plots.latency_over_time(result, window=10, title=title)


def welcome_panel(rate: int = 10) -> ControlPanel:
    """Chapter 00's panel: one slider, the arrival rate."""
    return ControlPanel(welcome_figure, rate=slider("arrival rate (requests/s)", 1, 30, 1, rate))


def single_server_figure(rate: int, cpu_ms: int) -> Figure:
    """Chapter 01: ten minutes of traffic on the one server that runs web, app and database."""
    cpu_time = cpu_ms / 1000
    workload = poisson(rate, 600, cpu_time, np.random.default_rng(4))
    result = simulate(workload, [Server(name="web + app + DB")])
    title = (
        f"{rate} requests/s at {cpu_ms} ms each: capacity "
        f"{queueing.capacity(cpu_time):.0f}/s, ρ = {rate * cpu_time:.2f}\n{result.summary()}"
    )
    return plots.latency_over_time(result, window=10, title=title)


def single_server_panel(rate: int = 18, cpu_ms: int = 50) -> ControlPanel:
    """Chapter 01's panel: the arrival rate and the CPU time of one request."""
    return ControlPanel(
        single_server_figure,
        rate=slider("arrival rate (requests/s)", 1, 200, 1, rate),
        cpu_ms=slider("CPU per request (ms)", 1, 100, 1, cpu_ms),
    )


#: Every panel of this family, by the chapter that shows it (``make bench`` times them all).
PANELS: dict[str, Callable[[], ControlPanel]] = {
    "00-welcome": welcome_panel,
    "01-single-server": single_server_panel,
}
