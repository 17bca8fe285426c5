"""Wrong answers to exercise 05 (round robin and a health-aware balancer)."""


def rr(body: str) -> str:
    """A whole answer cell: the RoundRobinBalancer class with this body."""
    return "class RoundRobinBalancer(Balancer):" + body


def ha(body: str) -> str:
    """A whole answer cell: the HealthAwareBalancer class with this body."""
    return "class HealthAwareBalancer(Balancer):" + body


WRONG = {
    "round robin picks at random": {
        "rr-answer": rr(
            """
    import random

    def choose(self, servers):
        return random.randrange(len(servers))
"""
        )
    },
    "round robin starts at server 1": {
        "rr-answer": rr(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        self.turn = (self.turn + 1) % len(servers)
        return self.turn
"""
        )
    },
    "round robin shares one turn between balancers": {
        "rr-answer": rr(
            """
    turn = [0]

    def choose(self, servers):
        pick = self.turn[0] % len(servers)
        self.turn[0] += 1
        return pick
"""
        )
    },
    "round robin never reaches the last server": {
        "rr-answer": rr(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        pick = self.turn % max(len(servers) - 1, 1)
        self.turn += 1
        return pick
"""
        )
    },
    "health-aware balancer ignores health": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        pick = self.turn % len(servers)
        self.turn += 1
        return pick
"""
        )
    },
    "skipping a dead server doubles the next one's share": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        n = len(servers)
        i = self.turn % n
        self.turn += 1
        for step in range(n):
            if servers[(i + step) % n].healthy:
                return (i + step) % n
        return None
"""
        )
    },
    "a dead server is never re-admitted": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0
        self.dead = set()

    def choose(self, servers):
        self.dead |= {s.index for s in servers if not s.healthy}
        alive = [s.index for s in servers if s.index not in self.dead]
        if not alive:
            return None
        pick = alive[self.turn % len(alive)]
        self.turn += 1
        return pick
"""
        )
    },
    "every server down divides by zero": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        alive = [s.index for s in servers if s.healthy]
        pick = alive[self.turn % len(alive)]
        self.turn += 1
        return pick
"""
        )
    },
    "every server down loops forever": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        while not servers[self.turn % len(servers)].healthy:
            self.turn += 1
        pick = self.turn % len(servers)
        self.turn += 1
        return pick
"""
        )
    },
    "random choice among healthy servers": {
        "ha-answer": ha(
            """
    import random

    def choose(self, servers):
        alive = [s.index for s in servers if s.healthy]
        return random.choice(alive) if alive else None
"""
        )
    },
}
