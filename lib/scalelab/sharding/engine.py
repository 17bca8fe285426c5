"""A shard router as the database tier's router in the engine.

:class:`ShardRouter` wraps anything with ``get_node(key)`` (the library's routers or a learner's ring)
into a :class:`~scalelab.sim.route.Balancer`: the request's key picks the shard, whose answer is a node
name (matched to the tier's server names) or an integer index. A shard holds its keys alone, so a request
whose shard is down has nowhere else to go (``None``: the tier has no server for it), unlike a replica
pool or chapter 07's cache nodes.

``route_many`` is the engine's fast path: it asks the router once per *distinct* key of a batch and
spreads the answers over the batch; a test holds it to the answers of ``route`` one request at a time.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from scalelab.sim.route import Balancer, RequestView, ServerView
from scalelab.sim.server import Server


class ShardRouter(Balancer):
    """Sends each request to the shard that ``router.get_node(request.key)`` names.

    Parameters
    ----------
    router : object with ``get_node(key)``
        Returns a server name of the tier (``"shard-1"`` …) or a server index.
    """

    def __init__(self, router: object) -> None:
        if not callable(getattr(router, "get_node", None)):
            raise TypeError(f"router must have a get_node(key) method, got {type(router).__name__}")
        self.router = router
        self._index: dict[Hashable, int] = {}

    def reset(self, n_servers: int, rng: np.random.Generator) -> None:
        self._index = {}

    def _server(self, node: Hashable, servers: Sequence[ServerView]) -> int:
        if isinstance(node, int | np.integer) and not isinstance(node, bool):
            index = int(node)
            if not 0 <= index < len(servers):
                raise ValueError(f"the router named shard {index}, but the tier has {len(servers)}")
            return index
        if not self._index:
            self._index = {s.name: s.index for s in servers}
        if node not in self._index:
            raise ValueError(
                f"the router named shard {node!r}, but the tier's servers are {list(self._index)}"
            )
        return self._index[node]

    def route(self, request: RequestView, servers: Sequence[ServerView]) -> int | None:
        if request.key is None:
            raise ValueError("a shard router needs keys: give the workload keys (with_keys)")
        index = self._server(self.router.get_node(request.key), servers)
        return index if servers[index].healthy else None

    def choose(self, servers: Sequence[ServerView]) -> int | None:
        raise TypeError("ShardRouter routes by key: the engine must call route(request, servers)")

    def route_many(
        self,
        times: np.ndarray,
        keys: np.ndarray | None,
        kinds: np.ndarray,
        sessions: np.ndarray | None,
        servers: Sequence[ServerView],
    ) -> np.ndarray:
        """The same answers as ``route`` for each request, asking the router once per distinct key."""
        if keys is None:
            raise ValueError("a shard router needs keys: give the workload keys (with_keys)")
        distinct, inverse = np.unique(np.asarray(keys), return_inverse=True)
        shard = np.array(
            [self._server(self.router.get_node(int(k)), servers) for k in distinct], dtype=np.int64
        )
        healthy = np.array([s.healthy for s in servers], dtype=bool)
        shard = np.where(healthy[shard], shard, -1) if len(shard) else shard
        return shard[inverse.reshape(-1)]

    def __repr__(self) -> str:
        return f"ShardRouter({self.router!r})"


def shards(n: int, **kwargs: object) -> list[Server]:
    """``n`` database servers named shard-1 … shard-n (for a sharded database tier)."""
    return [Server(name=f"shard-{i + 1}", **kwargs) for i in range(n)]  # type: ignore[arg-type]
