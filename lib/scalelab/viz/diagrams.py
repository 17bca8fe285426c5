"""Diagrams drawn the same way in every chapter: boxes in tiers from left to right, arrows between them.

A diagram is a list of tiers (each a list of :class:`Node`), the arrows between nodes as explicit
``(from, to)`` pairs of node keys, and optional :class:`Zone` frames around groups of nodes (a private
network, a data centre). Which pictures the chapters show is :mod:`scalelab.viz.architecture`'s table.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from scalelab import chapters
from scalelab.viz.style import COLORS


@dataclass(frozen=True)
class Node:
    """One box: ``kind`` picks its colour (a key of :data:`scalelab.viz.style.COLORS`)."""

    kind: str
    label: str
    down: bool = False
    note: str = ""
    key: str = ""  #: how edges and zones name the node; its label when empty

    @property
    def name(self) -> str:
        """The key edges and zones use for this node."""
        return self.key or self.label

    def __post_init__(self) -> None:
        if self.kind not in COLORS:
            raise ValueError(f"kind must be one of {sorted(COLORS)}, got {self.kind!r}")


@dataclass(frozen=True)
class Zone:
    """A dashed frame around some nodes (named by key), labelled at its top: a network, a data centre."""

    label: str
    nodes: tuple[str, ...]


def chain(tiers: list[list[Node]]) -> list[tuple[str, str]]:
    """Edges from every node of each tier to every node of the next: traffic fanning out."""
    return [(a.name, b.name) for left, right in pairwise(tiers) for a in left for b in right]


def draw(
    tiers: list[list[Node]],
    title: str = "",
    ax: Axes | None = None,
    edges: list[tuple[str, str]] | None = None,
    zones: tuple[Zone, ...] = (),
) -> Figure:
    """Draw ``tiers`` left to right with an arrow per edge (default :func:`chain`) and the zones framed.

    A node with ``down=True`` is grey, dashed red and says so.
    """
    if not tiers or not all(tiers):
        raise ValueError("a diagram needs at least one tier, and every tier at least one node")
    names = [node.name for tier in tiers for node in tier]
    if len(set(names)) != len(names):
        raise ValueError(f"every node needs its own key, got {names}")
    edges = chain(tiers) if edges is None else edges
    unknown = sorted({n for edge in edges for n in edge} | {n for z in zones for n in z.nodes})
    unknown = [n for n in unknown if n not in names]
    if unknown:
        raise ValueError(f"edges and zones must name nodes of the diagram {names}, got {unknown}")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * len(tiers) + 1, 0.9 * max(map(len, tiers)) + 1.2))
    width, height = 1.5, 0.6
    centre: dict[str, tuple[float, float]] = {}
    for col, tier in enumerate(tiers):
        x = col * 2.2
        ys = [(len(tier) - 1) / 2 * 0.9 - row * 0.9 for row in range(len(tier))]
        for node, y in zip(tier, ys, strict=True):
            centre[node.name] = (x, y)
            colour = COLORS["down"] if node.down else COLORS[node.kind]
            box = FancyBboxPatch(
                (x - width / 2, y - height / 2),
                width,
                height,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor=colour,
                edgecolor="#C44E52" if node.down else "black",
                linestyle="--" if node.down else "-",
                linewidth=1.5 if node.down else 1,
            )
            ax.add_patch(box)
            text = (
                node.label
                + (f"\n{node.note}" if node.note else "")
                + ("\n(down)" if node.down else "")
            )
            ink = "#333333" if node.down else "white"  # dark text stays readable on the grey box
            ax.text(x, y, text, ha="center", va="center", fontsize=9, color=ink, weight="bold")
    for start, end in edges:
        (x0, y0), (x1, y1) = centre[start], centre[end]
        ax.annotate(
            "",
            xy=(x1 - width / 2, y1),
            xytext=(x0 + width / 2, y0),
            arrowprops={"arrowstyle": "->", "color": "#444444", "lw": 1},
        )
    top = max(map(len, tiers)) * 0.45 + 0.3
    for zone in zones:
        xs = [centre[n][0] for n in zone.nodes]
        ys = [centre[n][1] for n in zone.nodes]
        left, bottom = min(xs) - width / 2 - 0.15, min(ys) - height / 2 - 0.15
        frame = FancyBboxPatch(
            (left, bottom),
            max(xs) - min(xs) + width + 0.3,
            max(ys) - min(ys) + height + 0.3,
            boxstyle="round,pad=0,rounding_size=0.15",
            facecolor="none",
            edgecolor="#666666",
            linestyle=":",
        )
        ax.add_patch(frame)
        label_y = max(ys) + height / 2 + 0.2
        ax.text((min(xs) + max(xs)) / 2, label_y, zone.label, ha="center", va="bottom", fontsize=8)
        top = max(top, label_y + 0.35)
    ax.set_xlim(-width, (len(tiers) - 1) * 2.2 + width)
    ax.set_ylim(-max(map(len, tiers)) * 0.45 - 0.3, top)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax.figure


def journey() -> Figure:
    """Chapter 00: the road from one server to a million users, one box per step, read from the
    chapter list (:func:`scalelab.chapters.journey_steps`)."""
    steps = [[Node(kind, label)] for kind, label in chapters.journey_steps()]
    return draw(steps, "From 1 to 1,000,000 users")
