"""Sweeps: run the simulator once per value of one knob, to see a curve instead of a point.

One run says what happened at one load. Capacity planning needs to know how the answer moves as the
load moves: where the curve is flat, where it bends, where it goes vertical. A sweep runs the same
model at a range of settings, with one seeded source of randomness, and returns plain arrays for
:mod:`scalelab.capacity.plots` to draw, with the queueing-theory prediction beside them where there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scalelab.sim.engine import simulate
from scalelab.sim.server import Server
from scalelab.sim.workload import poisson
from scalelab.theory.queueing import mm1_latency_at
from scalelab.validate import positive, positive_int


@dataclass(frozen=True)
class UtilisationSweep:
    """Latency of one single-worker server across a range of utilisations, simulated and predicted.

    Attributes
    ----------
    utilisation : np.ndarray
        The utilisations ρ = arrival rate / capacity that were simulated.
    cpu_time : float
        Mean CPU seconds per request.
    mean : np.ndarray
        Simulated mean latency in seconds at each utilisation.
    percentiles : dict of int to np.ndarray
        Simulated latency percentiles in seconds, keyed by q (``{50: …, 99: …}``).
    theory : np.ndarray
        The M/M/1 mean latency in seconds, ``cpu_time / (1 − ρ)`` (Kleinrock 1975).
    """

    utilisation: np.ndarray
    cpu_time: float
    mean: np.ndarray
    percentiles: dict[int, np.ndarray]
    theory: np.ndarray

    def table(self) -> str:
        """A plain-text table in milliseconds: one row per utilisation, theory beside simulation."""
        qs = list(self.percentiles)
        head = f"{'ρ':>5}  {'theory mean':>11}  {'simulated mean':>14}" + "".join(
            f"  {f'p{q}':>7}" for q in qs
        )
        lines = [head + "   (ms)"]
        for i, rho in enumerate(self.utilisation):
            row = f"{rho:>5.2f}  {1000 * self.theory[i]:>11,.0f}  {1000 * self.mean[i]:>14,.0f}"
            lines.append(row + "".join(f"  {1000 * self.percentiles[q][i]:>7,.0f}" for q in qs))
        return "\n".join(lines)


def utilisation_sweep(
    utilisations: Sequence[float],
    cpu_time: float,
    rng: np.random.Generator,
    requests: int = 200_000,
    q: Sequence[int] = (50, 99),
) -> UtilisationSweep:
    """Simulate Poisson traffic on one single-worker server at each utilisation in turn.

    At utilisation ρ the arrival rate is ρ / ``cpu_time`` and the run lasts long enough for about
    ``requests`` requests, so every point rests on the same amount of evidence. Service times are
    exponential, which makes the model an M/M/1 queue whose mean the formula predicts. Near ρ = 1 a
    queue remembers its past for a long time, so the highest points scatter more around the formula.

    Parameters
    ----------
    utilisations : sequence of float
        Values of ρ to simulate, each above 0 and below 1.
    cpu_time : float
        Mean CPU seconds per request (the server's capacity is 1 / ``cpu_time`` requests/s).
    rng : numpy.random.Generator
        The seeded source of randomness, e.g. ``np.random.default_rng(1)``, used for every point.
    requests : int
        About how many requests each point simulates.
    q : sequence of int
        Latency percentiles to record.

    Returns
    -------
    UtilisationSweep
        Simulated mean and percentiles, and the M/M/1 mean, at each utilisation.
    """
    positive("cpu_time", cpu_time)
    positive_int("requests", requests)
    rhos = np.asarray(utilisations, dtype=float)
    if rhos.ndim != 1 or len(rhos) == 0 or not np.all((rhos > 0) & (rhos < 1)):
        raise ValueError(
            f"utilisations must be a non-empty list of numbers above 0 and below 1, "
            f"got {utilisations!r}"
        )
    server = Server()
    mean, percentiles = [], {p: [] for p in q}
    for rho in rhos.tolist():
        rate = rho / cpu_time
        result = simulate(poisson(rate, requests / rate, cpu_time, rng), [server])
        mean.append(result.mean_latency())
        for p in q:
            percentiles[p].append(result.percentile(p))
    return UtilisationSweep(
        utilisation=rhos,
        cpu_time=float(cpu_time),
        mean=np.array(mean),
        percentiles={p: np.array(v) for p, v in percentiles.items()},
        theory=np.array([mm1_latency_at(rho, cpu_time) for rho in rhos.tolist()]),
    )
