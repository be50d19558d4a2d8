"""Operating characteristics: reproducibility, stability, agreement with exact enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.design import (
    Boin,
    Crm,
    I3plus3,
    Mtpi2,
    ThreePlusThree,
    exact_operating_characteristics,
    simulate,
)
from theratrial.errors import ParameterError

TRUTH = [0.05, 0.15, 0.30, 0.45, 0.60]


def test_same_seed_same_numbers_and_different_seed_different_numbers() -> None:
    a = simulate(Boin(0.3), TRUTH, max_n=30, n_trials=3000, seed=11)
    b = simulate(Boin(0.3), TRUTH, max_n=30, n_trials=3000, seed=11)
    c = simulate(Boin(0.3), TRUTH, max_n=30, n_trials=3000, seed=12)
    assert a == b
    assert a.selection_pct != c.selection_pct


def test_boin_selection_is_stable_between_seeds_at_20000_trials() -> None:
    one = simulate(Boin(0.3), TRUTH, cohort_size=3, max_n=60, n_trials=20_000, seed=1)
    two = simulate(Boin(0.3), TRUTH, cohort_size=3, max_n=60, n_trials=20_000, seed=2)
    diff = np.abs(np.subtract(one.selection_pct, two.selection_pct))
    assert diff.max() < 1.0
    assert np.argmax(one.selection_pct) == 2  # the level with the target DLT rate
    assert one.n_mean == pytest.approx(60.0, abs=0.1)


@pytest.mark.parametrize(
    ("design", "truth", "max_n", "start"),
    [
        (Boin(0.25), [0.1, 0.25, 0.45], 15, 2),  # de-escalation start at the top
        (Boin(0.3, extrasafe=True, n_earlystop=9), [0.3, 0.45, 0.6], 15, 0),
        (Mtpi2(0.3), [0.05, 0.2, 0.35, 0.5], 12, 0),
        (I3plus3(0.3), [0.05, 0.2, 0.35, 0.5], 12, 0),
        (ThreePlusThree(deescalation=True), TRUTH, 30, 0),
        (Crm(0.3, skeleton=(0.1, 0.2, 0.3, 0.4)), [0.05, 0.15, 0.3, 0.45], 12, 0),
    ],
)
def test_simulation_agrees_with_exact_enumeration(
    design: Boin, truth: list[float], max_n: int, start: int
) -> None:
    exact = exact_operating_characteristics(design, truth, max_n=max_n, start_level=start)
    trials = 20_000
    sim = simulate(design, truth, max_n=max_n, start_level=start, n_trials=trials, seed=5)
    for p_exact, p_sim in zip(exact.selection_pct, sim.selection_pct, strict=True):
        se = 100 * np.sqrt(max(p_exact / 100 * (1 - p_exact / 100), 1e-4) / trials)
        assert abs(p_sim - p_exact) < 5 * se
    assert np.allclose(sim.n_treated_mean, exact.n_treated_mean, atol=0.12)
    assert sum(exact.selection_pct) + exact.stop_pct == pytest.approx(100.0)


def test_all_toxic_scenario_stops_early() -> None:
    oc = simulate(Boin(0.25), [0.6, 0.7, 0.8], max_n=30, n_trials=2000, seed=3)
    assert oc.stop_pct > 80
    assert oc.n_mean < 10


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"truth": [0.1, 0.2], "levels": [60, 90, 120]}, "one true DLT probability"),
        ({"truth": [0.1, 1.2, 0.3]}, "outside"),
        ({"truth": [0.1, 0.2, 0.3], "start_level": 3}, "start level"),
        ({"truth": [0.1, 0.2, 0.3], "cohort_size": 0}, "minimum"),
        ({"truth": [0.1, 0.2, 0.3], "max_n": 2}, "minimum"),
    ],
)
def test_bad_scenarios_are_refused(kwargs: dict[str, object], match: str) -> None:
    args = {"max_n": 30, "n_trials": 10, "seed": 1, **kwargs}
    truth = args.pop("truth")
    with pytest.raises(ParameterError, match=match):
        simulate(Boin(0.25), truth, **args)  # type: ignore[arg-type]


def test_threeplusthree_needs_cohorts_of_three_and_crm_a_matching_skeleton() -> None:
    with pytest.raises(ParameterError, match="cohort size"):
        simulate(ThreePlusThree(), TRUTH, cohort_size=2, max_n=30, n_trials=10)
    with pytest.raises(ParameterError, match="skeleton"):
        simulate(Crm(0.3, skeleton=(0.1, 0.3)), TRUTH, max_n=30, n_trials=10)


def test_progress_is_reported_per_cohort() -> None:
    calls: list[tuple[int, int]] = []
    simulate(
        Boin(0.3), TRUTH, max_n=30, n_trials=50, seed=1, progress=lambda a, b: calls.append((a, b))
    )
    assert calls[0] == (1, 10)
    assert all(total == 10 for _, total in calls)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5])
def test_seed_outside_0_to_2_32_is_refused(seed: object) -> None:
    with pytest.raises(ParameterError, match="seed"):
        simulate(Boin(0.3), TRUTH, max_n=30, n_trials=10, seed=seed)  # type: ignore[arg-type]


def test_results_do_not_depend_on_the_chunk_size() -> None:
    kw = {"max_n": 30, "n_trials": 5000, "seed": 11}
    big = simulate(Boin(0.3), TRUTH, chunk_trials=65_536, **kw)  # type: ignore[arg-type]
    small = simulate(Boin(0.3), TRUTH, chunk_trials=1000, **kw)  # type: ignore[arg-type]
    assert big == small


def test_too_many_trials_or_patients_are_refused_at_once() -> None:
    with pytest.raises(ParameterError, match="10,000,000"):
        simulate(Boin(0.3), TRUTH, max_n=30, n_trials=1_000_000_000, seed=1)
    with pytest.raises(ParameterError, match="at most 1000"):
        simulate(Boin(0.3), TRUTH, max_n=100_000_000, n_trials=10, seed=1)


def test_progress_counts_every_chunk() -> None:
    calls: list[tuple[int, int]] = []
    simulate(
        Boin(0.3),
        TRUTH,
        max_n=30,
        n_trials=3000,
        seed=1,
        chunk_trials=1024,
        progress=lambda a, b: calls.append((a, b)),
    )
    assert {b for _, b in calls} == {30}
    assert max(a for a, _ in calls) <= 30
