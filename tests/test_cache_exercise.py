"""Exercise 07: the library's list and cache, imported or subclassed, score no hidden point."""

from __future__ import annotations

import pytest
from submissions import run_exercise

BORROWED = {
    "imported": {
        "list-answer": "from scalelab.cache import DoublyLinkedList\n",
        "lru-answer": "from scalelab.cache import LRUCache\n",
    },
    "subclassed": {
        "list-answer": "from scalelab import cache\n\n\n"
        "class DoublyLinkedList(cache.DoublyLinkedList):\n    pass\n",
        "lru-answer": "from scalelab import cache\n\n\nclass LRUCache(cache.LRUCache):\n    pass\n",
    },
}


@pytest.mark.parametrize("how", list(BORROWED))
def test_the_librarys_classes_score_no_hidden_point(how: str) -> None:
    got = run_exercise("07-cache", BORROWED[how])
    hidden = {g: r for g, r in got.items() if "hidden" in g and not g.startswith("aside-")}
    assert hidden and all("write your own class" in r for r in hidden.values()), hidden
    assert all(r == "pass" for g, r in got.items() if g.startswith("aside-")), got


def test_the_reference_keeps_every_point() -> None:
    got = run_exercise("07-cache", {})
    assert all(r == "pass" for r in got.values()), got
