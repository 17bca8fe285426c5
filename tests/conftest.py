"""Shared test setup: plots render off-screen; the run's shared folder and xdist groups (testrun.py)."""

import matplotlib
import pytest
import testrun

matplotlib.use("Agg")


def pytest_configure(config: pytest.Config) -> None:
    testrun.start_run(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    testrun.end_run(config)


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own attempt
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    testrun.apply_xdist_groups(config, items)
