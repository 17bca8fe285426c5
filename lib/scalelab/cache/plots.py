"""Chapter 07's own figures: hit ratio against cache size beside Che's curve, the database behind a
cache tier over time, and a hot key's stampede."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from scalelab.cache.stampede import StampedeResult
from scalelab.viz.plots import axes, log_axis
from scalelab.viz.style import COLORS


def hit_ratio_vs_size(
    sizes: np.ndarray,
    che: np.ndarray,
    simulated: dict[str, tuple[np.ndarray, np.ndarray]],
    n_keys: int,
    ttl_only: float | None = None,
    ax: Axes | None = None,
    title: str = "Hit ratio against cache size",
) -> Figure:
    """Che's LRU curve (line) beside simulated hit ratios (markers, one series per label)."""
    ax = axes(ax, (7, 3.6))
    pct = 100 * np.asarray(sizes) / n_keys
    ax.plot(pct, che, color=COLORS["cache"], lw=2, label="LRU, Che's approximation")
    for (label, (x, y)), marker in zip(simulated.items(), "os^D", strict=False):
        ax.plot(100 * np.asarray(x) / n_keys, y, marker, ls="none", ms=6, mfc="none", label=label)
    if ttl_only is not None:
        ax.axhline(ttl_only, color="black", ls=":", lw=1, label="TTL alone (no size limit)")
    ax.set_xlabel(f"cache size (% of the catalogue: all {n_keys:,} keys)")
    ax.set_ylabel("hit ratio")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return ax.figure


def database_over_time(
    seconds: np.ndarray,
    db_reads: np.ndarray,
    p99_ms: np.ndarray,
    capacity: float,
    down: tuple[float, float] | None = None,
    ax: Axes | None = None,
    title: str = "The database behind the cache",
) -> Figure:
    """Requests per second that reach the database (bars) against its capacity, and p99 latency."""
    ax = axes(ax, (8, 3.6))
    ax.bar(
        seconds,
        db_reads,
        width=1.0,
        align="edge",
        color=COLORS["db"],
        alpha=0.8,
        label="requests reaching the database",
    )
    ax.axhline(capacity, color="black", ls="--", lw=1, label=f"database capacity {capacity:,.0f}/s")
    if down is not None:
        ax.axvspan(*down, color=COLORS["down"], alpha=0.4, label="a cache node is down")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("requests/s")
    ax.set_title(title)
    right = ax.twinx()
    right.plot(seconds + 0.5, p99_ms, color="black", lw=1.5, label="p99 latency")
    log_axis(right)
    right.set_ylabel("p99 latency (ms, log scale)")
    lines = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    # Below the plot, where it hides no bar (the cold start is at the top left).
    ax.figure.legend(lines, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    return ax.figure


def stampede_timeline(
    results: dict[str, StampedeResult], ax: Axes | None = None, title: str = "A hot key expires"
) -> Figure:
    """Rebuilds running at once (the database's extra concurrent queries) around each expiry.

    A log axis from 0.5, so that one rebuild (a lock's) stands as tall as a factor of two; a marker
    at each burst's peak, so that a one-second rebuild on a long run is not lost between samples.
    """
    ax = axes(ax, (7, 3.4))
    end = max(result.duration for result in results.values())
    top = max([result.peak for result in results.values()] + [1])
    for (label, result), style, marker in zip(
        results.items(), ("-", "--", ":"), "o^s", strict=False
    ):
        t = np.linspace(0, result.duration, 4000)
        (line,) = ax.step(
            t,
            np.maximum(result.concurrent(t), 0.5),
            style,
            where="post",
            label=f"{label}: {result.rebuilds_per_expiry:,.1f} rebuilds/expiry, "
            f"{100 * result.waited_share:.1f}% wait",
        )
        first, peaks = _burst_peaks(result)
        ax.plot(first, peaks, marker, ls="none", ms=5, color=line.get_color())
    log_axis(ax)
    ax.set_ylim(0.5, 30 * top)  # room above the highest peak for the legend
    ax.set_xlim(0, end)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("rebuilds running at once")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return ax.figure


def _burst_peaks(result: StampedeResult) -> tuple[np.ndarray, np.ndarray]:
    """Each burst of rebuilds (starts closer than ``delta`` apart): its first start and its peak."""
    starts = result.starts
    if len(starts) == 0:
        return starts, starts
    new = np.r_[True, np.diff(starts) > result.delta]
    group = np.cumsum(new) - 1
    peaks = np.zeros(group[-1] + 1)
    np.maximum.at(peaks, group, result.concurrent(starts))
    return starts[new], peaks


def database_timeline(
    result,  # noqa: ANN001 (a PathResult: scalelab.sim.result)
    capacity: float,
    down: tuple[float, float] | None = None,
    window: float = 1.0,
    title: str = "The database behind the cache",
) -> Figure:
    """:func:`database_over_time` from a topology run: requests reaching tier "db" and p99 per window."""
    db = result.topology.tier_index("db")
    reached = result.tier_arrival[db]
    reached = reached[np.isfinite(reached)]
    arrival = result.workload.arrival
    edges = np.arange(0.0, result.workload.duration + window, window)
    counts = np.histogram(reached, edges)[0] / window
    which = np.digitize(arrival, edges) - 1
    p99 = np.array(
        [
            1000 * np.percentile(result.latency[which == k], 99) if np.any(which == k) else np.nan
            for k in range(len(edges) - 1)
        ]
    )
    return database_over_time(edges[:-1], counts, p99, capacity, down, title=title)
