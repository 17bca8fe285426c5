"""Wrong answers to exercise 06 (a read/write router, fresh reads, promotion)."""

SPLIT = "class ReadWriteRouter(Balancer):"
FRESH = "class FreshReadRouter(Balancer):"
PROMOTE = "class PromoteMostUpToDate(Promotion):"

# The reference FreshReadRouter, with one line to change in each wrong answer.
FRESH_BODY = """
    def __init__(self, max_lag, delay):
        self.max_lag = max_lag
        self.delay = delay
        self.turn = 0
        self.last_write = {}

    def route(self, request, servers):
        primary = None
        for s in servers:
            if s.role == "primary" and s.healthy:
                primary = s.index
                break
        if request.is_write:
            if primary is not None and request.session is not None:
                self.last_write[request.session] = request.time
            return primary
        if primary is not None and request.session in self.last_write:
            if request.time - self.last_write[request.session] < self.delay:
                return primary
        n = len(servers)
        for step in range(n):
            i = (self.turn + step) % n
            s = servers[i]
            if s.role == "replica" and s.healthy and s.lag <= self.max_lag:
                self.turn = i + 1
                return i
        return primary
"""


def fresh(old: str, new: str) -> dict[str, str]:
    """The reference FreshReadRouter with ``old`` replaced by ``new`` (which must be there)."""
    assert old in FRESH_BODY, old
    return {"fresh-answer": FRESH + FRESH_BODY.replace(old, new)}


WRONG = {
    "round robin over every node, writes included": {
        "split-answer": SPLIT
        + """
    def __init__(self):
        self.turn = 0

    def route(self, request, servers):
        n = len(servers)
        for step in range(n):
            i = (self.turn + step) % n
            if servers[i].healthy:
                self.turn = i + 1
                return i
        return None
"""
    },
    "no fallback: reads fail when every replica is down": {
        "split-answer": SPLIT
        + """
    def __init__(self):
        self.turn = 0

    def route(self, request, servers):
        if request.is_write:
            for s in servers:
                if s.role == "primary" and s.healthy:
                    return s.index
            return None
        n = len(servers)
        for step in range(n):
            i = (self.turn + step) % n
            if servers[i].role == "replica" and servers[i].healthy:
                self.turn = i + 1
                return i
        return None
"""
    },
    "the primary is always node 0": {
        "split-answer": SPLIT
        + """
    def __init__(self):
        self.turn = 0

    def route(self, request, servers):
        if request.is_write:
            return 0 if servers[0].healthy else None
        n = len(servers)
        for step in range(1, n):
            i = 1 + (self.turn + step - 1) % (n - 1)
            if servers[i].healthy:
                self.turn = i
                return i
        return 0 if servers[0].healthy else None
"""
    },
    "reads go to a replica even when it is down": {
        "split-answer": SPLIT
        + """
    def __init__(self):
        self.turn = 0

    def route(self, request, servers):
        primary = None
        for s in servers:
            if s.role == "primary" and s.healthy:
                primary = s.index
        if request.is_write:
            return primary
        replicas = [s.index for s in servers if s.role == "replica"]
        if not replicas:
            return primary
        self.turn += 1
        return replicas[(self.turn - 1) % len(replicas)]
"""
    },
    "a write pins every session to the primary": fresh(
        "request.session in self.last_write:\n            if request.time - self.last_write[request.session]",
        "self.last_write:\n            if request.time - max(self.last_write.values())",
    ),
    "a session is pinned forever": fresh(
        "if request.time - self.last_write[request.session] < self.delay:",
        "if True:",
    ),
    "the lag limit is ignored": fresh(" and s.lag <= self.max_lag:", ":"),
    "pinned still at exactly delay seconds": fresh(
        "request.time - self.last_write[request.session] < self.delay",
        "request.time - self.last_write[request.session] <= self.delay",
    ),
    "a replica at exactly max_lag is skipped": fresh(
        "s.lag <= self.max_lag", "s.lag < self.max_lag"
    ),
    "the first live replica is promoted": {
        "promote-answer": PROMOTE
        + """
    def choose(self, replicas):
        for r in replicas:
            if r.healthy:
                return r.index
        return None
"""
    },
    "a random live replica is promoted": {
        "promote-answer": "import random\n\n\n"
        + PROMOTE
        + """
    def choose(self, replicas):
        live = [r.index for r in replicas if r.healthy]
        return random.choice(live) if live else None
"""
    },
    "a dead replica can be promoted": {
        "promote-answer": PROMOTE
        + """
    def choose(self, replicas):
        if not replicas:
            return None
        best = max(replicas, key=lambda r: r.applied)
        return best.index if best.healthy else None
"""
    },
}
