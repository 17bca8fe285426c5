"""One visual language for every chapter: the same colour always means the same component.

Kept free of matplotlib so that models and tests can import it without a plotting stack.
"""

#: Fill colour of each kind of component, on diagrams and plots alike.
COLORS = {
    "user": "#4C72B0",
    "dns": "#8172B3",
    "lb": "#DD8452",
    "server": "#55A868",
    "db": "#C44E52",
    "cache": "#937860",
    "cdn": "#DA8BC3",
    "queue": "#8C8C8C",
    "down": "#BBBBBB",
}

#: Line colours of latency percentiles on every latency plot.
PERCENTILE_COLORS = {50: "#4C72B0", 95: "#DD8452", 99: "#C44E52"}

#: The seed lecture's latency target: "under 1 s, ideally 500–700 ms". Faster is never off-target, so
#: plots shade everything under 700 ms and mark the 1 s limit with a line.
LATENCY_TARGET_S = 0.7
LATENCY_LIMIT_S = 1.0
