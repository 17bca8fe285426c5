"""The architecture at each step of the course, in one table: chapter step → picture.

Every chapter's "story so far" is drawn from here, in the same visual language (colours from
:mod:`scalelab.viz.style`, boxes and arrows from :mod:`scalelab.viz.diagrams`).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from scalelab.viz.diagrams import Node, Zone, draw

#: The balancer's public address in pictures: 203.0.113.0/24 is reserved for documentation (RFC 5737).
PUBLIC_IP = "203.0.113.10"
#: The servers' private network (RFC 1918).
PRIVATE_NET = "10.0.0.0/24"


def single_server(down: bool = False) -> Figure:
    """Chapter 01: users talk straight to one server that runs everything."""
    users, server = (
        Node("user", "users"),
        Node("server", "web + app\n+ DB", down=down, key="server"),
    )
    return draw([[users], [server]], "One server does everything", edges=[("users", "server")])


def frontend_backend(api_down: bool = False) -> Figure:
    """Chapter 02: the browser loads the page from a front end and calls the API on a back end."""
    users = Node("user", "browsers")
    frontend = Node("server", "front end", note="static files", key="frontend")
    backend = Node("server", "back end", down=api_down, note="API + DB", key="backend")
    return draw(
        [[users], [frontend, backend]],
        "Page from the front end, data from the API",
        edges=[("browsers", "frontend"), ("browsers", "backend")],
    )


def app_and_db(down: bool = False) -> Figure:
    """Chapter 03, before: the application and its database on one box, sharing RAM and cores."""
    users = Node("user", "users")
    app = Node("server", "web + app", down=down, key="app")
    db = Node("db", "database", down=down, key="db")
    return draw(
        [[users], [app], [db]],
        "App and database on one box: they share its RAM and cores",
        edges=[("users", "app"), ("app", "db")],
        zones=(Zone("one server: shared RAM and cores", ("app", "db")),),
    )


def dedicated_db(db_down: bool = False) -> Figure:
    """Chapter 03, after: the database on a server of its own, reached over the private network."""
    users = Node("user", "users")
    app = Node("server", "web + app", note="10.0.0.11", key="app")
    db = Node("db", "database", down=db_down, note="10.0.0.21", key="db")
    return draw(
        [[users], [app], [db]],
        "The database on its own server",
        edges=[("users", "app"), ("app", "db")],
        zones=(Zone(f"private network {PRIVATE_NET}", ("app", "db")),),
    )


def scale_up_or_out(n_servers: int = 4, down: bool = False) -> Figure:
    """Chapter 04: one bigger box (scale up) beside ordinary boxes behind a balancer (scale out).

    With ``down`` the big box and web-1 have crashed: all of the one, a quarter of the other.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 0.7 * n_servers + 0.6), width_ratios=(2, 3))
    big = Node("server", "big box", down=down, note=f"{n_servers} cores", key="big")
    draw([[Node("user", "users")], [big]], "Scale up: one bigger box", ax=left,
         edges=[("users", "big")])  # fmt: skip
    servers = [Node("server", f"web-{i + 1}", down=down and i == 0) for i in range(n_servers)]
    balancer = Node("lb", "load\nbalancer", key="lb")
    draw(
        [[Node("user", "users")], [balancer], servers],
        "Scale out: more boxes behind a load balancer",
        ax=right,
        edges=[("users", "lb")] + [("lb", s.name) for s in servers],
    )
    return fig


def load_balanced(n_servers: int, down: frozenset[int] = frozenset()) -> Figure:
    """Chapter 05: users → the balancer's one public address → servers on a private network."""
    servers = [
        Node("server", f"web-{i + 1}", down=i in down, note=f"10.0.0.{i + 11}")
        for i in range(n_servers)
    ]
    balancer = Node("lb", "load\nbalancer", note=PUBLIC_IP, key="lb")
    return draw(
        [[Node("user", "users")], [balancer], servers],
        "One public address, private servers behind it",
        edges=[("users", "lb")] + [("lb", s.name) for s in servers],
        zones=(Zone(f"private network {PRIVATE_NET}", tuple(s.name for s in servers)),),
    )


def replicated(
    n_replicas: int = 3, n_servers: int = 4, primary_down: bool = False, promoted: int | None = None
) -> Figure:
    """Chapter 06: the web servers write to one primary database and read from its replicas."""
    servers = [Node("server", f"web-{i + 1}") for i in range(n_servers)]
    primary = Node("db", "primary", down=primary_down, note="writes", key="primary")
    replicas = [
        Node(
            "db",
            f"replica-{i}",
            note="new primary" if promoted == i else "reads",
            key=f"replica-{i}",
        )
        for i in range(1, n_replicas + 1)
    ]
    balancer = Node("lb", "load\nbalancer", note=PUBLIC_IP, key="lb")
    edges = [("users", "lb")] + [("lb", s.name) for s in servers]
    edges += [(s.name, "primary") for s in servers[:1]] + [
        (servers[-1].name, r.name) for r in replicas
    ]
    edges += [("primary", r.name) for r in replicas]
    return draw(
        [[Node("user", "users")], [balancer], servers, [primary], replicas],
        "Writes go to the primary, which copies them to the replicas; reads go to the replicas",
        edges=edges,
        zones=(Zone(f"private network {PRIVATE_NET}", tuple(s.name for s in servers)),),
    )


def with_cache(n_servers: int = 2, n_caches: int = 2, down: frozenset[int] = frozenset()) -> Figure:
    """Chapter 07: web servers read through a tier of cache nodes; a miss goes on to the database.

    ``down`` holds the indexes of cache nodes that are down (their keys fall through to the database).
    """
    servers = [Node("server", f"web-{i + 1}") for i in range(n_servers)]
    caches = [Node("cache", f"cache-{i + 1}", down=i in down) for i in range(n_caches)]
    database = Node("db", "database", key="db")
    balancer = Node("lb", "load\nbalancer", note=PUBLIC_IP, key="lb")
    edges = (
        [("users", "lb")]
        + [("lb", s.name) for s in servers]
        + [(s.name, c.name) for s in servers for c in caches]
        + [(c.name, "db") for c in caches]
    )
    return draw(
        [[Node("user", "users")], [balancer], servers, caches, [database]],
        "Reads look in the cache first; only misses reach the database",
        edges=edges,
    )


def with_cdn(
    edges: tuple[str, ...] = ("Seoul", "Frankfurt", "São Paulo"), down: frozenset[int] = frozenset()
) -> Figure:
    """Chapter 08: users reach the nearest CDN edge; only misses go on to the origin (an S3 bucket).

    ``down`` holds the indexes of edges drawn as down (their users go to the next nearest edge).
    """
    users = [Node("user", f"users\n{e}", key=f"users-{i}") for i, e in enumerate(edges)]
    nodes = [
        Node("cdn", f"edge\n{e}", key=f"edge-{i}", down=i in down, note="TTL cache")
        for i, e in enumerate(edges)
    ]
    origin = Node("db", "origin\n(S3 bucket)", key="origin", note="us-east-1")
    edges_ = [(u.name, n.name) for u, n in zip(users, nodes, strict=True)]
    edges_ += [(n.name, "origin") for n in nodes]
    return draw(
        [users, nodes, [origin]],
        "Each user fetches from the nearest edge; only misses cross the ocean to the origin",
        edges=edges_,
        zones=(Zone("CDN (e.g. CloudFront)", tuple(n.name for n in nodes)),),
    )


def sharded(n_shards: int = 4, n_servers: int = 2, hot: int | None = None) -> Figure:
    """Chapter 12: the web servers' shard router sends each key to the one database shard that holds it.

    ``hot`` is the index of a shard drawn as melting under a celebrity's traffic (drawn down).
    """
    servers = [Node("server", f"web-{i + 1}", note="shard router") for i in range(n_servers)]
    shards = [
        Node(
            "db",
            f"shard-{i + 1}",
            down=i == hot,
            note="hot key!" if i == hot else "1/" + str(n_shards),
        )
        for i in range(n_shards)
    ]
    balancer = Node("lb", "load\nbalancer", note=PUBLIC_IP, key="lb")
    edges = [("users", "lb")] + [("lb", s.name) for s in servers]
    edges += [(s.name, d.name) for s in servers for d in shards]
    return draw(
        [[Node("user", "users")], [balancer], servers, shards],
        "Each shard holds a part of the rows; the shard key says which",
        edges=edges,
        zones=(Zone("sharded database", tuple(d.name for d in shards)),),
    )


def multi_datacenter(
    regions: tuple[str, ...] = ("Seoul", "N. Virginia"), down: int | None = None
) -> Figure:
    """Chapter 09: GeoDNS sends each user to the nearest healthy region; each region has its own balancer,
    servers and database, and the databases copy writes to each other across regions.

    ``down`` is the index of a region drawn as failed (its users are sent to another).
    """
    dns = Node("dns", "GeoDNS", note="nearest healthy", key="dns")
    balancers = [
        Node("lb", f"lb {r}", down=i == down, key=f"lb-{i}") for i, r in enumerate(regions)
    ]
    servers = [
        Node("server", f"web {r}", down=i == down, key=f"web-{i}") for i, r in enumerate(regions)
    ]
    dbs = [
        Node("db", f"db {r}", down=i == down, note="async copy", key=f"db-{i}")
        for i, r in enumerate(regions)
    ]
    edges = [("users", "dns")] + [("dns", b.name) for b in balancers]
    edges += [(b.name, s.name) for b, s in zip(balancers, servers, strict=True)]
    edges += [(s.name, d.name) for s, d in zip(servers, dbs, strict=True)]
    edges += [(a.name, b.name) for a, b in zip(dbs, dbs[1:], strict=False)]
    return draw(
        [[Node("user", "users")], [dns], balancers, servers, dbs],
        "Users go to the nearest healthy region; the regions copy their data to each other",
        edges=edges,
        zones=tuple(
            Zone(f"region {r}", (balancers[i].name, servers[i].name, dbs[i].name))
            for i, r in enumerate(regions)
        ),
    )


#: Each step of the course and the function that draws it.
STEPS: dict[str, Callable[..., Figure]] = {
    "single-server": single_server,
    "frontend-backend": frontend_backend,
    "app-and-db": app_and_db,
    "database": dedicated_db,
    "scale-up-vs-out": scale_up_or_out,
    "load-balancer": load_balanced,
    "replication": replicated,
    "cache": with_cache,
    "cdn": with_cdn,
    "multi-datacenter": multi_datacenter,
    "sharding": sharded,
}


def picture(step: str, **options: object) -> Figure:
    """The architecture at ``step`` (a key of :data:`STEPS`), with the step's own options."""
    if step not in STEPS:
        raise ValueError(f"step must be one of {sorted(STEPS)}, got {step!r}")
    return STEPS[step](**options)
