"""Chapter 02's models: what a page view costs each tier, the tiers' sizes, and the shared pool's tail."""

import dataclasses
import math
import random

import numpy as np
import pytest

from scalelab.frontend import (
    API_TARGET_S,
    IMMUTABLE,
    NO_CACHE,
    Asset,
    BrowserCache,
    PageManifest,
    compare,
    count_requests,
    fingerprint,
    load_rounds,
    median_page,
    mixed_requests,
    most_at_server,
    page_views,
    serve,
    servers_needed,
    size_tiers,
    synthetic_page,
)
from scalelab.frontend.spa import Browser


def _random_page(rng: random.Random) -> tuple[PageManifest, set[str]]:
    assets = tuple(
        Asset(f"/s/{i}.js", "js", rng.uniform(0, 500), rng.random() < 0.7)
        for i in range(rng.randint(0, 40))
    )
    page = PageManifest(
        Asset("/", "html", 5, False), assets, tuple(f"/api/{j}" for j in range(rng.randint(0, 8)))
    )
    everything = page.paths + list(page.api_calls)
    return page, {p for p in everything if rng.random() < 0.5}


def test_the_median_page_costs_71_requests_then_6() -> None:
    page = median_page()
    assert len(page.assets) + 1 + len(page.api_calls) == 71
    assert page.size_kb == pytest.approx(2_652)
    assert count_requests(page, set()) == {"static": 66, "api": 5}
    assert count_requests(page, page.first_visit_cache()) == {"static": 1, "api": 5}


def test_count_requests_follows_the_cache_rules_on_random_pages() -> None:
    rng = random.Random(2)
    for _ in range(300):
        page, cached = _random_page(rng)
        got = count_requests(page, cached)
        must_fetch = [a for a in page.assets if not a.fingerprinted or a.path not in cached]
        assert got == {"static": 1 + len(must_fetch), "api": len(page.api_calls)}, (page, cached)
        # Caching more never costs more requests, and the shell and the API are never skipped.
        warm = count_requests(page, page.first_visit_cache() | set(page.api_calls))
        assert warm["static"] <= got["static"] and warm["static"] >= 1
        assert warm["api"] == len(page.api_calls)


def test_a_returning_share_mixes_first_visits_and_revisits() -> None:
    page = median_page()
    assert mixed_requests(page, 0) == {"static": 66, "api": 5}
    assert mixed_requests(page, 0.8) == pytest.approx({"static": 0.2 * 66 + 0.8, "api": 5})
    with pytest.raises(ValueError, match="between 0 and 1"):
        mixed_requests(page, 1.5)


@pytest.mark.parametrize(
    ("load", "target", "want"),
    [(0.3, 1.0, 1), (0.21, 0.7, 1), (1.4, 0.7, 2), (2.0, 1.0, 2), (2.0001, 1.0, 3), (0, 0.7, 0)],
)
def test_servers_needed_rounds_up_but_not_past_a_whole_number(load, target, want) -> None:
    assert servers_needed(load, target) == want


def test_size_tiers_for_the_median_page_at_a_million_views_a_day() -> None:
    views = 1_000_000 / 86_400
    assert 2 * views * 66 == pytest.approx(
        1_527.8, abs=0.1
    )  # CHAPTERS.md fact 3: 1,528 static req/s
    assert size_tiers(views, {"static": 66, "api": 5}, 0.001, 0.020, 0.7, 2) == {
        "static": 3,
        "api": 4,
    }
    assert size_tiers(0, {"static": 66, "api": 5}, 0.001, 0.020, 0.7, 2) == {"static": 0, "api": 0}
    with pytest.raises(ValueError, match="target_util must be at most 1"):
        size_tiers(10, {"static": 1, "api": 1}, 0.1, 0.1, 70, 2)


def test_load_rounds_six_connections_or_one_multiplexed() -> None:
    assert load_rounds(66, 5, "HTTP/1.1") == 1 + 11 + 1
    assert load_rounds(66, 5, "HTTP/2") == 3
    assert load_rounds(1, 0, "HTTP/1.1") == 1
    assert load_rounds(7, 7, "HTTP/1.1") == 1 + 1 + 2
    with pytest.raises(ValueError, match="protocol must be one of"):
        load_rounds(3, 1, "HTTP/3")


def test_a_fingerprint_changes_with_the_content_only() -> None:
    assert fingerprint("app.js", "a") == fingerprint("app.js", b"a")
    assert fingerprint("app.js", "a") != fingerprint("app.js", "b")
    assert fingerprint("app.js", "a").startswith("app.") and fingerprint("app.js", "a").endswith(
        ".js"
    )


def test_a_manifest_refuses_a_fingerprinted_shell_and_repeated_paths() -> None:
    with pytest.raises(ValueError, match="must not be fingerprinted"):
        PageManifest(Asset("/", "html", 1, True))
    with pytest.raises(ValueError, match="repeats"):
        PageManifest(Asset("/", "html", 1, False), (Asset("/a.js"), Asset("/a.js")))
    with pytest.raises(ValueError, match="start with '/'"):
        Asset("a.js")


def test_the_browser_cache_skips_only_immutable_answers() -> None:
    cache = BrowserCache()
    cache.store("/app.1.js", IMMUTABLE)
    cache.store("/", NO_CACHE)
    cache.store("/api/me", "no-store")
    assert cache.skip("/app.1.js") and not cache.revalidate("/app.1.js")
    assert not cache.skip("/") and cache.revalidate("/")
    assert not cache.skip("/api/me") and not cache.revalidate("/api/me")


@pytest.mark.parametrize("protocol", ["HTTP/1.1", "HTTP/2"])
def test_page_views_send_what_count_requests_counts(protocol: str) -> None:
    page = median_page()
    for share in (0.0, 0.6, 1.0):
        traffic = page_views(5, 20, page, np.random.default_rng(3), share, protocol)
        first, again = count_requests(page, ()), count_requests(page, page.first_visit_cache())
        n = traffic.page_views
        api, static = int(traffic.is_api.sum()), int((~traffic.is_api).sum())
        assert api == 5 * n
        returning = (static - 66 * n) / (1 - 66)  # static = 66·first + 1·returning
        assert returning == int(returning) and 0 <= returning <= n
        if share in (0.0, 1.0):
            assert returning == share * n
        assert static == first["static"] * (n - returning) + again["static"] * returning


def _most_in_flight(traffic, api: bool) -> int:
    """The most requests one page view has in flight at once to one host, absent queueing."""
    w = traffic.workload
    most = 0
    for v in np.unique(traffic.view):
        mine = (traffic.view == v) & (traffic.is_api == api)
        start, end = w.arrival[mine], w.arrival[mine] + w.demand[mine]
        events = np.r_[start, end]
        steps = np.r_[np.ones(len(start)), -np.ones(len(end))]
        order = np.lexsort((steps, events))  # an end before a start at the same instant
        most = max(most, int(np.cumsum(steps[order]).max(initial=0)))
    return most


@pytest.mark.parametrize(("protocol", "cap"), [("HTTP/1.1", 6), ("HTTP/2", 65)])
def test_a_browser_keeps_at_most_6_requests_in_flight_per_host_over_http1(protocol, cap) -> None:
    traffic = page_views(3, 10, median_page(), np.random.default_rng(4), 0.3, protocol)
    assert _most_in_flight(traffic, api=False) == cap  # the 65 assets: 6 at a time, or all at once
    assert _most_in_flight(traffic, api=True) == min(cap, 5)


def test_most_at_server_counts_what_a_browser_has_sent_and_not_got_back() -> None:
    traffic = page_views(3, 10, median_page(), np.random.default_rng(4), 0.3)
    for api in (False, True):
        assert most_at_server(traffic, api=api).max() == _most_in_flight(traffic, api)
    # Each view counted apart: a server that never answers holds every request of each view.
    page = synthetic_page(3, 2 / 3)
    one = page_views(1, 1, page, np.random.default_rng(1))
    never = serve(one, 4)
    never = dataclasses.replace(never, latency=np.full(len(one.is_api), 1e6))
    assert most_at_server(one, never).tolist() == [2] * one.page_views
    with pytest.raises(ValueError, match="what serve"):
        most_at_server(one, "soon")


def test_the_open_model_keeps_6_while_the_server_keeps_up_and_piles_up_past_it() -> None:
    """Why chapter 02 replays page views in a closed loop: under a queue the open model keeps
    sending (a real browser would wait), up to every file of a page view queued at once."""
    page = median_page()
    for rate, piles_up in ((4, False), (20, True)):
        traffic = page_views(rate, 20, page, np.random.default_rng(1))
        waiting = most_at_server(traffic, serve(traffic, 64))
        assert most_at_server(traffic).max() == 6  # paced by its own transfers: never past 6
        assert (waiting.max() > 6) == piles_up, (rate, waiting.max())
        if piles_up:
            assert waiting.max() == 66  # the shell and 65 assets at once: the model overstates


@pytest.mark.parametrize(("protocol", "cap"), [("HTTP/1.1", 6), ("HTTP/2", 65)])
def test_the_closed_loop_never_has_more_than_6_per_host_at_any_load(protocol, cap) -> None:
    page = median_page()
    for rate in (4, 16, 28):
        traffic = page_views(rate, 10, page, np.random.default_rng(rate), 0.2, protocol)
        for api_workers in (None, 4):
            served = serve(traffic, 64, api_workers, closed=True)
            assert not np.isnan(served.latency).any()  # every request sent and answered
            assert most_at_server(traffic, served).max() == cap, (rate, api_workers)
            assert most_at_server(traffic, served, api=True).max() == min(cap, 5)
            # A request leaves after its arrival plus its own work, never before.
            assert (served.latency >= traffic.workload.demand - 1e-12).all()


def test_the_closed_loop_and_the_open_model_agree_at_low_load() -> None:
    traffic = page_views(4, 30, median_page(), np.random.default_rng(1))
    for api_workers in (None, 4):
        open_, closed = serve(traffic, 64, api_workers), serve(traffic, 64, api_workers, True)
        for kind in ("static", "api"):
            assert closed.p99[kind] == pytest.approx(open_.p99[kind], rel=0.02), kind
            assert closed.p50[kind] == pytest.approx(open_.p50[kind], rel=0.02), kind
    # Under a queue the closed loop slows the browsers down: shorter tails than the open model's.
    busy = page_views(20, 30, median_page(), np.random.default_rng(1))
    assert serve(busy, 64, closed=True).p99["api"] < 0.5 * serve(busy, 64).p99["api"]


def test_a_shared_pool_pools_at_moderate_load_and_crowds_out_the_api_at_saturation() -> None:
    (calm, surge) = compare((6, 24), median_page(), seeds=(1, 2, 3), duration=20)
    assert calm.busy < 0.4 and surge.busy > 0.8
    # Moderate load: one pool of 64 is not worse for the API than its own 4 workers (pooling).
    assert calm.p99["shared"]["api"] <= 1.05 * calm.p99["split"]["api"], calm
    # A surge saturates the shared pool: the API waits behind the files; its own tier does not.
    assert calm.api_rate < 0.1 * calm.static_rate  # the API's own traffic is small
    assert surge.p99["shared"]["api"] > 5 * surge.p99["split"]["api"], surge
    assert surge.p99["split"]["api"] < API_TARGET_S < surge.p99["shared"]["api"]
    # The split's static tier has 60 of the 64 workers for the same files: it runs hotter.
    assert surge.static_busy > surge.busy * 64 / 60 * 0.98


def test_http2_bursts_hurt_a_half_busy_shared_pool_s_api() -> None:
    """Chapter 02's HTTP/2 paragraph: pooling holds at moderate load only while files trickle in."""
    (calm,) = compare((8,), median_page(), seeds=(1, 2, 3), duration=30, protocol="HTTP/2")
    assert 0.3 < calm.busy < 0.6  # well below saturation
    assert calm.p99["split"]["api"] < API_TARGET_S < calm.p99["shared"]["api"], calm


def test_shared_and_split_serve_the_same_work() -> None:
    traffic = page_views(10, 10, median_page(), np.random.default_rng(1))
    shared, split = serve(traffic, 64), serve(traffic, 64, 4)
    assert sum(split.layout.values()) == shared.layout["shared"] == 64
    # Same work: the shared pool's utilisation is the split pools' weighted by their workers.
    weighted = sum(split.utilisation[k] * split.layout[k] for k in split.layout) / 64
    assert shared.utilisation["shared"] == pytest.approx(weighted)


def test_serve_refuses_an_api_tier_that_takes_every_worker() -> None:
    traffic = page_views(2, 5, synthetic_page(10, 0.8), np.random.default_rng(1))
    with pytest.raises(ValueError, match="at least one"):
        serve(traffic, 4, 4)


def test_synthetic_page_has_the_requested_size_and_share() -> None:
    page = synthetic_page(71, 0.93)
    counts = count_requests(page, ())
    assert counts["static"] + counts["api"] == 71 and counts["static"] == round(71 * 0.93)
    assert math.isclose(page.shell.size_kb, 2_652 / 66)  # the page's weight on its static files
    assert math.isclose(synthetic_page(10, 0.5, 12.0).shell.size_kb, 12.0)


def _refusal(call) -> str:
    with pytest.raises(ValueError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, message
    return message


_REQ = {"static": 66, "api": 5}


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: size_tiers(10, _REQ, "0.001", 0.02, 0.7, 2), "cpu_static"),
        (lambda: size_tiers(10, _REQ, -0.001, 0.02, 0.7, 2), "cpu_static"),
        (lambda: size_tiers(10, _REQ, 0.001, None, 0.7, 2), "cpu_api"),
        (
            lambda: size_tiers(10, {"static": -1, "api": 5}, 0.001, 0.02, 0.7, 2),
            'requests["static"]',
        ),
        (lambda: size_tiers(math.inf, _REQ, 0.001, 0.02, 0.7, 2), "page_views_per_s"),
        (lambda: size_tiers(10, {"static": 66}, 0.001, 0.02, 0.7, 2), '"api"'),
        (lambda: size_tiers(10, _REQ, 0.001, 0.02, 0.7, 0.5), "peak_factor"),
        (lambda: count_requests(median_page(), "/path"), "cache_state"),
        (lambda: count_requests(median_page(), None), "cache_state"),
        (lambda: count_requests({"shell": "/"}, set()), "manifest"),
        (lambda: PageManifest(Asset("/", "html", 1, False), (), "/api/me"), "api_calls"),
        (lambda: PageManifest(Asset("/", "html", 1, False), ("/a.js",)), "assets"),
        (lambda: Asset("/a.js", fingerprinted="no"), "fingerprinted"),
        (lambda: page_views(1e9, 60, median_page(), np.random.default_rng(1)), "at most"),
        (lambda: page_views(1, 1, median_page(), 1), "Generator"),
        (lambda: page_views(1, 1, "page", np.random.default_rng(1)), "manifest"),
        (lambda: Browser(timeout=-1), "timeout"),
        (lambda: Browser(timeout="2"), "timeout"),
        (lambda: serve("traffic"), "traffic"),
    ],
)
def test_bad_arguments_get_one_clear_sentence(call, names) -> None:
    assert names in _refusal(call)


def test_numpy_numbers_are_numbers_and_no_api_is_said_in_words() -> None:
    assert size_tiers(np.int64(10), {"static": np.int64(66), "api": 5}, 0.001, 0.02, 0.7, 2)
    traffic = page_views(2, 5, synthetic_page(10, 1.0), np.random.default_rng(1))
    assert "API p99 no requests" in serve(traffic, 8).summary()
    assert "API p99 no requests" in serve(traffic, 8, 2).summary()


def test_the_panel_says_no_api_calls_in_words() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from scalelab.frontend import panel

    fig = panel.frontend_figure(2, 10, 99, 0, "HTTP/1.1")
    assert "no API calls" in fig._suptitle.get_text()
    assert "no API calls" not in panel.frontend_figure(**panel.DEFAULTS)._suptitle.get_text()
