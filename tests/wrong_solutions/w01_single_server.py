"""Wrong answers to exercise 01 (capacity, latency at a utilisation)."""

CAPACITY_CHECK = """
    if cpu_ms <= 0 or cores < 1:
        raise ValueError("bad input")
"""
LATENCY_CHECK = """
    if cpu_ms <= 0:
        raise ValueError("cpu_ms must be positive")
    if not 0 <= utilisation < 1:
        raise ValueError("utilisation must be in [0, 1)")
"""


def capacity(check: str, formula: str) -> dict[str, str]:
    """A whole capacity answer cell with this check and return expression."""
    return {"capacity-answer": f"def capacity(cpu_ms, cores=1):{check}    return {formula}\n"}


def latency(check: str, formula: str) -> dict[str, str]:
    """A whole expected_latency_ms answer cell with this check and return expression."""
    return {
        "latency-answer": f"def expected_latency_ms(cpu_ms, utilisation):{check}    return {formula}\n"
    }


WRONG = {
    "capacity forgets the cores": capacity(CAPACITY_CHECK, "1000 / cpu_ms"),
    "capacity mixes ms and s": capacity(CAPACITY_CHECK, "cores / cpu_ms"),
    "capacity counts per minute": capacity(CAPACITY_CHECK, "cores * 60_000 / cpu_ms"),
    "capacity rounds down with //": capacity(CAPACITY_CHECK, "cores * 1000 // cpu_ms"),
    "capacity rounds to one decimal": capacity(CAPACITY_CHECK, "round(cores * 1000 / cpu_ms, 1)"),
    "capacity divides by zero instead of refusing it": capacity("\n", "cores * 1000 / cpu_ms"),
    "capacity refuses only negative CPU time": capacity(
        """
    if cpu_ms < 0 or cores < 1:
        raise ValueError("bad input")
""",
        "cores * 1000 / cpu_ms",
    ),
    "capacity does not check the cores": capacity(
        """
    if cpu_ms <= 0:
        raise ValueError("cpu_ms must be positive")
""",
        "cores * 1000 / cpu_ms",
    ),
    "capacity refuses one core": capacity(
        """
    if cpu_ms <= 0 or cores <= 1:
        raise ValueError("bad input")
""",
        "cores * 1000 / cpu_ms",
    ),
    "capacity refuses only when both are wrong": capacity(
        """
    if cpu_ms <= 0 and cores < 1:
        raise ValueError("bad input")
""",
        "cores * 1000 / cpu_ms",
    ),
    "capacity asserts instead of raising ValueError": capacity(
        """
    assert cpu_ms > 0 and cores >= 1, "bad input"
""",
        "cores * 1000 / cpu_ms",
    ),
    "latency grows linearly with utilisation": latency(LATENCY_CHECK, "cpu_ms * (1 + utilisation)"),
    "latency counts only the wait in line": latency(
        LATENCY_CHECK, "cpu_ms * utilisation / (1 - utilisation)"
    ),
    "latency forgets the brackets": latency(LATENCY_CHECK, "cpu_ms / 1 - utilisation"),
    "latency in seconds": latency(LATENCY_CHECK, "cpu_ms / 1000 / (1 - utilisation)"),
    "latency rounded to whole milliseconds": latency(
        LATENCY_CHECK, "round(cpu_ms / (1 - utilisation))"
    ),
    "latency has no answer for a full server": latency("\n", "cpu_ms / (1 - utilisation)"),
    "latency lets a full server through": latency(
        """
    if cpu_ms <= 0:
        raise ValueError("cpu_ms must be positive")
    if utilisation > 1 or utilisation < 0:
        raise ValueError("utilisation must be in [0, 1)")
""",
        "cpu_ms / (1 - utilisation)",
    ),
    "latency accepts a negative utilisation": latency(
        """
    if cpu_ms <= 0:
        raise ValueError("cpu_ms must be positive")
    if utilisation >= 1:
        raise ValueError("utilisation must be below 1")
""",
        "cpu_ms / (1 - utilisation)",
    ),
    "latency does not check the CPU time": latency(
        """
    if not 0 <= utilisation < 1:
        raise ValueError("utilisation must be in [0, 1)")
""",
        "cpu_ms / (1 - utilisation)",
    ),
}
