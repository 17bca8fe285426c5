"""The Universal Scalability Law: why N servers (or N cores) rarely give N times the throughput.

Neil Gunther's USL (https://www.perfdynamics.com/Manifesto/USLscalability.html) models the relative
capacity of N nodes as

    C(N) = N / (1 + σ(N − 1) + κ·N(N − 1)),

where σ (*contention*, 0 ≤ σ ≤ 1) is the share of the work that waits in line for something shared
(a lock, one database, a queue) and κ (*coherency*, κ ≥ 0) is the cost of every node keeping in step
with every other (cache invalidation, cross-node chatter), which grows with the number of pairs. With
κ = 0 it is Amdahl's law, whose curve flattens towards 1/σ; with κ > 0 the curve peaks at
N_max = √((1 − σ)/κ) and then falls (*retrograde* scaling: more nodes, less throughput).

It applies to scaling up (cores sharing memory) and out (servers sharing a database) alike; chapter
04 uses it to say why neither grows for ever.
"""

from __future__ import annotations

import math

import numpy as np

from scalelab.validate import at_least_zero


def _params(sigma: float, kappa: float) -> None:
    at_least_zero("sigma (contention)", sigma, "a share", finite=True)
    if sigma > 1:
        raise ValueError(f"sigma (contention) must be a share from 0 to 1, got {sigma!r}")
    at_least_zero("kappa (coherency)", kappa, "a number", finite=True)


def usl_capacity(n: float | np.ndarray, sigma: float, kappa: float) -> float | np.ndarray:
    """Relative capacity C(N) of ``n`` nodes (C(1) = 1): N / (1 + σ(N − 1) + κN(N − 1))."""
    _params(sigma, kappa)
    n_ = np.asarray(n, dtype=float)
    if np.any(n_ < 1):
        raise ValueError(f"n must be 1 or more nodes, got {n!r}")
    c = n_ / (1.0 + sigma * (n_ - 1.0) + kappa * n_ * (n_ - 1.0))
    return float(c) if c.ndim == 0 else c


def usl_peak(sigma: float, kappa: float) -> float:
    """N_max = √((1 − σ)/κ), where C(N) peaks; ``math.inf`` when κ = 0 (Amdahl: no peak).

    σ = 1 (all the work waits in one line) has no peak to find: C(N) ≤ 1 for every N, so a second
    node never helps, and this raises ``ValueError`` saying so.
    """
    _params(sigma, kappa)
    if sigma == 1:
        raise ValueError(
            "sigma = 1 means every request waits for one shared thing: more nodes never add "
            "capacity (C(N) <= 1), so there is no peak; expected sigma below 1"
        )
    return math.inf if kappa == 0 else math.sqrt((1.0 - sigma) / kappa)
