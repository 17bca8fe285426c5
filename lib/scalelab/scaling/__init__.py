"""Chapter 04, scale up vs scale out: a bigger box, or more boxes.

**Scale up** (수직 확장): buy a bigger server. Nothing in the code changes, but there is a largest
box (the ceiling), the top sizes cost more per unit, and one box is a single point of failure.
**Scale out** (수평 확장): add servers. Capacity grows a server at a time and a crash costs one
server's share, but it needs a load balancer (chapter 05) and a *stateless* web tier: any server
must be able to answer any request, so sessions move to a shared store (:mod:`.sessions`).

The arithmetic: :mod:`.availability` (k of n servers up, series and parallel, downtime per year,
the N + 1 rule), :mod:`.pricing` (a price list, the cheapest pool that meets a target), :mod:`.usl`
(the Universal Scalability Law: why throughput stops growing). The simulated side: :mod:`.bigbox`
(one big box against four small ones; failures over a year) and :mod:`.sessions`.
"""

from scalelab.scaling.availability import (
    HOURS_PER_YEAR,
    availability,
    downtime_per_year,
    n_plus_one,
    nines,
    parallel,
    series,
    servers_needed,
)
from scalelab.scaling.bigbox import CPU_TIME, big_box, random_outages, run_both, up_share
from scalelab.scaling.pricing import MODELS, Pool, Size, cheapest_pool, price_list, smallest_pool
from scalelab.scaling.sessions import (
    SessionStore,
    StatefulServer,
    StatelessServer,
    logged_out,
    new_token,
)
from scalelab.scaling.usl import usl_capacity, usl_peak

__all__ = [
    "HOURS_PER_YEAR",
    "availability",
    "series",
    "parallel",
    "downtime_per_year",
    "nines",
    "servers_needed",
    "n_plus_one",
    "MODELS",
    "Size",
    "Pool",
    "price_list",
    "smallest_pool",
    "cheapest_pool",
    "usl_capacity",
    "usl_peak",
    "CPU_TIME",
    "big_box",
    "run_both",
    "random_outages",
    "up_share",
    "SessionStore",
    "StatelessServer",
    "StatefulServer",
    "new_token",
    "logged_out",
]
