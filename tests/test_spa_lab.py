"""Chapter 02's loopback lab: a real SPA and its JSON API on 127.0.0.1, loaded by the lab's browser.

The servers start, serve and stop cleanly; the requests in their logs equal the model's count for a
first visit and a revisit; the API answers CORS; nothing is left listening.
"""

import json
import socket
import threading
import urllib.parse

import pytest

from scalelab.frontend import count_requests
from scalelab.frontend.spa import Browser, SPALab
from scalelab.net import Reply, get


def _listening(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((parts.hostname, parts.port)) == 0


def test_first_visit_and_revisit_match_the_model() -> None:
    with SPALab() as lab:
        browser = Browser()
        first = browser.load(lab.url)
        first_counts = lab.counts()
        lab.clear_logs()
        again = browser.load(lab.url)
        again_counts = lab.counts()
        manifest = lab.manifest
        assert first_counts == count_requests(manifest, set()) == {"static": 5, "api": 3}
        assert (
            again_counts
            == count_requests(manifest, browser.cache.paths)
            == {
                "static": 2,
                "api": 3,
            }
        )
        assert first.statuses() == {200: 8} and not first.cors_blocked
        assert again.statuses() == {304: 2, 200: 3}  # the shell and the unfingerprinted image
        assert len(again.skipped) == 3  # the fingerprinted files: not asked at all
        # A new browser has an empty cache: a first visit again.
        lab.clear_logs()
        Browser().load(lab.url)
        assert lab.counts() == first_counts


def test_the_servers_log_what_they_served_and_the_api_answers_cors() -> None:
    with SPALab() as lab:
        shell = get(lab.url)
        assert shell.status == 200 and shell.headers["Cache-Control"] == "no-cache"
        assert f'data-api="{lab.backend.url}"' in shell.text
        for path, (_, _, fingerprinted) in lab.files.items():
            reply = get(lab.frontend.url + path)
            assert reply.status == 200
            assert ("immutable" in reply.headers["Cache-Control"]) == fingerprinted
        assert get(lab.frontend.url + "/nothing").status == 404
        origin = {"Origin": lab.frontend.url}
        feed = get(lab.backend.url + "/api/feed", headers=origin)
        assert feed.status == 200 and json.loads(feed.body)["videos"]
        assert feed.headers["Access-Control-Allow-Origin"] == lab.frontend.url
        assert feed.headers["Cache-Control"] == "no-store"
        assert lab.counts()["api"] == 1  # logged before the answer went out: no wait
        paths = [(line.method, line.path, line.status) for line in lab.backend.log]
        assert paths == [("GET", "/api/feed", 200)]
        # A real preflight, over HTTP: what a browser asks before a call that is not "simple".
        preflight = get(lab.backend.url + "/api/feed", method="OPTIONS", headers=origin)
        assert preflight.status == 204, preflight
        assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_browser_sees_a_cors_failure_when_the_origin_is_not_allowed() -> None:
    with SPALab() as lab:
        lab.backend.app = lambda request: Reply(
            200, "{}", "application/json", {"Access-Control-Allow-Origin": "http://example.com"}
        )
        load = Browser().load(lab.url)
        assert sorted(load.cors_blocked) == ["/api/feed", "/api/me", "/api/notifications"]


def test_nothing_is_left_listening_after_stop() -> None:
    lab = SPALab().start()
    urls = [lab.frontend.url, lab.backend.url]
    assert all(_listening(u) for u in urls)
    lab.stop()
    assert not any(_listening(u) for u in urls)
    assert get(urls[0] + "/", timeout=0.5).status is None
    names = {t.name for t in threading.enumerate()}
    assert not names & {"scalelab-frontend", "scalelab-backend"}
    with pytest.raises(RuntimeError), SPALab() as lab:  # a with block stops them whatever happens
        urls = [lab.frontend.url, lab.backend.url]
        raise RuntimeError("the learner's cell failed")
    assert not any(_listening(u) for u in urls)
