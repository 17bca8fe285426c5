"""Wrong answers to exercise 12 (a range router, a consistent-hash ring with virtual nodes)."""

# The reference answers, as a learner would write them; each wrong answer changes one thing.
RANGE = """class RangeRouter:
    def __init__(self, boundaries, nodes=None):
        self.boundaries = list(boundaries)
        if nodes is None:
            nodes = [f"shard-{i + 1}" for i in range(len(self.boundaries))]
        self.nodes = list(nodes)

    def get_node(self, key):
        i = bisect.bisect_left(self.boundaries, key)
        if i == len(self.boundaries):
            raise ValueError(f"key {key} is above the last boundary {self.boundaries[-1]}")
        return self.nodes[i]
"""

RING = """class HashRing:
    def __init__(self, nodes=(), vnodes=100, hash_fn=stable_hash):
        self.vnodes = vnodes
        self.hash_fn = hash_fn
        self.tokens = []
        self.owners = []
        self.nodes = []
        for node in nodes:
            self.add_node(node)

    def add_node(self, node):
        if node in self.nodes:
            raise ValueError(f"{node} is already on the ring")
        self.nodes.append(node)
        for i in range(self.vnodes):
            token = self.hash_fn(f"{node}#{i}")
            at = bisect.bisect_left(self.tokens, token)
            self.tokens.insert(at, token)
            self.owners.insert(at, node)

    def remove_node(self, node):
        if node not in self.nodes:
            raise ValueError(f"{node} is not on the ring")
        self.nodes.remove(node)
        keep = [k for k, owner in enumerate(self.owners) if owner != node]
        self.tokens = [self.tokens[k] for k in keep]
        self.owners = [self.owners[k] for k in keep]

    def get_node(self, key):
        if not self.tokens:
            raise ValueError("the ring is empty")
        i = bisect.bisect_left(self.tokens, self.hash_fn(str(key)))
        return self.owners[i % len(self.tokens)]
"""


def _ring(old: str, new: str) -> str:
    assert old in RING, old
    return RING.replace(old, new)


def _range(old: str, new: str) -> str:
    assert old in RANGE, old
    return RANGE.replace(old, new)


# Modulo hashing dressed up as a ring: the node list is the "ring".
MODULO_RING = """class HashRing:
    def __init__(self, nodes=(), vnodes=100, hash_fn=stable_hash):
        self.vnodes, self.hash_fn = vnodes, hash_fn
        self.nodes = []
        for node in nodes:
            self.add_node(node)

    def add_node(self, node):
        if node in self.nodes:
            raise ValueError(f"{node} is already on the ring")
        self.nodes.append(node)

    def remove_node(self, node):
        if node not in self.nodes:
            raise ValueError(f"{node} is not on the ring")
        self.nodes.remove(node)

    def get_node(self, key):
        if not self.nodes:
            raise ValueError("the ring is empty")
        return self.nodes[self.hash_fn(str(key)) % len(self.nodes)]
"""

#: Python's own hash() for tokens and keys: salted per process (PYTHONHASHSEED).
PYTHON_HASH = _ring('token = self.hash_fn(f"{node}#{i}")', 'token = hash(f"{node}#{i}")').replace(
    "self.hash_fn(str(key))", "hash(str(key))"
)

WRONG = {
    "range: a key on a boundary goes to the next shard (bisect_right)": {
        "range-answer": _range(
            "bisect.bisect_left(self.boundaries, key)", "bisect.bisect_right(self.boundaries, key)"
        )
    },
    "range: boundaries read as lower bounds": {
        "range-answer": _range(
            "i = bisect.bisect_left(self.boundaries, key)\n        if i == len(self.boundaries):",
            "i = bisect.bisect_right(self.boundaries, key) - 1\n        if i >= len(self.boundaries):",
        )
    },
    "range: a key above the last boundary lands on the last shard": {
        "range-answer": _range(
            'raise ValueError(f"key {key} is above the last boundary {self.boundaries[-1]}")',
            "return self.nodes[-1]",
        )
    },
    "ring: modulo hashing passed off as a ring": {"ring-answer": MODULO_RING},
    "ring: Python's hash() instead of a stable hash": {"ring-answer": PYTHON_HASH},
    "ring: no wrap-around past the last token": {
        "ring-answer": _ring(
            "self.owners[i % len(self.tokens)]", "self.owners[min(i, len(self.tokens) - 1)]"
        )
    },
    "ring: counter-clockwise (the previous token)": {
        "ring-answer": _ring(
            "return self.owners[i % len(self.tokens)]", "return self.owners[i - 1]"
        )
    },
    "ring: every virtual node on the same token": {
        "ring-answer": _ring(
            'token = self.hash_fn(f"{node}#{i}")', "token = self.hash_fn(str(node))"
        )
    },
    "ring: remove_node takes off one token only": {
        "ring-answer": _ring(
            "        keep = [k for k, owner in enumerate(self.owners) if owner != node]\n"
            "        self.tokens = [self.tokens[k] for k in keep]\n"
            "        self.owners = [self.owners[k] for k in keep]\n",
            "        k = self.owners.index(node)\n        del self.tokens[k], self.owners[k]\n",
        )
    },
    "ring: add_node sorts the tokens but not their owners": {
        "ring-answer": _ring(
            "            at = bisect.bisect_left(self.tokens, token)\n"
            "            self.tokens.insert(at, token)\n"
            "            self.owners.insert(at, node)\n",
            "            self.tokens.append(token)\n            self.owners.append(node)\n"
            "        self.tokens.sort()\n",
        )
    },
    "ring: an empty ring or an unknown node raises no error": {
        "ring-answer": _ring(
            '            raise ValueError("the ring is empty")', "            return None"
        ).replace(
            '            raise ValueError(f"{node} is not on the ring")', "            return"
        )
    },
}
