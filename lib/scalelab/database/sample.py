"""A small video site's database in real SQLite: users, videos and who watched what.

Chapter 03's examples, its exercise and the exercise's tests all query the same schema, built here by
:func:`sample_db` into an in-memory SQLite database (Python's standard ``sqlite3``: nothing to install,
and the SQL is the real thing). The data are seeded, so a generator with the same seed gives the same
rows, in the same order, every time.

The rows are inserted in ``id`` order while names, titles and view counts are drawn at random, so a
query that forgets its ``ORDER BY`` returns the right rows in the wrong order: the order a table happens
to be stored in is not an order anybody asked for.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from scalelab.validate import positive_int

SCHEMA = """
CREATE TABLE users (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL,
    country TEXT NOT NULL
);
CREATE TABLE videos (
    id       INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    title    TEXT NOT NULL,
    minutes  INTEGER NOT NULL
);
CREATE TABLE views (
    id       INTEGER PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users(id),
    video_id INTEGER NOT NULL REFERENCES videos(id),
    day      INTEGER NOT NULL
);
"""
"""The three tables: ``views`` joins a user to a video on a day (0 = the site's first day)."""

GIVEN = (
    "Ada", "Bora", "Chen", "Dara", "Eun-ji", "Farid", "Grace", "Hana", "Ines", "Jae-won", "Kofi",
    "Lena", "Min-jun", "Nadia", "Oscar", "Priya", "Quinn", "Rosa", "Seo-yeon", "Tomas", "Uma",
    "Viktor", "Wen", "Xavier", "Yuna", "Zane",
)  # fmt: skip
FAMILY = (
    "Kim", "Lee", "Park", "Choi", "Jung", "Garcia", "Smith", "Okafor", "Silva", "Nguyen", "Müller",
    "Rossi", "Tanaka", "Haddad", "Novak", "Dubois",
)  # fmt: skip
#: A name with a quote in it: SQL glued together from strings breaks on it (chapter 03, chapter 15).
QUOTED = "Siobhan O'Brien"
COUNTRIES = ("KR", "US", "JP", "DE", "BR", "IN")
TOPICS = (
    "cats", "ramen", "chess", "guitar", "rockets", "origami", "kimchi", "surfing", "jazz", "Rust",
    "SQL", "gardening", "drones", "baking", "K-pop", "go (baduk)", "Lego", "painting",
)  # fmt: skip
KINDS = ("How to", "Why", "10 facts about", "Live:", "Learn", "A day of", "The best", "My first")


def names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct user names, :data:`QUOTED` first, then "Given Family" pairs in random order (and
    numbered ones once the pairs run out)."""
    positive_int("n", n)
    pairs = [f"{g} {f}" for f in FAMILY for g in GIVEN]
    if n - 1 <= len(pairs):
        return [QUOTED] + [pairs[i] for i in rng.choice(len(pairs), n - 1, replace=False)]
    extra = [f"{pairs[i % len(pairs)]} {i // len(pairs) + 1}" for i in range(n - 1 - len(pairs))]
    every = np.array(pairs + extra, dtype=object)
    return [QUOTED, *every[rng.permutation(len(every))].tolist()]


def sample_db(
    rng: np.random.Generator | None = None,
    users: int = 40,
    videos: int = 30,
    views: int = 400,
    idle_users: int = 5,
) -> sqlite3.Connection:
    """An in-memory SQLite database of the video site, filled with seeded random rows.

    Parameters
    ----------
    rng : numpy.random.Generator, optional
        The seeded source of the rows, e.g. ``np.random.default_rng(3)``; ``default_rng(0)`` if omitted.
    users, videos, views : int
        How many rows each table gets (``views`` may be 0).
    idle_users : int
        How many users (never user 1, :data:`QUOTED`) watch nothing at all: they have no row in ``views``,
        so only a ``LEFT JOIN`` keeps them.

    Returns
    -------
    sqlite3.Connection
        Tables ``users(id, name, country)``, ``videos(id, owner_id, title, minutes)`` and
        ``views(id, user_id, video_id, day)``, with no index beyond the primary keys (every name is
        different, but nothing in the schema says so: a ``UNIQUE`` would build an index). User 1
        is :data:`QUOTED` and, when there are views, has watched one video twice.
    """
    if rng is None:
        rng = np.random.default_rng(0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy Generator, e.g. np.random.default_rng(3), got {rng!r}"
        )
    positive_int("users", users)
    positive_int("videos", videos)
    if isinstance(views, bool) or not isinstance(views, int) or views < 0:
        raise ValueError(f"views must be an integer of 0 or more, got {views!r}")
    if (
        isinstance(idle_users, bool)
        or not isinstance(idle_users, int)
        or not 0 <= idle_users < users
    ):
        raise ValueError(f"idle_users must be an integer from 0 to users - 1, got {idle_users!r}")
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    # Names in random order, so that id order, name order and view-count order all differ.
    country = rng.choice(COUNTRIES, users).tolist()
    conn.executemany(
        "INSERT INTO users VALUES (?, ?, ?)",
        zip(range(1, users + 1), names(users, rng), country, strict=True),
    )
    titles = [f"{k} {t}" for t in TOPICS for k in KINDS]
    picked = rng.choice(len(titles), videos, replace=videos > len(titles))
    title = [
        titles[p] + (f" #{i + 1}" if videos > len(titles) else "") for i, p in enumerate(picked)
    ]
    conn.executemany(
        "INSERT INTO videos VALUES (?, ?, ?, ?)",
        [
            (i + 1, int(o), title[i], int(m))
            for i, (o, m) in enumerate(
                zip(rng.integers(1, users + 1, videos), rng.integers(1, 60, videos), strict=True)
            )
        ],
    )
    if views:
        idle = 2 + rng.permutation(users - 1)[:idle_users]
        active = np.setdiff1d(np.arange(1, users + 1), idle)
        # Popularity is skewed (a few videos get most views), as on every real site.
        weight = 1 / np.arange(1, videos + 1) ** 0.8
        popular = rng.permutation(videos) + 1
        user = rng.choice(active, views)
        video = rng.choice(popular, views, p=weight / weight.sum())
        if views >= 2:
            user[:2], video[1] = 1, video[0]  # user 1 watches one video twice
        day = np.sort(rng.integers(0, 365, views))
        conn.executemany(
            "INSERT INTO views VALUES (?, ?, ?, ?)",
            zip(range(1, views + 1), user.tolist(), video.tolist(), day.tolist(), strict=True),
        )
    conn.commit()
    return conn
