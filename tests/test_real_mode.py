"""Chapter 05's real mode: a balancer drives a reverse proxy in front of real servers on 127.0.0.1.

The lab starts, serves, fails over and stops cleanly (no thread left, every port refuses afterwards);
the library's round robin and the exercise's reference balancers give the expected shares on real
traffic; the health checker follows ``HealthCheck``'s rule probe for probe; a broken balancer gets a
clear 5xx, never a hang. Health checks probe every 0.05 s, so the whole file runs in a few seconds.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Sequence

import pytest
from submissions import reference_answers

from scalelab import Balancer, HealthCheck, LeastConnections, RoundRobin, ServerView
from scalelab.balancer import WeightedRoundRobin
from scalelab.balancer.real import LAB_CHECK, STILL_RUNNING, RealLab
from scalelab.net import LocalServer, Reply, get
from scalelab.net.proxy import HealthChecker, ReverseProxy, backend_app, drive
from scalelab.sim.faults import Outage

NAMES = ["web-1", "web-2", "web-3"]


def _settle(before: set[threading.Thread], seconds: float = 2.0) -> list[str]:
    """Threads started since ``before`` that are still alive after at most ``seconds``."""
    end = time.monotonic() + seconds
    while True:
        left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.02)


@pytest.fixture
def no_leftovers():
    """Fails the test if a thread it started is still running, or a server it started still listens."""
    before = set(threading.enumerate())
    urls: list[str] = []
    yield urls
    assert _settle(before) == [], "expected every thread the lab started to end"
    listening = [u for u in urls if get(u + "/", timeout=0.5).status is not None]
    assert listening == [], "expected every port the lab used to refuse connections"


def _exercise_balancers() -> dict[str, type]:
    """RoundRobinBalancer and HealthAwareBalancer as the exercise's solution writes them."""
    namespace = {"Balancer": Balancer, "ServerView": ServerView, "Sequence": Sequence}
    for grade_id in ("rr-answer", "ha-answer"):
        exec(reference_answers("05-load-balancer")[grade_id], namespace)  # noqa: S102
    return {n: namespace[n] for n in ("RoundRobinBalancer", "HealthAwareBalancer")}


def test_the_lab_starts_serves_and_stops_cleanly(no_leftovers) -> None:
    with RealLab(RoundRobin()) as lab:
        no_leftovers += [s.url for s in lab.servers] + [lab.proxy.url]
        assert all(u.startswith("http://127.0.0.1:") for u in no_leftovers)
        assert len(set(no_leftovers)) == 4, "expected four servers on four ports"
        assert get(lab.proxy.url + "/").text in NAMES
        assert [get(s.url + "/").text for s in lab.servers] == NAMES
    assert repr(lab) == "RealLab(RoundRobin, 3 servers, stopped)"
    with pytest.raises(RuntimeError, match="not running"):
        lab.send(1)


def test_round_robin_gives_exactly_equal_shares_on_real_traffic(no_leftovers) -> None:
    with RealLab(RoundRobin()) as lab:
        no_leftovers += [s.url for s in lab.servers]
        load = lab.send(90)
        # What the servers themselves logged, not only what the proxy says it did.
        served = [sum(line.path == "/" for line in s.log) for s in lab.servers]
        forwarded = dict(lab.proxy.sent)
    assert (load.sent, load.failed, load.unsent) == (90, 0, 0)
    assert load.answered == {"web-1": 30, "web-2": 30, "web-3": 30}
    assert served == [30, 30, 30] and forwarded == load.answered
    assert str(load) == "90 requests: web-1 30, web-2 30, web-3 30; errors: none"


def test_weighted_round_robin_follows_the_weights_on_real_traffic(no_leftovers) -> None:
    with RealLab(WeightedRoundRobin(), weights=[3, 1, 1]) as lab:
        no_leftovers += [s.url for s in lab.servers]
        assert lab.send(50).answered == {"web-1": 30, "web-2": 10, "web-3": 10}


def test_the_exercise_reference_balancers_give_the_expected_shares(no_leftovers) -> None:
    balancers = _exercise_balancers()
    with RealLab(balancers["HealthAwareBalancer"]()) as lab:
        no_leftovers += [s.url for s in lab.servers]
        assert lab.send(30).answered == {"web-1": 10, "web-2": 10, "web-3": 10}
        lab.stop_server("web-2")
        lab.wait_until("web-2", healthy=False)
        down = lab.send(30)
        lab.start_server("web-2")
        lab.wait_until("web-2", healthy=True)
        back = lab.send(30)
    assert down.answered == {"web-1": 15, "web-2": 0, "web-3": 15} and down.failed == 0
    assert back.answered == {"web-1": 10, "web-2": 10, "web-3": 10} and back.failed == 0
    # Part 1's balancer ignores health, as the exercise asks: the proxy answers 502 for its turns.
    with RealLab(balancers["RoundRobinBalancer"]()) as lab:
        no_leftovers += [s.url for s in lab.servers]
        lab.stop_server(1)
        lab.wait_until(1, healthy=False)
        blind = lab.send(30)
    assert blind.answered == {"web-1": 10, "web-2": 0, "web-3": 10}
    assert blind.errors == {"502 Bad Gateway": 10}
    assert str(blind) == (
        "30 requests: web-1 10, web-2 0, web-3 10; errors: 10 × 502 Bad Gateway "
        "(balancer: web-2 did not answer (ConnectionRefusedError))"
    )


@pytest.mark.parametrize("check", [LAB_CHECK, HealthCheck(interval=0.04, fall=2, rise=4)])
def test_health_checks_take_a_stopped_server_out_and_put_it_back(no_leftovers, check) -> None:
    with RealLab(RoundRobin(), health_check=check) as lab:
        no_leftovers += [s.url for s in lab.servers]
        lab.send(9)
        lab.stop_server("web-3")
        # Traffic while the checks find out: a few requests meet the dead server, then none.
        during = lab.send(1000, deadline=check.fall * check.interval, concurrency=2)
        out = lab.wait_until("web-3", healthy=False, timeout=2)
        assert lab.health == {"web-1": "up", "web-2": "up", "web-3": "DOWN"}
        after = lab.send(30)
        lab.start_server("web-3")
        back = lab.wait_until("web-3", healthy=True, timeout=2)
        again = lab.send(30)
    assert (out.probes, out.healthy) == (check.fall, False)
    assert (back.probes, back.healthy) == (check.rise, True)
    # At most fall + 1 probe periods (the stop can fall just after a probe), with slack for a busy CI.
    assert 0 < out.seconds < (check.fall + 1) * check.interval + 0.5
    assert 0 < back.seconds < (check.rise + 1) * check.interval + 0.5
    assert str(out) == f"web-3 marked down after {check.fall} failed probes"
    assert str(back) == f"web-3 back in rotation after {check.rise} good probes"
    assert set(during.errors) <= {"502 Bad Gateway"}
    assert during.failed < during.sent / 2, f"expected few errors while detecting, got {during}"
    assert after.answered == {"web-1": 15, "web-2": 15, "web-3": 0} and after.failed == 0
    assert again.answered == {"web-1": 10, "web-2": 10, "web-3": 10}


def _checker_changes(check: HealthCheck, down: list[bool]) -> list[tuple[int, bool]]:
    """(probe index from 0, healthy) changes when the checker sees ``down[k]`` at probe k."""
    checker = HealthChecker(["http://127.0.0.1:9"], check)  # never started: probes fed by hand
    for is_down in down:
        checker._record(0, not is_down)
    return [(c.probe - 1, c.healthy) for c in checker.changes]


def _model_changes(check: HealthCheck, down: list[bool]) -> list[tuple[int, bool]]:
    """The same from ``HealthCheck.transitions``: a down run of probes k1..k2 is one outage."""
    outages, k = [], 0
    while k < len(down):
        if down[k]:
            start = k
            while k < len(down) and down[k]:
                k += 1
            end = k - 0.5 if k < len(down) else float("inf")
            outages.append(
                Outage(0, (start - 0.5 if start else 0) * check.interval, end * check.interval)
            )
        k += 1
    events = check.transitions(outages) if outages else []
    changes = [(round(t / check.interval), healthy) for t, _, healthy in events]
    return [(k, healthy) for k, healthy in changes if k < len(down)]  # the probes the checker saw


def test_the_checker_follows_health_checks_rule_probe_for_probe() -> None:
    rng = random.Random(5)
    for _ in range(300):
        check = HealthCheck(interval=1.0, fall=rng.randint(1, 4), rise=rng.randint(1, 4))
        p = rng.choice([0.2, 0.5, 0.8])
        down = [rng.random() < p for _ in range(rng.randint(1, 40))]
        assert _checker_changes(check, down) == _model_changes(check, down), (check, down)


class _Raises(Balancer):
    def choose(self, servers):
        return 1 // 0


class _Returns(Balancer):
    def __init__(self, value):
        self.value = value

    def choose(self, servers):
        return self.value


class _Stuck(Balancer):
    def __init__(self):
        self.release = threading.Event()

    def choose(self, servers):
        self.release.wait(5)
        return 0


@pytest.mark.parametrize(
    ("balancer", "status", "message"),
    [
        (_Raises(), 500, "choose() raised ZeroDivisionError: integer division or modulo by zero"),
        (_Returns(7), 500, "choose() returned 7; expected the index of a server (0 to 2) or None"),
        (_Returns(-1), 500, "returned -1; expected"),
        (_Returns("web-1"), 500, "returned 'web-1'; expected"),
        (_Returns(True), 500, "returned True; expected"),
        (_Returns(None), 503, "no healthy server"),
    ],
    ids=["raises", "index 7", "index -1", "a name", "a bool", "None"],
)
def test_a_broken_balancer_gets_a_clear_error_not_a_hang(
    no_leftovers, balancer, status, message
) -> None:
    with RealLab(balancer, health_check=None) as lab:
        no_leftovers += [s.url for s in lab.servers] + [lab.proxy.url]
        started = time.monotonic()
        answer = get(lab.proxy.url + "/", timeout=2)
        assert time.monotonic() - started < 1
        assert (answer.status, answer.text.startswith("balancer: ")) == (status, True)
        assert message in answer.text
        assert get(lab.proxy.url + "/", timeout=2).status == status, "expected it to keep serving"


def test_a_balancer_that_never_returns_gets_500_within_the_time_limit(no_leftovers) -> None:
    stuck = _Stuck()
    with (
        LocalServer(backend_app("web-1")) as web,
        ReverseProxy(stuck, [web.url], decide_timeout=0.2) as proxy,
    ):
        no_leftovers += [web.url, proxy.url]
        started = time.monotonic()
        first = get(proxy.url + "/", timeout=2)  # the request whose choose() never returns
        waited_first = time.monotonic() - started
        started = time.monotonic()
        answer = get(proxy.url + "/", timeout=2)
        waited = time.monotonic() - started
        late = get(proxy.url + "/", timeout=2)
        assert proxy.stuck, "expected the proxy to know a choose() call is still running"
        stuck.release.set()
    for reply in (first, answer, late):
        assert reply.status == 500 and "has not returned for 0.2 s" in reply.text
    assert waited_first < 0.2 + 0.5 and waited < 0.2 + 0.5


def test_the_lab_says_when_a_choose_is_left_running(no_leftovers, capsys) -> None:
    stuck = _Stuck()
    with RealLab(stuck, health_check=None, decide_timeout=0.2) as lab:
        no_leftovers += [s.url for s in lab.servers] + [lab.proxy.url]
        load = lab.send(5, deadline=2)
    stuck.release.set()
    assert load.errors == {"500 Internal Server Error": 5}
    assert capsys.readouterr().out == STILL_RUNNING + "\n"
    assert "restart the kernel (Kernel → Restart)" in STILL_RUNNING


def test_a_load_says_why_nobody_answered(no_leftovers) -> None:
    def slow(request):
        time.sleep(0.3)
        return Reply(200, "late")

    with LocalServer(slow) as server:
        no_leftovers.append(server.url)
        load = drive(server.url, 1, timeout=0.1)
    assert load.errors == {"no answer": 1} and load.said == {"no answer": "no reply within 0.1 s"}
    assert str(load).endswith("errors: 1 × no answer (no reply within 0.1 s)")


def test_least_connections_sees_requests_in_flight(no_leftovers) -> None:
    def slow(request):
        time.sleep(0.03)
        return Reply(200, "web-1")

    servers = [LocalServer(slow, name="web-1")] + [
        LocalServer(backend_app(n), name=n) for n in NAMES[1:]
    ]
    for s in servers:
        s.start()
    try:
        with ReverseProxy(LeastConnections(), [s.url for s in servers]) as proxy:
            no_leftovers += [s.url for s in servers] + [proxy.url]
            load = drive(proxy.url, 90, deadline=5, concurrency=3)
    finally:
        for s in servers:
            s.stop()
    assert load.failed == 0 and load.sent == 90
    assert load.answered.get("web-1", 0) < 90 / 6, (
        f"expected the slow server to get few, got {load}"
    )


def test_a_load_stops_at_its_deadline(no_leftovers) -> None:
    def slow(request):
        time.sleep(0.1)
        return Reply(200, "slow")

    with LocalServer(slow) as server:
        no_leftovers.append(server.url)
        started = time.monotonic()
        load = drive(server.url, 1000, deadline=0.3, concurrency=2)
        # No request starts after the deadline; the ones in flight then may finish.
        assert time.monotonic() - started < 0.3 + 0.1 + 0.5
    assert load.unsent > 900 and load.sent + load.unsent == 1000 and load.failed == 0
    assert str(load).endswith(f"({load.unsent} not sent: the 0.3 s deadline passed)")
    assert load.answered == {"slow": load.sent}


def test_bad_arguments_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        ReverseProxy(RoundRobin(), ["http://10.0.0.11:80"])
    with pytest.raises(ValueError, match="backend URL"):
        ReverseProxy(RoundRobin(), ["127.0.0.1:80"])
    with pytest.raises(ValueError, match="at least one backend"):
        ReverseProxy(RoundRobin(), [])
    with pytest.raises(TypeError, match="Balancer subclass"):
        ReverseProxy(lambda servers: 0, ["http://127.0.0.1:8000"])
    with pytest.raises(TypeError, match="interval, fall and rise"):
        HealthChecker(["http://127.0.0.1:8000"], check=0.05)
    with pytest.raises(ValueError, match=r"one weight per server \(1\), got 2"):
        ReverseProxy(RoundRobin(), ["http://127.0.0.1:8000"], weights=[1, 2])
    with pytest.raises(ValueError, match="web-1"):
        RealLab(RoundRobin()).index("web-9")
    with (
        RealLab(RoundRobin(), health_check=None) as lab,
        pytest.raises(RuntimeError, match="without health checks"),
    ):
        lab.wait_until("web-1", healthy=False)


def test_a_client_that_hangs_up_early_prints_nothing(capfd) -> None:
    def slow(request):
        time.sleep(0.2)
        return Reply(200, "late")

    with LocalServer(slow) as server:
        assert get(server.url + "/", timeout=0.05).status is None
        time.sleep(0.3)  # the handler answers into a closed connection
    assert capfd.readouterr().err == "", "expected no traceback printed into the notebook"


def test_an_interrupted_load_stops_its_workers(no_leftovers, monkeypatch) -> None:
    """An interrupt (Kernel → Interrupt) while the caller waits stops every worker, not only the caller."""
    from scalelab.net import proxy

    def interrupted(threads, until):
        time.sleep(0.2)
        raise KeyboardInterrupt

    monkeypatch.setattr(proxy, "_wait_for", interrupted, raising=False)
    with LocalServer(backend_app("web-1")) as server:
        no_leftovers.append(server.url)
        with pytest.raises(KeyboardInterrupt):
            drive(server.url, 100_000, deadline=4, concurrency=4)
        before = len(server.log)
        time.sleep(0.2)
        assert len(server.log) - before <= 4, "expected at most the requests in flight to finish"
    assert not [t for t in threading.enumerate() if t.name.startswith("scalelab-load")]


def test_stop_all_stops_a_lab_with_its_health_checks(no_leftovers) -> None:
    from scalelab.net import stop_all

    lab = RealLab(RoundRobin()).start()
    no_leftovers += [s.url for s in lab.servers] + [lab.proxy.url]
    assert stop_all() == 4, "expected the three web servers and the proxy"
    assert repr(lab) == "RealLab(RoundRobin, 3 servers, stopped)"
    assert not [t for t in threading.enumerate() if t.name == "scalelab-health-checks"]
    assert stop_all() == 0


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([3, 0, 1], "the weight of web-2 must be a positive integer, got 0"),
        ([3, -2, 1], "the weight of web-2 must be a positive integer, got -2"),
        ([1.7, 1, 1], "the weight of web-1 must be a positive integer, got 1.7"),
        (["3", "1", "1"], "the weight of web-1 must be a positive integer, got '3'"),
        ([True, 1, 1], "the weight of web-1 must be a positive integer, got True"),
        ([3, 1], r"expected one weight per server \(3\), got 2"),
        ("311", "weights must be a list of one positive integer per server"),
        (3, "weights must be a list of one positive integer per server"),
    ],
)
def test_the_lab_checks_weights_as_the_simulator_does(weights, message) -> None:
    with pytest.raises(ValueError, match=message):
        RealLab(WeightedRoundRobin(), weights=weights)  # at once, before anything starts


def test_wait_until_names_the_server_and_returns_at_once_when_already_so(no_leftovers) -> None:
    with RealLab(RoundRobin(), health_check=HealthCheck(interval=0.05, fall=100, rise=2)) as lab:
        no_leftovers += [s.url for s in lab.servers]
        started = time.monotonic()
        noticed = lab.wait_until("web-2", healthy=True, timeout=1)
        assert time.monotonic() - started < 0.05, "expected no wait for a server that is up"
        assert str(noticed) == "web-2 is already up: nothing to wait for"
        lab.stop_server("web-2")
        with pytest.raises(
            TimeoutError,
            match=r"^expected health checks to mark web-2 down within 0.2 s, got still up",
        ):
            lab.wait_until("web-2", healthy=False, timeout=0.2)  # fall=100: not so soon


def _run_the_exercise_cell(namespace: dict) -> str:
    """What the exercise's optional real-mode cell prints, run in ``namespace``."""
    import contextlib
    import io

    from scalelab.teach.grading import ROOT, graded_cells

    name = "05-load-balancer"
    source = graded_cells(ROOT / "solutions" / name / f"{name}.ipynb")["real-mode"]["source"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, namespace)  # noqa: S102
    return out.getvalue()


class _Blank(Balancer):
    """HealthAwareBalancer as the exercise hands it out, not written yet."""

    def __init__(self) -> None:
        raise NotImplementedError()

    def choose(self, servers):
        raise NotImplementedError()


def test_the_exercise_cell_says_what_to_do_when_part_2_is_not_written() -> None:
    hint = "real mode did not run: write HealthAwareBalancer (part 2) and run its cell first\n"
    assert _run_the_exercise_cell({"HealthAwareBalancer": _Blank}) == hint
    assert _run_the_exercise_cell({}) == hint  # its cell never run


def test_the_exercise_cell_skips_the_lab_only_while_nbgrader_grades(monkeypatch) -> None:
    """Grading runs the cell in every submission (0.6 s each for a lab that earns no marks):
    nbgrader's NBGRADER_EXECUTION=autograde skips it; a learner's own run starts the lab."""
    started = []

    class Spy(Balancer):
        def __init__(self) -> None:
            started.append(True)
            raise NotImplementedError()

        def choose(self, servers):
            raise NotImplementedError()

    skipped = "real mode is skipped while grading: it earns no marks\n"
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert _run_the_exercise_cell({"HealthAwareBalancer": Spy}) == skipped and not started
    for learner in ("validate", None):  # nbgrader's validate, and a learner's own kernel
        if learner is None:
            monkeypatch.delenv("NBGRADER_EXECUTION")
        else:
            monkeypatch.setenv("NBGRADER_EXECUTION", learner)
        assert _run_the_exercise_cell({"HealthAwareBalancer": Spy}) != skipped
    assert started == [True, True]


def test_the_lab_asks_for_a_balancer_instance_not_its_class() -> None:
    with pytest.raises(
        TypeError, match=r"got the class RoundRobin: pass an instance: RoundRobin\(\)"
    ):
        RealLab(RoundRobin)  # at once, before anything starts
    with pytest.raises(TypeError, match="Balancer subclass with choose"):
        RealLab("round robin")


def test_a_load_prints_the_servers_in_the_labs_order_and_a_lab_has_at_most_20() -> None:
    from scalelab.net.proxy import Load

    load = Load(12, {f"web-{i}": 1 for i in range(1, 13)})
    assert str(load).startswith("12 requests: web-1 1, web-2 1, web-3 1, ")
    assert str(load).endswith("web-10 1, web-11 1, web-12 1; errors: none")
    assert list(load.shares()) == [f"web-{i}" for i in range(1, 13)]
    with pytest.raises(ValueError, match="servers must be at most 20 .*, got 100"):
        RealLab(RoundRobin(), servers=100)
    assert len(RealLab(RoundRobin(), servers=20).names) == 20


def test_an_interrupt_while_starting_leaves_nothing_running(no_leftovers, monkeypatch) -> None:
    start, calls = LocalServer.start, []

    def interrupted_third(server):
        calls.append(server)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return start(server)

    monkeypatch.setattr(LocalServer, "start", interrupted_third)
    lab = RealLab(RoundRobin())
    with pytest.raises(KeyboardInterrupt):
        lab.start()
    assert not any(s.running for s in lab.servers) and repr(lab).endswith("stopped)")
    monkeypatch.setattr(LocalServer, "start", start)

    # The proxy: its health checks are running when its own server's start is interrupted.
    with LocalServer(backend_app("web-1")) as web:
        proxy = ReverseProxy(RoundRobin(), [web.url], health_check=LAB_CHECK)
        monkeypatch.setattr(proxy.server, "start", lambda: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            proxy.start()


class _Slow(Balancer):
    def choose(self, servers):
        time.sleep(0.1)
        return 0


def test_a_load_cut_short_by_a_slow_balancer_says_so(no_leftovers) -> None:
    with RealLab(_Slow(), health_check=None) as lab:
        no_leftovers += [s.url for s in lab.servers]
        load = lab.send(50, deadline=0.4)
    assert load.unsent > 40 and load.failed == 0
    assert re.search(
        r"not sent: the 0.4 s deadline passed; the balancer is slow: "
        r"choose\(\) took 0\.1\d s per request on average\)$",
        str(load),
    ), str(load)


def test_the_chapter_ties_the_real_502_to_the_simulators_label_and_lets_least_connections_run() -> (
    None
):
    """course/05's real-mode text quotes the simulator's own label, and does not confine least
    connections to the simulator (the proxy gives it requests in flight: see the test above)."""
    import json

    from scalelab.sim.result import Outcome
    from scalelab.teach.grading import ROOT

    cells = json.loads((ROOT / "course" / "05-load-balancer.ipynb").read_text(encoding="utf-8"))
    text = {c.get("id"): "".join(c["source"]) for c in cells["cells"]}
    assert f'"{Outcome.REFUSED.description}"' in " ".join(text["real-mode-checked-intro"].split())
    assert "only makes sense inside the simulator" not in text["b9fc47d5"]
