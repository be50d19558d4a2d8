"""Fixtures of the design tests: a scalar, patient-by-cohort replay of simulated trials."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from theratrial.design import Action, Crm, DoseData, DoseFindingDesign

Replay = Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]


def _replay(
    design: DoseFindingDesign,
    truth: np.ndarray,
    *,
    cohort_size: int,
    max_n: int,
    start: int,
    n_trials: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run each trial with ``design.decide`` on the random numbers the simulators draw.

    The simulators draw ``rng.random((n_trials, cohort_size))`` once per cohort pass; a
    seat is a DLT when its number is below the true probability of the level treated.
    """
    rng = np.random.default_rng(seed)
    n_levels = truth.size
    levels = tuple(float(i + 1) for i in range(n_levels))
    n_cohorts = -(-max_n // cohort_size)
    draws = [rng.random((n_trials, cohort_size)) for _ in range(n_cohorts)]
    n_out = np.zeros((n_trials, n_levels), dtype=int)
    y_out = np.zeros_like(n_out)
    mtd = np.full(n_trials, -1)
    for t in range(n_trials):
        data = DoseData.empty(levels)
        d = start
        for c in range(n_cohorts):
            size = min(cohort_size, max_n - data.total_n)
            k = int(np.sum(draws[c][t, :size] < truth[d]))
            data = data.with_cohort(d, size, k)
            if isinstance(design, Crm):
                dec = design.decide(data, current=levels[d], max_n=max_n, last_cohort=(size, k))
            else:
                dec = design.decide(data, current=levels[d], max_n=max_n)
            if dec.action in (Action.STOP, Action.SELECT_MTD):
                mtd[t] = -1 if dec.mtd_index is None else dec.mtd_index
                break
            assert dec.next_index is not None
            d = dec.next_index
        n_out[t] = data.n
        y_out[t] = data.dlt
    return n_out, y_out, mtd


@pytest.fixture
def replay() -> Replay:
    """The scalar replay function."""
    return _replay
