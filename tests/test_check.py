"""The learner's self-check helpers say what was expected and what came back."""

import pytest

import scalelab
from scalelab import check
from scalelab.balancer import picks


def test_equal_passes_with_a_tick(capsys: pytest.CaptureFixture) -> None:
    check.equal([0, 1], [0, 1], "two picks")
    assert capsys.readouterr().out == "✔ two picks: [0, 1]\n"


def test_equal_failure_names_both_values() -> None:
    with pytest.raises(AssertionError, match=r"two picks: expected \[0, 1\], but got \[1, 2\]"):
        check.equal([1, 2], [0, 1], "two picks")


def test_close_uses_relative_tolerance_and_rejects_non_numbers() -> None:
    check.close(100.0000001, 100.0, "near enough")
    with pytest.raises(AssertionError, match="expected about 100 .within 1%., but got 90"):
        check.close(90.0, 100.0, "capacity", rel=0.01)
    with pytest.raises(
        AssertionError,
        match=r"expected about 8.766 \(the first 9 significant digits the same\), but got 8.76$",
    ):
        check.close(8.76, 8.766, "hours down", rel=1e-9)
    with pytest.raises(AssertionError, match="expected a number, but got None"):
        check.close(None, 100.0, "capacity")


def test_raises_reports_another_error_as_what_came_back() -> None:
    with pytest.raises(
        AssertionError,
        match="at 100%: expected ValueError, but it raised ZeroDivisionError: division by zero",
    ):
        check.raises(ValueError, lambda u: 1 / (1 - u), 1, what="at 100%")


def test_raises_reports_a_missing_error() -> None:
    with pytest.raises(AssertionError, match="expected ValueError, but it returned 5"):
        check.raises(ValueError, lambda x: x, 5, what="negative input")


def test_picks_runs_a_balancer_on_a_pool() -> None:
    assert picks(scalelab.RoundRobin(), [True, False, True], 4) == [0, 2, 0, 2]
    assert picks(scalelab.RoundRobin(), [False, False], 2) == [None, None]


def test_picks_stops_a_balancer_that_never_returns() -> None:
    class Stuck(scalelab.Balancer):
        def choose(self, servers):
            while not any(s.healthy for s in servers):
                pass

    expected = "picks with 0 of 2 servers up: expected them within 0.2 s, got no answer"
    with pytest.raises(AssertionError, match=expected):
        picks(Stuck(), [False, False], 1, seconds=0.2)
