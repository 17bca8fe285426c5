"""Wrong answers to exercise 07 (a doubly linked list, an LRU cache with TTL, cache-aside)."""

LIST = """class DoublyLinkedList:
    def __init__(self):
        self.head, self.tail = Node("<head>"), Node("<tail>")
        self.head.next, self.tail.prev = self.tail, self.head
        self.size = 0

    def __len__(self):
        return self.size

    def keys(self):
        keys, node = [], self.head.next
        while node is not self.tail:
            keys.append(node.key)
            node = node.next
        return keys

    def push_front(self, node):
        first = self.head.next
        node.prev, node.next = self.head, first
        self.head.next = node
        first.prev = node
        self.size += 1

    def remove(self, node):
        node.prev.next = node.next
        node.next.prev = node.prev
        node.prev = node.next = None
        self.size -= 1

    def move_to_front(self, node):
        self.remove(node)
        self.push_front(node)

    def pop_back(self):
        if self.size == 0:
            return None
        node = self.tail.prev
        self.remove(node)
        return node
"""

LRU = """class LRUCache:
    def __init__(self, capacity, clock):
        self.capacity, self.clock = capacity, clock
        self.nodes = {}
        self.order = DoublyLinkedList()

    def __len__(self):
        return len(self.nodes)

    def get(self, key):
        node = self.nodes.get(key)
        if node is None:
            return MISS
        if self.clock() >= node.expires_at:
            self.delete(key)
            return MISS
        self.order.move_to_front(node)
        return node.value

    def put(self, key, value, ttl=None):
        expires_at = float("inf") if ttl is None else self.clock() + ttl
        if self.capacity == 0:
            return
        node = self.nodes.get(key)
        if node is not None:
            node.value, node.expires_at = value, expires_at
            self.order.move_to_front(node)
            return
        if len(self.nodes) >= self.capacity:
            del self.nodes[self.order.pop_back().key]
        node = Node(key, value, expires_at)
        self.nodes[key] = node
        self.order.push_front(node)

    def delete(self, key):
        node = self.nodes.pop(key, None)
        if node is not None:
            self.order.remove(node)
"""

ASIDE = """def cache_aside_read(key, cache, db, ttl):
    value = cache.get(key)
    if value is MISS:
        value = db.read(key)
        cache.put(key, value, ttl)
    return value


def cache_aside_write(key, value, cache, db):
    db.write(key, value)
    cache.delete(key)
"""


def changed(source: str, old: str, new: str) -> str:
    """``source`` with ``old`` replaced by ``new`` (which must occur exactly once)."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


WRONG = {
    # 1. The list
    "remove forgets the back link (a singly linked habit)": {
        "list-answer": changed(LIST, "        node.next.prev = node.prev\n", "")
    },
    "pop_back pops the front": {
        "list-answer": changed(LIST, "node = self.tail.prev", "node = self.head.next")
    },
    "remove does not update the length": {
        "list-answer": changed(LIST, "        self.size -= 1\n", "")
    },
    # 2. The LRU cache
    "FIFO passed off as LRU: get does not refresh recency": {
        "lru-answer": changed(
            LRU,
            "        self.order.move_to_front(node)\n        return node.value\n",
            "        return node.value\n",
        )
    },
    "put on an existing key does not refresh it": {
        "lru-answer": changed(
            LRU,
            "node.value, node.expires_at = value, expires_at\n            self.order.move_to_front(node)",
            "node.value = value",
        )
    },
    "expired values returned": {
        "lru-answer": changed(
            LRU,
            "        if self.clock() >= node.expires_at:\n            self.delete(key)\n"
            "            return MISS\n",
            "",
        )
    },
    "the wall clock instead of the injected clock": {
        "lru-answer": "import time\n\n\n" + LRU.replace("self.clock()", "time.time()")
    },
    "a cached None treated as a miss": {
        "lru-answer": changed(
            LRU, "        if node is None:\n", "        if node is None or node.value is None:\n"
        )
    },
    "O(n) eviction: a Python list scanned for the oldest key": {
        "lru-answer": """class LRUCache:
    def __init__(self, capacity, clock):
        self.capacity, self.clock = capacity, clock
        self.values, self.used = {}, []

    def __len__(self):
        return len(self.values)

    def get(self, key):
        if key not in self.values:
            return MISS
        value, expires_at = self.values[key]
        if self.clock() >= expires_at:
            self.delete(key)
            return MISS
        self.used.remove(key)
        self.used.append(key)
        return value

    def put(self, key, value, ttl=None):
        if self.capacity == 0:
            return
        if key in self.values:
            self.used.remove(key)
        elif len(self.values) >= self.capacity:
            del self.values[self.used.pop(0)]
        self.values[key] = (value, float("inf") if ttl is None else self.clock() + ttl)
        self.used.append(key)

    def delete(self, key):
        if self.values.pop(key, None) is not None:
            self.used.remove(key)
"""
    },
    "two caches share one dictionary (a class attribute)": {
        "lru-answer": changed(
            LRU,
            "class LRUCache:\n",
            "class LRUCache:\n    nodes = {}  # one dictionary for every cache\n\n",
        ).replace("        self.nodes = {}\n", "")
    },
    "collections.OrderedDict instead of the linked list": {
        "lru-answer": """from collections import OrderedDict


class LRUCache:
    def __init__(self, capacity, clock):
        self.capacity, self.clock = capacity, clock
        self.entries = OrderedDict()

    def __len__(self):
        return len(self.entries)

    def get(self, key):
        if key not in self.entries:
            return MISS
        value, expires_at = self.entries[key]
        if self.clock() >= expires_at:
            del self.entries[key]
            return MISS
        self.entries.move_to_end(key)
        return value

    def put(self, key, value, ttl=None):
        if self.capacity == 0:
            return
        if key in self.entries:
            self.entries.move_to_end(key)
        elif len(self.entries) >= self.capacity:
            self.entries.popitem(last=False)
        self.entries[key] = (value, float("inf") if ttl is None else self.clock() + ttl)

    def delete(self, key):
        self.entries.pop(key, None)
"""
    },
    "capacity 0 crashes on the first put": {
        "lru-answer": changed(LRU, "        if self.capacity == 0:\n            return\n", "")
    },
    # 3. Cache-aside
    "a falsy value (None, 0, '') read again from the database every time": {
        "aside-answer": changed(ASIDE, "    if value is MISS:\n", "    if not value:\n")
    },
    "the value read on a miss is never cached": {
        "aside-answer": changed(ASIDE, "        cache.put(key, value, ttl)\n", "")
    },
    "cached without its ttl": {
        "aside-answer": changed(
            ASIDE, "        cache.put(key, value, ttl)\n", "        cache.put(key, value)\n"
        )
    },
    "a write leaves the stale copy in the cache": {
        "aside-answer": changed(ASIDE, "    cache.delete(key)\n", "")
    },
}
