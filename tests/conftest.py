"""Shared test setup: plots render off-screen."""

import matplotlib

matplotlib.use("Agg")
