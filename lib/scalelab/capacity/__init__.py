"""Chapters 00 and 01: how much one server can take, and how latency bends as it fills up.

``sweeps`` runs the simulator across utilisations; ``plots`` draws the hockey stick; ``panel`` holds the
chapters' control panels. The server itself is the engine's :class:`~scalelab.sim.server.Server`.
"""

from scalelab.capacity.sweeps import UtilisationSweep, utilisation_sweep

__all__ = ["UtilisationSweep", "utilisation_sweep"]
