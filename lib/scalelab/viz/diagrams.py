"""Architecture diagrams drawn the same way in every chapter: tiers from left to right.

A diagram is a list of tiers; each tier is a list of :class:`Node`. Every node in one tier is joined
to every node in the next, which is how traffic flows (users → load balancer → servers → database).
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

    def __post_init__(self) -> None:
        if self.kind not in COLORS:
            raise ValueError(f"kind must be one of {sorted(COLORS)}, got {self.kind!r}")


def draw(tiers: list[list[Node]], title: str = "", ax: Axes | None = None) -> Figure:
    """Draw ``tiers`` left to right; a node with ``down=True`` is grey, dashed red and says so."""
    if not tiers or not all(tiers):
        raise ValueError("a diagram needs at least one tier, and every tier at least one node")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * len(tiers) + 1, 0.9 * max(map(len, tiers)) + 1.2))
    width, height = 1.5, 0.6
    centres: list[list[tuple[float, float]]] = []
    for col, tier in enumerate(tiers):
        x = col * 2.2
        ys = [(len(tier) - 1) / 2 * 0.9 - row * 0.9 for row in range(len(tier))]
        centres.append([(x, y) for y in ys])
        for node, y in zip(tier, ys, strict=True):
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
    for left, right in pairwise(centres):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.annotate(
                    "",
                    xy=(x1 - width / 2, y1),
                    xytext=(x0 + width / 2, y0),
                    arrowprops={"arrowstyle": "->", "color": "#444444", "lw": 1},
                )
    ax.set_xlim(-width, (len(tiers) - 1) * 2.2 + width)
    span = max(map(len, tiers)) * 0.45 + 0.3
    ax.set_ylim(-span, span)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax.figure


def single_server(down: bool = False) -> Figure:
    """Chapter 01: users talk straight to one server that runs everything."""
    return draw(
        [[Node("user", "users")], [Node("server", "web + app\n+ DB", down=down)]],
        "One server does everything",
    )


def load_balanced(n_servers: int, down: frozenset[int] = frozenset()) -> Figure:
    """Chapter 05: users → one public load balancer → private servers."""
    servers = [Node("server", f"web-{i + 1}", down=i in down) for i in range(n_servers)]
    return draw(
        [[Node("user", "users")], [Node("lb", "load\nbalancer", note="")], servers],
        "One public address, private servers behind it",
    )


def journey() -> Figure:
    """Chapter 00: the road from one server to a million users, one box per step, read from the
    chapter list (:func:`scalelab.chapters.journey_steps`)."""
    steps = [[Node(kind, label)] for kind, label in chapters.journey_steps()]
    return draw(steps, "From 1 to 1,000,000 users")
