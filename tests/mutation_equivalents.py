"""Mutants of the reference solutions that no test can kill, because they do what the original does.

exercise → {mutant id, exactly as ``make mutation`` prints it → one line saying why it is equivalent}.
``tests/test_mutation.py`` fails when a listed mutant no longer exists or is now killed, so the list
follows the answer cells. A surviving mutant that a test could kill is a gap in the hidden tests,
never an entry here.
"""

EQUIVALENT: dict[str, dict[str, str]] = {
    "02-frontend-backend": {
        "size-answer L6: 9 → 10": (
            "the digits kept before rounding up only absorb floating-point error next to a whole number; "
            "the tests keep loads at least 1e-6 from one (or exactly whole), where 8, 9 or 10 agree"
        ),
        "size-answer L6: 9 → 8": (
            "the digits kept before rounding up only absorb floating-point error next to a whole number; "
            "the tests keep loads at least 1e-6 from one (or exactly whole), where 8, 9 or 10 agree"
        ),
    },
    "04-scale-up-vs-out": {
        "avail-answer L4: 'n < 1' → 'n < 0'": (
            "n = 0 then passes the n check, but no k satisfies 1 <= k <= 0, so the k check raises "
            "the ValueError instead"
        ),
        "pool-answer L10: 'round(count * price, 2)' → 'round(count * price, 3)'": (
            "the tests' prices are whole cents (hand-written cases) or sixteenths of a dollar (random "
            "ones), so two costs are equal or at least a cent apart, and tenths of a cent order them as "
            "cents do; sub-cent prices would fail learners who compare costs exactly (Fractions)"
        ),
        "session-answer L21: 'self.sessions.pop(token, None)' → 'self.sessions.pop(token, 0)'": (
            "the default only says what pop returns for an unknown token, and delete returns nothing"
        ),
        "session-answer L35: 'secrets.token_urlsafe(16)' → 'secrets.token_urlsafe(17)'": (
            "23 characters from 17 random bytes: as unique and as unguessable (the task asks for 16 "
            "or more characters)"
        ),
        "session-answer L35: 'secrets.token_urlsafe(16)' → 'secrets.token_urlsafe(15)'": (
            "20 characters from 15 random bytes (120 bits): still unguessable and 16 characters or "
            "more, which is what the task asks"
        ),
    },
    "05-load-balancer": {
        "rr-answer L7: 'self.turn' → 'type(self).turn'": (
            "every __init__ writes the same 0 to the class, and choose rebinds turn on the instance "
            "before any other read, so each balancer still starts at 0 and keeps its own turn"
        ),
        "ha-answer L7: 'self.turn' → 'type(self).turn'": (
            "every __init__ writes the same 0 to the class, and choose rebinds turn on the instance "
            "before any other read, so each balancer still starts at 0 and keeps its own turn"
        ),
        "ha-answer L13: 'range(n)' → 'range(n + 1)'": (
            "the extra step n looks at (turn + n) % n, the server step 0 already found down, "
            "so it returns None all the same"
        ),
    },
    "06-replication": {
        "split-answer L7: 'self.turn' → 'type(self).turn'": (
            "every __init__ writes the same 0 to the class, and route rebinds turn on the instance "
            "before any other read, so each router still starts at 0 and keeps its own turn"
        ),
        "fresh-answer L9: 'self.turn' → 'type(self).turn'": (
            "every __init__ writes the same 0 to the class, and route rebinds turn on the instance "
            "before any other read, so each router still starts at 0 and keeps its own turn"
        ),
        "split-answer L20: 'range(n)' → 'range(n + 1)'": (
            "the extra step n looks at (turn + n) % n, the node step 0 already found unusable, "
            "so it falls through to the primary all the same"
        ),
        "fresh-answer L28: 'range(n)' → 'range(n + 1)'": (
            "the extra step n looks at (turn + n) % n, the node step 0 already found unusable, "
            "so it falls through to the primary all the same"
        ),
        "split-answer L16: 'break' removed": (
            "a tier has at most one primary, so the last healthy primary found is the first"
        ),
        "fresh-answer L19: 'break' removed": (
            "a tier has at most one primary, so the last healthy primary found is the first"
        ),
    },
    "07-cache": {
        "list-answer L8: 'self.size' → 'type(self).size'": (
            "every __init__ writes the same 0 to the class, and push_front rebinds size on the instance "
            "before it can differ, so each list still starts at 0 and keeps its own length"
        ),
    },
    "08-cdn": {
        "cost-answer L6: 'gb <= below' → 'gb < below'": (
            "at gb == below the next tier adds (min(gb, up_to) − below) · price = 0 and the loop stops "
            "one tier later: the same cost"
        ),
    },
    "09-multi-datacenter": {
        "nearest-answer L5: 'lat2 - lat1' → 'lat1 - lat2'": (
            "sin² of the half difference is the same for either sign"
        ),
        "nearest-answer L5: 'lon2 - lon1' → 'lon1 - lon2'": (
            "sin² of the half difference is the same for either sign"
        ),
        "nearest-answer L6: 'min(1.0, h)' → 'min(2.0, h)'": (
            "h is at most 1 but for a rounding error at an antipode; the clamp keeps asin in its domain, "
            "and the exercise does not demand it"
        ),
        "failover-answer L11: '(t - phase) / ttl' → '(t - phase) // ttl'": (
            "math.floor(a // b) equals math.floor(a / b) for floats: the same last query"
        ),
    },
    "12-sharding": {
        "range-answer L8: 'range(len(self.boundaries))' → 'range(len(self.boundaries) + 1)'": (
            "the extra default name is never returned: get_node indexes nodes only below "
            "len(boundaries)"
        ),
        "ring-answer L29: 'if node not in self.nodes:' removed": (
            "without the check, self.nodes.remove(node) raises ValueError for a node not on the ring, "
            "the same error before anything changed"
        ),
        "ring-answer L30: 'raise ValueError(f'{node} is not on the ring')' removed": (
            "without the raise, self.nodes.remove(node) raises ValueError for a node not on the ring, "
            "the same error before anything changed"
        ),
        "ring-answer L42: 'i % len(self.tokens)' → 'i - len(self.tokens)'": (
            "for 0 <= i < T, owners[i - T] is owners[i] (a negative index), and i = T gives owners[0]: "
            "the same wrap-around"
        ),
    },
}
