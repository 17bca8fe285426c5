"""Real servers on the loopback address for the course's labs (chapters 02 and 05): see ``loopback``."""

from scalelab.net.loopback import (
    HOST,
    Fetched,
    LocalServer,
    LogLine,
    Reply,
    Request,
    check_loopback,
    free_port,
    get,
    stop_all,
)

__all__ = [
    "HOST",
    "Fetched",
    "LocalServer",
    "LogLine",
    "Reply",
    "Request",
    "check_loopback",
    "free_port",
    "get",
    "stop_all",
]
