"""What a pool costs: a price list of server sizes, and the cheapest pool that meets a target.

The price model. Within one cloud instance family, price grows in step with size: each size up has
twice the vCPUs and memory at twice the hourly price, so a unit of capacity costs the same in a small
box and a large one (check the AWS EC2 on-demand price list; prices change). A bigger box is *not*
dearer per unit in the middle of a family. It is dearer in three other ways, which the model keeps:

* at the **top**: the largest sizes, high-memory machines and on-premises big iron carry a premium
  per unit (``model="top-tier premium"`` charges ``premium`` times the unit price from
  ``premium_from`` units up; the factor is the course's assumption, not a quoted price);
* the **ceiling**: there is a largest size, and no amount of money buys a bigger one;
* the **spare**: a pool of one big box needs a second big box to survive a crash (N + 1), while a
  pool of many small ones needs one more small one.

:func:`cheapest_pool` searches every size for the fewest servers that carry the peak with one spare
and meet the availability target, and returns the cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass

from scalelab.scaling.availability import _share, availability, servers_needed
from scalelab.validate import positive, positive_int

#: The price models :func:`price_list` knows.
MODELS = ("linear", "top-tier premium")

#: The most servers :func:`cheapest_pool` considers of one size.
MAX_SERVERS = 200


@dataclass(frozen=True)
class Size:
    """One server size: ``units`` of the smallest size, ``capacity`` requests/s, ``price`` $ per hour."""

    name: str
    units: int
    capacity: float
    price: float

    def __post_init__(self) -> None:
        positive_int("units", self.units)
        positive("capacity", self.capacity)
        positive("price", self.price)


#: Costs closer than this ($ per hour) are a tie: in floating point 4 × 0.15 is 0.6 but 3 × 0.2 is
#: 0.6000000000000001, and both pools cost $0.60.
COST_TOLERANCE = 1e-9


def _target(target: float) -> None:
    """Raise ``ValueError`` unless ``target`` is a share from 0 up to, but not including, 1."""
    _share("target", target)
    if target >= 1.0:
        raise ValueError(
            f"target must be below 1 (100% is unreachable: every server fails some of the time), "
            f"got {target!r}"
        )


@dataclass(frozen=True)
class Pool:
    """A pool of ``count`` servers of ``size``, of which ``needed`` carry the peak."""

    size: Size
    count: int
    needed: int
    availability: float

    @property
    def cost(self) -> float:
        """Dollars per hour for the whole pool."""
        return self.count * self.size.price


def price_list(
    model: str = "linear",
    unit_price: float = 0.1,
    unit_capacity: float = 50.0,
    largest: int = 64,
    premium: float = 1.5,
    premium_from: int = 32,
) -> list[Size]:
    """Sizes of 1, 2, 4 … ``largest`` units; each unit carries ``unit_capacity`` requests/s.

    ``"linear"``: a size of u units costs u × ``unit_price`` $/h. ``"top-tier premium"``: sizes of
    ``premium_from`` units or more cost ``premium`` (at least 1) times that. ``largest`` (a power of
    two) is the ceiling. The default $0.10 per unit-hour is illustrative, not a quoted price.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    positive("unit_price", unit_price)
    positive("unit_capacity", unit_capacity)
    positive_int("largest", largest)
    if largest & (largest - 1):
        raise ValueError(
            f"largest must be a power of two (sizes double: 1, 2, 4 …), got {largest!r}"
        )
    positive("premium", premium)
    if premium < 1:
        raise ValueError(
            f"premium must be at least 1 (a surcharge on the top sizes), got {premium!r}"
        )
    sizes, units = [], 1
    while units <= largest:
        factor = premium if model == "top-tier premium" and units >= premium_from else 1.0
        sizes.append(Size(f"{units}x", units, units * unit_capacity, units * unit_price * factor))
        units *= 2
    return sizes


def smallest_pool(size: Size, peak: float, a: float, target: float, spare: int = 1) -> Pool | None:
    """The fewest servers of ``size`` that carry ``peak`` with ``spare`` more and meet ``target``.

    ``None`` when more than :data:`MAX_SERVERS` would be needed.
    """
    if not isinstance(size, Size):
        raise ValueError(f"size must be a Size (one entry of price_list()), got {size!r}")
    _share("a (availability of one server)", a)
    _target(target)
    needed = servers_needed(peak, size.capacity)
    for count in range(needed + spare, MAX_SERVERS + 1):
        up = availability(count, needed, a)
        if up >= target:
            return Pool(size, count, needed, up)
    return None


def cheapest_pool(peak: float, sizes: list[Size], a: float, target: float, spare: int = 1) -> Pool:
    """The cheapest pool that carries ``peak`` requests/s with ``spare`` servers over what it needs
    (N + 1 by default) and is up at least a share ``target`` of the time, each server up a share ``a``.

    Costs within :data:`COST_TOLERANCE` of each other are a tie (4 × $0.15 = 3 × $0.20), and ties
    go to fewer servers, then to the earlier size in ``sizes``. Raises ``ValueError`` when no size
    can do it with at most :data:`MAX_SERVERS` servers.
    """
    positive("peak", peak)
    _share("a (availability of one server)", a)
    _target(target)
    if isinstance(spare, bool) or not isinstance(spare, int) or spare < 0:
        raise ValueError(f"spare must be an integer of 0 or more, got {spare!r}")
    if isinstance(sizes, dict):
        raise ValueError(
            "sizes must be a list of Size(name, units, capacity, price), as price_list() makes, "
            "got a dict (the exercise's {name: (capacity, price)} format)"
        )
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes must hold at least one Size, got an empty price list")
    for s in sizes:
        if not isinstance(s, Size):
            raise ValueError(f"each size must be a Size(name, units, capacity, price), got {s!r}")
    pools = [p for s in sizes if (p := smallest_pool(s, peak, a, target, spare)) is not None]
    if not pools:
        raise ValueError(
            f"no size reaches availability {target} for {peak} requests/s with at most "
            f"{MAX_SERVERS} servers of availability {a}"
        )
    cheapest = min(p.cost for p in pools)
    tied = [p for p in pools if p.cost <= cheapest + COST_TOLERANCE]
    return min(tied, key=lambda p: p.count)
