"""The simulator: seeded workloads in, per-request outcomes out."""

from scalelab.sim.engine import simulate, up_periods
from scalelab.sim.result import DROPPED, LOST, NO_SERVER, OK, REFUSED, STATUS, SimResult
from scalelab.sim.workload import (
    Workload,
    diurnal,
    flash_crowd,
    from_rate,
    poisson,
    with_keys,
    zipf_keys,
)

__all__ = [
    "simulate",
    "up_periods",
    "SimResult",
    "STATUS",
    "OK",
    "REFUSED",
    "LOST",
    "NO_SERVER",
    "DROPPED",
    "Workload",
    "poisson",
    "diurnal",
    "flash_crowd",
    "from_rate",
    "zipf_keys",
    "with_keys",
]
