"""The utilisation sweep behind chapter 01's hockey stick follows the M/M/1 formula."""

import numpy as np
import pytest

from scalelab.capacity.sweeps import utilisation_sweep


def test_sweep_tracks_the_formula_and_bends_upward() -> None:
    sweep = utilisation_sweep([0.2, 0.5, 0.8], 0.05, np.random.default_rng(3), requests=200_000)
    assert sweep.mean == pytest.approx(sweep.theory, rel=0.05)
    assert sweep.theory == pytest.approx([0.0625, 0.1, 0.25])
    assert np.all(np.diff(sweep.percentiles[99]) > 0)
    assert "theory mean" in sweep.table().splitlines()[0]
    assert len(sweep.table().splitlines()) == 4


@pytest.mark.parametrize("bad", [[], [0.5, 1.0], [0.0], [[0.2, 0.3]]])
def test_sweep_refuses_impossible_utilisations(bad: list) -> None:
    with pytest.raises(ValueError, match="above 0 and below 1"):
        utilisation_sweep(bad, 0.05, np.random.default_rng(0))
