"""Wrong answers to exercise 01 (capacity, latency at a utilisation)."""

WRONG = {
    "capacity forgets the cores": {
        "capacity-answer": """
def capacity(cpu_ms, cores=1):
    if cpu_ms <= 0 or cores < 1:
        raise ValueError("bad input")
    return 1000 / cpu_ms
"""
    },
    "capacity mixes ms and s": {
        "capacity-answer": """
def capacity(cpu_ms, cores=1):
    if cpu_ms <= 0 or cores < 1:
        raise ValueError("bad input")
    return cores / cpu_ms
"""
    },
    "capacity rounds down with //": {
        "capacity-answer": """
def capacity(cpu_ms, cores=1):
    if cpu_ms <= 0 or cores < 1:
        raise ValueError("bad input")
    return cores * 1000 // cpu_ms
"""
    },
    "capacity divides by zero instead of refusing it": {
        "capacity-answer": """
def capacity(cpu_ms, cores=1):
    return cores * 1000 / cpu_ms
"""
    },
    "latency grows linearly with utilisation": {
        "latency-answer": """
def expected_latency_ms(cpu_ms, utilisation):
    if not 0 <= utilisation < 1:
        raise ValueError("utilisation must be in [0, 1)")
    return cpu_ms * (1 + utilisation)
"""
    },
    "latency counts only the wait in line": {
        "latency-answer": """
def expected_latency_ms(cpu_ms, utilisation):
    if not 0 <= utilisation < 1:
        raise ValueError("utilisation must be in [0, 1)")
    return cpu_ms * utilisation / (1 - utilisation)
"""
    },
    "latency has no answer for a full server": {
        "latency-answer": """
def expected_latency_ms(cpu_ms, utilisation):
    return cpu_ms / (1 - utilisation)
"""
    },
}
