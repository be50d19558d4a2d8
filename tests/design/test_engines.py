"""The vectorised simulators reproduce the scalar decisions trial by trial."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.design import Boin, Crm, I3plus3, Mtpi2, ThreePlusThree
from theratrial.design._engines import run_crm, run_interval, run_threeplusthree

SCENARIOS = [
    (np.array([0.05, 0.15, 0.30, 0.45, 0.60]), 0),
    (np.array([0.30, 0.45, 0.50, 0.60, 0.70]), 4),  # de-escalation start at the top
    (np.array([0.50, 0.60, 0.70, 0.80, 0.90]), 2),  # everything toxic
]


@pytest.mark.parametrize(
    "design",
    [
        Boin(0.3),
        Boin(0.25, extrasafe=True, n_earlystop=12, bound_mtd=True),
        Mtpi2(0.25, n_earlystop=9),
        I3plus3(0.3),
    ],
)
@pytest.mark.parametrize(("truth", "start"), SCENARIOS)
def test_interval_engine_equals_scalar_replay(
    design: Boin, truth: np.ndarray, start: int, replay
) -> None:
    kw = {"cohort_size": 3, "max_n": 31, "start": start, "n_trials": 80}
    raw = run_interval(design, truth, rng=np.random.default_rng(7), **kw)
    n, y, mtd = replay(design, truth, seed=7, **kw)
    assert np.array_equal(raw.n, n)
    assert np.array_equal(raw.dlt, y)
    assert np.array_equal(raw.mtd, mtd)


@pytest.mark.parametrize("design", [ThreePlusThree(), ThreePlusThree(deescalation=True)])
@pytest.mark.parametrize(("truth", "start"), SCENARIOS)
def test_threeplusthree_engine_equals_scalar_replay(
    design: ThreePlusThree, truth: np.ndarray, start: int, replay
) -> None:
    kw = {"cohort_size": 3, "max_n": 30, "start": start, "n_trials": 200}
    raw = run_threeplusthree(design, truth, rng=np.random.default_rng(8), **kw)
    n, _y, mtd = replay(design, truth, seed=8, **kw)
    assert np.array_equal(raw.n, n)
    assert np.array_equal(raw.mtd, mtd)


@pytest.mark.parametrize(
    "design",
    [
        Crm(0.3, skeleton=(0.05, 0.15, 0.3, 0.45, 0.6)),
        Crm(0.25, skeleton=(0.05, 0.1, 0.25, 0.4, 0.6), stop_threshold=0.9),
    ],
)
@pytest.mark.parametrize(("truth", "start"), SCENARIOS)
def test_crm_engine_equals_scalar_replay(
    design: Crm, truth: np.ndarray, start: int, replay
) -> None:
    kw = {"cohort_size": 3, "max_n": 24, "start": start, "n_trials": 60}
    raw = run_crm(design, truth, rng=np.random.default_rng(9), **kw)
    n, _y, mtd = replay(design, truth, seed=9, **kw)
    assert np.array_equal(raw.n, n)
    assert np.array_equal(raw.mtd, mtd)
