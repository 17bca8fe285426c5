"""Wrong answers to exercise 03 (SQL on the video site, an index, and the kind of store)."""

STORES = {
    "shop-orders": "relational",
    "sessions": "key-value",
    "catalog": "document",
    "sensors": "wide-column",
    "friends": "graph",
    "chat": "wide-column",
    "video-analytics": "relational",
}


def count(sql: str) -> str:
    """A whole answer cell: views_per_user running this query."""
    return f"def views_per_user(conn):\n    return conn.execute({sql!r}).fetchall()\n"


def stores(**changed: str) -> str:
    """A whole answer cell: choose_store from the right table with some answers changed."""
    return f"def choose_store(workload):\n    return {STORES | changed!r}[workload]\n"


INDEX = "CREATE INDEX views_by_user ON views (user_id)"
COUNT = "SELECT COUNT(*) FROM views WHERE user_id = ?"

WRONG = {
    "views per user without ORDER BY": {
        "count-answer": count(
            "SELECT u.name, COUNT(v.id) FROM users u LEFT JOIN views v ON v.user_id = u.id "
            "GROUP BY u.id"
        )
    },
    "views per user with COUNT(*) over the LEFT JOIN (no views counts as 1)": {
        "count-answer": count(
            "SELECT u.name, COUNT(*) AS n FROM users u LEFT JOIN views v ON v.user_id = u.id "
            "GROUP BY u.id ORDER BY n DESC, u.name"
        )
    },
    "views per user with an inner join (users with no views vanish)": {
        "count-answer": count(
            "SELECT u.name, COUNT(v.id) AS n FROM users u JOIN views v ON v.user_id = u.id "
            "GROUP BY u.id ORDER BY n DESC, u.name"
        )
    },
    "watched_by builds its SQL with an f-string": {
        "watched-answer": """def watched_by(conn, name):
    rows = conn.execute(
        "SELECT DISTINCT videos.title FROM users JOIN views ON views.user_id = users.id "
        f"JOIN videos ON videos.id = views.video_id WHERE users.name = '{name}'"
    )
    return [title for (title,) in rows]
"""
    },
    "watched_by quotes the name with double quotes in an f-string": {
        "watched-answer": """def watched_by(conn, name):
    rows = conn.execute(
        "SELECT DISTINCT videos.title FROM users JOIN views ON views.user_id = users.id "
        f'JOIN videos ON videos.id = views.video_id WHERE users.name = "{name}"'
    )
    return [title for (title,) in rows]
"""
    },
    "watched_by joins videos without a condition (cartesian product)": {
        "watched-answer": """def watched_by(conn, name):
    rows = conn.execute(
        "SELECT DISTINCT videos.title FROM users, views, videos "
        "WHERE views.user_id = users.id AND users.name = ?",
        (name,),
    )
    return [title for (title,) in rows]
"""
    },
    "watched_by without DISTINCT (a video watched twice appears twice)": {
        "watched-answer": """def watched_by(conn, name):
    rows = conn.execute(
        "SELECT videos.title FROM users JOIN views ON views.user_id = users.id "
        "JOIN videos ON videos.id = views.video_id WHERE users.name = ?",
        (name,),
    )
    return [title for (title,) in rows]
"""
    },
    "the index is created inside the query function": {
        "index-answer": f'''def add_index(conn):
    pass


def views_of(conn, user_id):
    conn.execute("CREATE INDEX IF NOT EXISTS views_by_user ON views (user_id)")
    return conn.execute("{COUNT}", (user_id,)).fetchone()[0]
'''
    },
    "an index led by the wrong column (day, user_id): the query scans it": {
        "index-answer": f'''def add_index(conn):
    conn.execute("CREATE INDEX views_by_day ON views (day, user_id)")


def views_of(conn, user_id):
    return conn.execute("{COUNT}", (user_id,)).fetchone()[0]
'''
    },
    "the right index, but the query counts in Python over every row": {
        "index-answer": f'''def add_index(conn):
    conn.execute("{INDEX}")


def views_of(conn, user_id):
    return sum(1 for (uid,) in conn.execute("SELECT user_id FROM views") if uid == user_id)
'''
    },
    "views_of builds its query with an f-string": {
        "index-answer": f'''def add_index(conn):
    conn.execute("{INDEX}")


def views_of(conn, user_id):
    return conn.execute(f"SELECT COUNT(*) FROM views WHERE user_id = {{user_id}}").fetchone()[0]
'''
    },
    "key-value for orders that need joins and transactions": {
        "store-answer": stores(**{"shop-orders": "key-value"})
    },
    "graph for plain records (analytics over users, videos and views)": {
        "store-answer": stores(**{"video-analytics": "graph"})
    },
    "relational for everything": {
        "store-answer": "def choose_store(workload):\n    return 'relational'\n"
    },
}
