"""Wrong answers to exercise 05 (round robin and a health-aware balancer)."""


def rr(body: str) -> str:
    """A whole answer cell: the RoundRobinBalancer class with this body."""
    return "class RoundRobinBalancer(Balancer):" + body


def ha(body: str) -> str:
    """A whole answer cell: the HealthAwareBalancer class with this body."""
    return "class HealthAwareBalancer(Balancer):" + body


WRONG = {
    "round robin picks at random": {
        "rr-answer": "import random\n\n\n"
        + rr(
            """
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
        "ha-answer": "import random\n\n\n"
        + ha(
            """
    def choose(self, servers):
        alive = [s.index for s in servers if s.healthy]
        return random.choice(alive) if alive else None
"""
        )
    },
    "round robin skips dead servers": {
        "rr-answer": rr(
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
    "round robin keeps its turn in a global variable": {
        "rr-answer": """turn = 0


class RoundRobinBalancer(Balancer):
    def choose(self, servers):
        global turn
        pick = turn % len(servers)
        turn += 1
        return pick
"""
    },
    "round robin rotates the list it is given": {
        "rr-answer": rr(
            """
    def choose(self, servers):
        first = servers.pop(0)
        servers.append(first)
        return first.index
"""
        )
    },
    "round robin returns a float index": {
        "rr-answer": "import math\n\n\n"
        + rr(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        pick = math.fmod(self.turn, len(servers))
        self.turn += 1
        return pick
"""
        )
    },
    "round robin returns the server view": {
        "rr-answer": rr(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        pick = servers[self.turn % len(servers)]
        self.turn += 1
        return pick
"""
        )
    },
    "health-aware balancer restarts its cycle when health changes": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0
        self.alive = None

    def choose(self, servers):
        alive = [s.index for s in servers if s.healthy]
        if not alive:
            return None
        if alive != self.alive:
            self.alive = alive
            self.turn = 0
        pick = alive[self.turn % len(alive)]
        self.turn += 1
        return pick
"""
        )
    },
    "health-aware balancer counts turns over the healthy list": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        alive = [s.index for s in servers if s.healthy]
        if not alive:
            return None
        pick = alive[self.turn % len(alive)]
        self.turn += 1
        return pick
"""
        )
    },
    "health-aware balancer shares one turn between balancers": {
        "ha-answer": ha(
            """
    turn = [0]

    def choose(self, servers):
        n = len(servers)
        for step in range(n):
            i = (self.turn[0] + step) % n
            if servers[i].healthy:
                self.turn[0] = i + 1
                return i
        return None
"""
        )
    },
    "health-aware balancer returns numpy floats": {
        "ha-answer": """import numpy as np


class HealthAwareBalancer(Balancer):
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        n = len(servers)
        up = np.where([s.healthy for s in servers], np.arange(n), np.nan)
        order = np.roll(up, -self.turn)
        alive = order[~np.isnan(order)]
        if len(alive) == 0:
            return None
        pick = alive[0]
        self.turn = int(pick) + 1
        return pick
"""
    },
    "every server down returns -1": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        n = len(servers)
        for step in range(n):
            i = (self.turn + step) % n
            if servers[i].healthy:
                self.turn = i + 1
                return i
        return -1
"""
        )
    },
    "health-aware balancer rotates the list it is given": {
        "ha-answer": ha(
            """
    def choose(self, servers):
        for _ in range(len(servers)):
            first = servers.pop(0)
            servers.append(first)
            if first.healthy:
                return first.index
        return None
"""
        )
    },
    "health-aware balancer starts again at server 0 after every server was down": {
        "ha-answer": ha(
            """
    def __init__(self):
        self.turn = 0

    def choose(self, servers):
        n = len(servers)
        for step in range(n):
            i = (self.turn + step) % n
            if servers[i].healthy:
                self.turn = i + 1
                return i
        self.turn = 0
        return None
"""
        )
    },
}
