"""The simulation core's contracts, each written to kill mutants that ``make mutants`` found alive.

Results are built by hand where that pins a number exactly (a SimResult is plain arrays), so a test
says which request belongs to which window, which outcome it had, and what each summary must be.
"""

import math
import warnings

import numpy as np
import pytest

import scalelab
from scalelab.sim import (
    NO_SERVER,
    OK,
    REFUSED,
    Outage,
    Server,
    ServerView,
    SimResult,
    Workload,
    diurnal,
    flash_crowd,
    from_rate,
    poisson,
    pool,
    simulate,
    with_keys,
    zipf_keys,
)
from scalelab.theory import queueing


def rng(seed: int = 1) -> np.random.Generator:
    return np.random.default_rng(seed)


def hand_made(arrival, status, server=None, servers=None, wait=0.0, service=0.1, duration=3.0):
    """A SimResult of chosen requests: OK ones start after ``wait`` and take ``service`` seconds."""
    arrival = np.array(arrival, dtype=float)
    status = np.array(status, dtype=np.int8)
    ok = status == OK
    start = np.where(ok, arrival + wait, np.nan)
    departure = np.where(ok, start + service, np.nan)
    servers = servers or [Server()]
    server = np.zeros(len(arrival), dtype=np.int64) if server is None else np.array(server)
    workload = Workload(arrival, np.full(len(arrival), service), duration)
    return SimResult(workload, servers, server, status, start, departure)


# --- results -------------------------------------------------------------------------------------


def test_over_time_puts_each_request_in_its_window_and_counts_one_failure() -> None:
    # An arrival exactly on an edge (1.0, 2.0) opens the next window; window 1 has exactly one
    # request, which failed; window 2's latencies are 0.1, 0.3 and 0.5 s.
    result = hand_made(
        [0.2, 0.6, 1.0, 2.0, 2.4, 2.8],
        [OK, OK, REFUSED, OK, OK, OK],
        wait=np.array([0.0, 0.2, 0.0, 0.0, 0.2, 0.4]),
    )
    out = result.over_time(1.0, q=(50, 100))
    assert out["t"].tolist() == [0.0, 1.0, 2.0]
    assert out["errors"].tolist() == [0.0, 1.0, 0.0]
    assert out["p50"][0] == pytest.approx(0.2)
    assert math.isnan(out["p50"][1])
    assert out["p50"][2] == pytest.approx(0.3)
    assert out["p100"][2] == pytest.approx(0.5)


def test_over_time_an_empty_window_has_no_errors_and_no_latency() -> None:
    result = hand_made([0.5, 2.5], [OK, OK])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 / 0 must not be computed
        out = result.over_time(1.0)
    assert out["errors"].tolist() == [0.0, 0.0, 0.0]
    assert math.isnan(out["p50"][1]) and out["p99"][0] == pytest.approx(0.1)


def test_over_time_keeps_the_windows_when_a_failed_request_arrives_at_the_very_end() -> None:
    result = hand_made([0.5, 3.0], [OK, REFUSED])
    out = result.over_time(1.0)
    assert [len(v) for v in out.values()] == [3] * len(out)


def test_a_run_with_no_answer_has_no_latency_and_says_so_quietly() -> None:
    result = hand_made([0.5, 1.5], [REFUSED, NO_SERVER])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(result.percentile(50))
        assert math.isnan(result.mean_latency())
    assert result.error_counts() == {REFUSED: 1, NO_SERVER: 1}
    assert "errors 2 (100.0%)" in result.summary()


def test_error_counts_list_only_the_outcomes_that_happened() -> None:
    result = hand_made([0.5, 1.0, 1.5], [OK, REFUSED, REFUSED])
    assert result.error_counts() == {REFUSED: 2}
    assert hand_made([0.5], [OK]).error_counts() == {}


def test_utilisation_and_counts_have_one_entry_per_server_even_an_idle_last_one() -> None:
    servers = [Server(name="a"), Server(name="b"), Server(name="idle")]
    result = hand_made(
        [0.0, 1.0, 2.0], [OK, OK, OK], server=[0, 1, 0], servers=servers, service=0.5
    )
    assert result.utilisation().tolist() == pytest.approx([1.0 / 3.0, 0.5 / 3.0, 0.0])
    assert result.requests_per_server().tolist() == [2, 1, 0]
    nobody = hand_made([1.0], [NO_SERVER], server=[-1], servers=servers)
    assert nobody.requests_per_server().tolist() == [0, 0, 0]


def test_summary_reads_as_one_line() -> None:
    result = hand_made([0.5, 1.0, 1.5, 2.0], [OK, OK, OK, REFUSED], service=0.25)
    assert result.summary() == "4 requests: p50 250 ms, p99 250 ms, errors 1 (25.0%)"
    assert repr(result) == f"<SimResult {result.summary()}>"


def test_between_keeps_the_window_and_its_own_clock() -> None:
    result = hand_made([0.5, 1.0, 1.5, 2.0, 2.5], [OK, REFUSED, OK, OK, OK])
    window = result.between(1.0, 2.0)
    assert window.workload.arrival.tolist() == [1.0, 1.5]
    assert window.status.tolist() == [REFUSED, OK]
    assert (window.workload.start, window.workload.duration) == (1.0, 1.0)
    assert window.start[1] == 1.5 and window.departure[1] == pytest.approx(1.6)
    assert window.server.tolist() == [0, 0]
    assert window.utilisation().tolist() == pytest.approx([0.1])
    for t0, t1 in [(-1.0, 1.0), (2.0, 2.0), (2.0, 1.0)]:
        with pytest.raises(ValueError, match="0 <= t0 < t1"):
            result.between(t0, t1)


def test_between_keeps_the_keys_of_the_window() -> None:
    w = with_keys(poisson(50, 10, 0.01, rng()), 20, 1.0, rng(2))
    result = simulate(w, [Server()])
    window = result.between(2.0, 4.0)
    lo, hi = np.searchsorted(w.arrival, [2.0, 4.0])
    assert window.workload.keys.tolist() == w.keys[lo:hi].tolist()


def test_a_server_view_prints_what_the_balancer_sees() -> None:
    view = ServerView(2, "web-3", weight=2)
    assert repr(view) == "ServerView(2, 'web-3', healthy, weight=2)"
    view.healthy, view._active = False, 4
    assert repr(view) == "ServerView(2, 'web-3', DOWN, weight=2, active=4)"


def test_pool_passes_its_settings_to_every_server() -> None:
    servers = pool(3, workers=4, speed=2.0)
    assert [s.name for s in servers] == ["web-1", "web-2", "web-3"]
    assert {(s.workers, s.speed) for s in servers} == {(4, 2.0)}


# --- bad input names the argument ----------------------------------------------------------------

BAD_INPUT = [
    (lambda: scalelab.HealthCheck(interval=0), "interval must be a positive number"),
    (lambda: scalelab.HealthCheck(fall=0), "fall must be a positive integer"),
    (lambda: scalelab.HealthCheck(rise=0), "rise must be a positive integer"),
    (lambda: Server().capacity(0), "cpu_time must be a positive number"),
    (lambda: pool(0), "number of servers must be a positive integer"),
    (lambda: from_rate(np.ones_like, 0, 1, 0.1, rng()), "peak must be a positive number"),
    (lambda: from_rate(np.ones_like, 1, 0, 0.1, rng()), "duration must be a positive number"),
    (lambda: diurnal(0, 10, 0.1, rng()), "mean_rate must be a positive number"),
    (lambda: diurnal(1, 10, 0.1, rng(), peak_to_mean=2.5), "peak_to_mean must be between 1 and 2"),
    (lambda: flash_crowd(0, 2, 1, 1, 10, 0.1, rng()), "base_rate must be a positive number"),
    (lambda: flash_crowd(1, 2, 1, 0, 10, 0.1, rng()), "decay must be a positive number"),
    (lambda: flash_crowd(3, 2, 1, 1, 10, 0.1, rng()), "peak_rate must be at least base_rate"),
    (lambda: zipf_keys(5, 0, 1.0, rng()), "n_keys must be a positive number"),
    (lambda: zipf_keys(5, 3, -0.5, rng()), "Zipf exponent s must be 0 or more"),
    (
        lambda: from_rate(lambda t: np.full(len(t), 3.0), 2.0, 10, 0.1, rng()),
        "above peak=2: thinning needs peak to be the highest rate",
    ),
    (lambda: Outage("web-1", 1.0), "server must be an index of 0 or more, got 'web-1'"),
    (lambda: Outage(True, 1.0), "server must be an index of 0 or more, got True"),
    (lambda: Outage(-1, 1.0), "server must be an index of 0 or more, got -1"),
    (lambda: queueing.capacity(0), "cpu_time must be a positive number"),
    (lambda: queueing.capacity(0.1, workers=0), "workers must be a positive integer"),
    (lambda: queueing.mm1_latency_at(0.5, 0), "cpu_time must be a positive number"),
    (lambda: queueing.erlang_b(0, 1, 1), "arrival_rate must be a positive number"),
    (lambda: queueing.erlang_b(1, 0, 1), "service_rate must be a positive number"),
    (lambda: queueing.erlang_b(1, 1, 0), "workers must be a positive integer"),
    (lambda: queueing.mm1_time(1.5, 1.0), "the queue is unstable: arrival rate 1.5"),
    (lambda: queueing.mmc_wait(5.0, 1.0, 4), "must be below capacity 4.0 (utilisation 1.25 >= 1)"),
    (lambda: queueing.mmck_blocking(0, 1, 1, 0), "arrival_rate must be a positive number"),
    (lambda: queueing.mmck_blocking(1, 0, 1, 0), "service_rate must be a positive number"),
    (lambda: queueing.mmck_blocking(1, 1, 0, 0), "workers must be a positive integer"),
    (lambda: queueing.mmck_blocking(1, 1, 1, True), "queue_limit must be an integer of 0 or more"),
    (lambda: queueing.mmck_blocking(1, 1, 1, "3"), "queue_limit must be an integer of 0 or more"),
    (lambda: Server(weight=0), "weight must be a positive integer"),
    (lambda: Server(queue_limit="3"), "queue_limit must be None or an integer of 0 or more"),
]


@pytest.mark.parametrize(("make", "message"), BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_names_the_argument(make, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        make()
    assert message in str(caught.value)


@pytest.mark.parametrize("peak_to_mean", [1.0, 1.5, 2.0])
def test_diurnal_accepts_peaks_from_flat_to_double(peak_to_mean: float) -> None:
    w = diurnal(20, 100, 0.01, rng(), period=100, peak_to_mean=peak_to_mean)
    assert w.rate == pytest.approx(20, rel=0.2)


def test_a_flash_crowd_as_high_as_the_base_is_a_steady_stream() -> None:
    assert flash_crowd(10, 10, 5, 1, 100, 0.01, rng()).rate == pytest.approx(10, rel=0.1)


@pytest.mark.parametrize("s", [0.0, 0.5])
def test_zipf_accepts_any_exponent_from_zero(s: float) -> None:
    assert len(zipf_keys(10, 4, s, rng())) == 10


# --- workload shapes -----------------------------------------------------------------------------


def test_thinning_keeps_the_asked_share_of_a_low_rate() -> None:
    w = from_rate(lambda t: np.full(len(t), 1.0), 2.0, 4000, 0.01, rng())
    assert w.rate == pytest.approx(1.0, rel=0.05)


def test_diurnal_peaks_half_a_period_after_the_trough() -> None:
    w = diurnal(200, 100, 0.01, rng(), period=100, peak_to_mean=2.0)
    per_fifth = np.bincount((w.arrival // 20).astype(int), minlength=5)
    assert per_fifth.argmax() == 2  # 40-60 s: the peak at 50 s
    assert per_fifth[0] < per_fifth[1] < per_fifth[2] > per_fifth[3] > per_fifth[4]


def test_a_flash_crowd_is_at_its_peak_right_at_its_start_and_warns_of_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow from exp() before the crowd starts
        w = flash_crowd(10, 10_000, 900, 0.5, 1000, 0.01, rng())
    first_half_second = np.count_nonzero((w.arrival >= 900) & (w.arrival < 900.5))
    # 10 000 × ∫₀^0.5 e^(−t/0.5) dt ≈ 3 160, plus the base
    assert first_half_second == pytest.approx(3160 + 5, rel=0.1)


def test_zipf_keys_cover_every_key_with_the_right_popularity() -> None:
    uniform = np.bincount(zipf_keys(60_000, 3, 0.0, rng()), minlength=3) / 60_000
    assert uniform.tolist() == pytest.approx([1 / 3] * 3, abs=0.01)
    skewed = np.bincount(zipf_keys(60_000, 3, 2.0, rng()), minlength=3)
    assert skewed[0] / skewed[1] == pytest.approx(4.0, rel=0.1)  # (2/1)^2
    assert skewed[1] / skewed[2] == pytest.approx(2.25, rel=0.1)  # (3/2)^2


def test_with_keys_adds_keys_and_keeps_everything_else() -> None:
    # a window of a longer run (as between() makes) starts at 5 s: its keys must not move it to 0
    w = Workload(np.array([5.0, 6.0, 7.0]), np.array([0.1, 0.2, 0.3]), 4.0, start=5.0)
    keyed = with_keys(w, 10, 1.0, rng())
    assert keyed.arrival is w.arrival and keyed.demand is w.demand
    assert (keyed.duration, keyed.start) == (4.0, 5.0)
    assert len(keyed.keys) == 3 and set(keyed.keys.tolist()) <= set(range(10))


# --- the engine's check of a balancer's answers --------------------------------------------------


class EveryOtherNone(scalelab.Balancer):
    """Server 0, then no server, in turn (a custom balancer without assign_many)."""

    def reset(self, n_servers, rng) -> None:
        self.k = 0

    def choose(self, servers):
        self.k += 1
        return 0 if self.k % 2 else None


class Answers(scalelab.Balancer):
    def __init__(self, answers) -> None:
        self.answers = answers

    def reset(self, n_servers, rng) -> None:
        self.k = 0

    def choose(self, servers):
        self.k += 1
        return self.answers[(self.k - 1) % len(self.answers)]


def test_none_from_choose_is_a_503_for_that_request_only() -> None:
    w = Workload(np.array([0.1, 0.2, 0.3, 0.4]), np.full(4, 0.01), 1.0)
    result = simulate(w, [Server(), Server()], EveryOtherNone())
    assert result.status.tolist() == [OK, NO_SERVER, OK, NO_SERVER]
    assert result.server.tolist() == [0, -1, 0, -1]


@pytest.mark.parametrize(("answers", "bad"), [([-2], "-2"), ([None, 0, 5], "5"), ([1, 0.5], "0.5")])
def test_a_bad_answer_is_named_even_after_good_ones(answers, bad: str) -> None:
    w = Workload(np.array([0.1, 0.2, 0.3, 0.4]), np.full(4, 0.01), 1.0)
    with pytest.raises(ValueError, match=f"index from 0 to 1, or None; got {bad}$"):
        simulate(w, [Server(), Server()], Answers(answers))


def test_outages_of_a_server_that_does_not_exist_are_refused() -> None:
    with pytest.raises(ValueError, match="outage names server 2, but there are 2 servers"):
        simulate(poisson(5, 1, 0.01, rng()), pool(2), scalelab.RoundRobin(), [Outage(2, 0, 1)])


def test_the_summary_quotes_p50_and_p99_in_milliseconds_exactly() -> None:
    # Latencies 1 s, 2 s, … 100 s: p50 is 50.5 s and p99 99.01 s, far apart from p51 or p100.
    result = hand_made(np.arange(100) * 0.01, [OK] * 100, wait=np.arange(100.0), service=1.0)
    p50, p99 = 1000 * result.percentile(50), 1000 * result.percentile(99)
    assert (round(p50), round(p99)) == (50_500, 99_010)
    assert result.summary() == "100 requests: p50 50,500 ms, p99 99,010 ms, errors 0 (0.0%)"


def test_over_time_has_a_row_for_every_window_even_empty_trailing_ones() -> None:
    result = hand_made([0.2, 0.4], [OK, REFUSED], duration=5.0)
    out = result.over_time(1.0)
    assert out["t"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert out["errors"].tolist() == [0.5, 0.0, 0.0, 0.0, 0.0]
    assert [len(v) for v in out.values()] == [5] * len(out)


def test_a_day_is_86_400_seconds_for_the_diurnal_curve() -> None:
    import inspect

    assert inspect.signature(diurnal).parameters["period"].default == 86_400


def test_the_balancer_learns_of_a_crash_at_the_instant_of_the_probe() -> None:
    # Requests arrive on whole seconds, exactly when probes run (inter 1 s, fall 1, rise 1); taking
    # turns, the ones at 1 s and 3 s would go to server 1. It is down from 2.5 s to 4.5 s: marked down
    # by the probe at 3.0 s, up again at 5.0 s. The request arriving at 3.0 s must already see it down,
    # in the batch path (round robin) and the one-by-one path (least connections) alike.
    arrival = np.arange(8, dtype=float)
    work = Workload(arrival, np.full(8, 0.01), 8.0)
    check = scalelab.HealthCheck(interval=1.0, fall=1, rise=1)
    for balancer in (scalelab.RoundRobin(), scalelab.LeastConnections()):
        result = simulate(work, pool(2), balancer, [Outage(1, 2.5, 4.5)], check)
        name = type(balancer).__name__
        assert result.server[1:5].tolist() == [1, 0, 0, 0], (name, result.server.tolist())
        assert (result.status == OK).all(), (name, result.error_counts())


def test_the_event_loop_answers_503_while_every_server_is_down_and_goes_on_after() -> None:
    arrival = np.arange(10, dtype=float) + 0.5
    work = Workload(arrival, np.full(10, 0.01), 10.0)
    check = scalelab.HealthCheck(interval=1.0, fall=1, rise=1)
    crash = [Outage(0, 2.2, 5.2), Outage(1, 2.2, 5.2)]
    result = simulate(work, pool(2), scalelab.LeastConnections(), crash, check)
    dark = (arrival > 3) & (arrival < 6)  # marked down at 3.0, back up at 6.0
    assert (result.server[dark] == -1).all() and (result.status[dark] == NO_SERVER).all()
    assert (result.status[arrival > 6] == OK).all() and (result.server[arrival > 6] >= 0).all()


def test_the_router_contract_and_the_single_server_router() -> None:
    with pytest.raises(NotImplementedError, match="a Balancer subclass must implement choose"):
        scalelab.Balancer().choose([])
    assert scalelab.Direct().choose([ServerView(0, "only")]) == 0
    assert scalelab.Direct().assign_many(3, []).tolist() == [0, 0, 0]


def test_an_outage_from_the_start_leaves_no_empty_up_period() -> None:
    from scalelab.sim import up_periods

    assert up_periods([Outage(0, 0.0, 5.0)], 0) == [(5.0, math.inf)]
    assert up_periods([Outage(0, 1.0, 2.0), Outage(0, 2.0, 3.0)], 0) == [
        (0.0, 1.0),
        (3.0, math.inf),
    ]


def test_without_rng_a_run_repeats_as_with_default_rng_0() -> None:
    work = poisson(100, 10, 0.01, rng(3))
    plain = [simulate(work, pool(3), scalelab.Random()).server for _ in range(2)]
    seeded = simulate(work, pool(3), scalelab.Random(), rng=np.random.default_rng(0)).server
    assert np.array_equal(plain[0], plain[1]) and np.array_equal(plain[0], seeded)


class ByName(scalelab.Balancer):
    """Sends everything to the server called "db-replica": a router may route by name."""

    def choose(self, servers):
        return next(s.index for s in servers if s.name == "db-replica")


def test_the_engine_shows_the_router_each_servers_name_and_weight() -> None:
    work = Workload(np.arange(40) * 0.1, np.full(40, 0.01), 4.0)
    named = [Server(name="primary"), Server(name="db-replica")]
    assert set(simulate(work, named, ByName()).server.tolist()) == {1}
    weighted = [Server(weight=3, name="big"), Server(weight=1, name="small")]
    counts = simulate(work, weighted, scalelab.WeightedRoundRobin()).requests_per_server()
    assert counts.tolist() == [30, 10], f"expected a 3 : 1 split by weight, got {counts.tolist()}"


def test_at_least_zero_refuses_what_is_not_a_number_of_0_or_more():
    from scalelab.validate import at_least_zero

    at_least_zero("lag", 0)
    at_least_zero("lag", float("inf"))
    for bad in (-1, True, "1", float("nan")):
        with pytest.raises(ValueError, match=r"^lag must be a number of seconds of 0 or more, got"):
            at_least_zero("lag", bad, "a number of seconds")
    with pytest.raises(ValueError, match="rate must be a rate per second of 0 or more, got inf"):
        at_least_zero("rate", float("inf"), "a rate per second", finite=True)
