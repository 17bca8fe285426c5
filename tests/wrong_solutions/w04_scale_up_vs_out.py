"""Wrong answers to exercise 04 (k-of-n availability, the cheapest pool, a stateless session store)."""

AVAIL = """def availability(n, k, a):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer of at least 1, got {n!r}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an integer from 1 to n = {n}, got {k!r}")
    if isinstance(a, bool) or not isinstance(a, (int, float)) or not 0 <= a <= 1:
        raise ValueError(f"a must be a number from 0 to 1, got {a!r}")
    return sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))


def downtime_per_year(A):
    if isinstance(A, bool) or not isinstance(A, (int, float)) or not 0 <= A <= 1:
        raise ValueError(f"A must be a number from 0 to 1, got {A!r}")
    return (1 - A) * 365.25 * 24
"""

POOL = """def cheapest_pool(peak, sizes, a, target):
    best = None
    for name, (capacity, price) in sizes.items():
        needed = math.ceil(peak / capacity)
        count = needed + 1
        while scaling.availability(count, needed, a) < target:
            count += 1
        cost = round(count * price, 2)  # money, to the cent: 4 × 0.15 and 3 × 0.2 are both 0.60
        if best is None or (cost, count) < best[0]:
            best = ((cost, count), name, count)
    return best[1], best[2]
"""

STORE = """class SessionStore:
    def __init__(self):
        self.sessions = {}

    def save(self, token, user):
        self.sessions[token] = user

    def load(self, token):
        return self.sessions.get(token)

    def delete(self, token):
        self.sessions.pop(token, None)


class StatelessServer:
    def __init__(self, name, store):
        self.name, self.store = name, store

    def login(self, user):
        token = secrets.token_urlsafe(16)
        self.store.save(token, user)
        return token

    def whoami(self, token):
        return self.store.load(token)

    def logout(self, token):
        self.store.delete(token)

    def restart(self):
        pass
"""


def changed(source: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced by ``new`` (which must occur exactly once)."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


BINOMIAL = "    return sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))\n"

WRONG = {
    # 1. Availability of k of n
    "1 − (1 − a)ⁿ (parallel) for every k": {
        "avail-answer": changed(AVAIL, BINOMIAL, "    return 1 - (1 - a) ** n\n")
    },
    "aⁿ (series) for every k": {"avail-answer": changed(AVAIL, BINOMIAL, "    return a**n\n")},
    "the sum stops one short: range(k, n)": {
        "avail-answer": changed(AVAIL, "range(k, n + 1)", "range(k, n)")
    },
    "no checks: k > n returns 0, a = 1.5 returns a number": {
        "avail-answer": "def availability(n, k, a):\n"
        + BINOMIAL
        + "\n\n"
        + AVAIL.split("\n\n\n")[1]
    },
    # 2. The cheapest pool
    "no N + 1 spare: starts at the servers the peak needs": {
        "pool-answer": changed(POOL, "count = needed + 1", "count = needed")
    },
    "availability of 1 of count (parallel) where needed of count is meant": {
        "pool-answer": changed(
            POOL, "scaling.availability(count, needed, a)", "scaling.availability(count, 1, a)"
        )
    },
    "round(peak / capacity) servers: a part server rounded away": {
        "pool-answer": changed(POOL, "math.ceil(peak / capacity)", "round(peak / capacity)")
    },
    "the fewest servers, whatever they cost": {
        "pool-answer": changed(POOL, "(cost, count) < best[0]", "(count, 0) < best[0]").replace(
            "best = ((cost, count), name, count)", "best = ((count, 0), name, count)"
        )
    },
    # 3. A stateless session store
    "sessions in each server's own dictionary": {
        "session-answer": changed(
            changed(
                changed(
                    STORE,
                    "        self.store.save(token, user)\n",
                    "        self.own[token] = user\n",
                ),
                "        return self.store.load(token)\n",
                "        return self.own.get(token)\n",
            ),
            "        self.name, self.store = name, store\n",
            "        self.name, self.store, self.own = name, store, {}\n",
        )
    },
    "one module-level dictionary that every store shares": {
        "session-answer": "SESSIONS = {}\n\n\n"
        + changed(STORE, "        self.sessions = {}\n", "        self.sessions = SESSIONS\n")
    },
    "tokens from a counter per server": {
        "session-answer": changed(
            changed(
                STORE,
                "        token = secrets.token_urlsafe(16)\n",
                "        self.issued += 1\n        token = str(self.issued)\n",
            ),
            "        self.name, self.store = name, store\n",
            "        self.name, self.store, self.issued = name, store, 0\n",
        )
    },
    "restart clears the shared store": {
        "session-answer": changed(STORE, "        pass\n", "        self.store.sessions = {}\n")
    },
}
