"""The loopback servers the labs build on: they serve, log, refuse when stopped, and stay on 127.0.0.0/8."""

import threading

import pytest

from scalelab.net import LocalServer, Reply, check_loopback, free_port, get, stop_all


def _echo(request):
    if request.path == "/boom":
        raise RuntimeError("broken app")
    return Reply(200, f"{request.method} {request.path} {request.query}")


def test_a_server_serves_logs_and_stops() -> None:
    with LocalServer(_echo, name="echo") as server:
        first = get(server.url + "/a?x=1")
        second = get(server.url + "/b")
        assert (first.status, first.text) == (200, "GET /a {'x': '1'}")
        assert second.ok
        assert [(line.method, line.path, line.status) for line in server.log] == [
            ("GET", "/a", 200),
            ("GET", "/b", 200),
        ]
        url = server.url
    refused = get(url + "/a", timeout=0.5)
    assert refused.status is None and refused.error, "a stopped server must refuse connections"
    assert not any(t.name == "scalelab-echo" for t in threading.enumerate())


def test_the_log_has_the_line_as_soon_as_the_client_has_the_answer() -> None:
    with LocalServer(_echo) as server:
        for i in range(200):
            assert get(server.url + f"/{i}").ok
            assert len(server.log) == i + 1, "a request answered but not yet in the log"
        assert get(server.url + "/x", method="OPTIONS").text == "OPTIONS /x {}"


def test_a_broken_app_answers_500_and_the_server_keeps_serving() -> None:
    with LocalServer(_echo) as server:
        assert get(server.url + "/boom").status == 500
        assert "RuntimeError" in get(server.url + "/boom").text
        assert get(server.url + "/fine").status == 200


def test_a_stopped_server_starts_again_on_the_same_port() -> None:
    server = LocalServer(_echo).start()
    port = server.port
    server.stop()
    server.start()
    try:
        assert server.port == port and get(server.url + "/").ok
    finally:
        server.stop()


def test_stop_all_stops_every_running_server() -> None:
    servers = [LocalServer(_echo, name=f"s{i}").start() for i in range(3)]
    assert stop_all() >= 3
    assert not any(s.running for s in servers)
    assert all(get(s.url + "/", timeout=0.5).status is None for s in servers)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "localhost", "::1", "example.com"])
def test_nothing_listens_or_fetches_outside_the_loopback_range(host: str) -> None:
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        check_loopback(host)
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        LocalServer(_echo, host=host)
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        get(f"http://[{host}]:80/" if ":" in host else f"http://{host}:80/")


def test_a_free_port_is_free_and_other_loopback_addresses_are_fine() -> None:
    port = free_port()
    with LocalServer(_echo, port=port) as server:
        assert server.port == port and get(f"http://127.0.0.1:{port}/").ok
    assert check_loopback("127.0.0.2") == "127.0.0.2"


def test_bad_arguments_say_what_was_expected() -> None:
    with pytest.raises(TypeError, match="app"):
        LocalServer("not a function")
    with pytest.raises(ValueError, match="URL"):
        get("ftp://127.0.0.1/")
    with pytest.raises(RuntimeError, match="start"):
        _ = LocalServer(_echo).url


@pytest.mark.parametrize("port", [-1, 70000, 8000.5, "8000", True])
def test_a_bad_port_is_refused_in_one_line(port) -> None:
    with pytest.raises(ValueError, match="port must be 0–65535 or None, got"):
        LocalServer(_echo, port=port).start()
