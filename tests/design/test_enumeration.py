"""Exact 3+3 operating characteristics by path enumeration (bcrm threep3), vs the simulator."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from theratrial.design import (
    ThreePlusThree,
    enumerate_threeplusthree,
    exact_operating_characteristics,
    simulate,
)

SCENARIOS = [(0.05, 0.15, 0.3, 0.45), (0.1, 0.2, 0.35), (0.02, 0.05, 0.1)]


@pytest.mark.parametrize(
    ("p", "expected"), [(0.1, 0.9061), (0.2, 0.7086), (0.3, 0.4943), (0.4, 0.3093)]
)
@pytest.mark.parametrize("confirm_top", [True, False])
def test_probability_of_escalating_past_a_level(
    p: float, expected: float, confirm_top: bool
) -> None:
    """Storer 1989: (1-p)^3 [1 + 3p(1-p)^2]; the level above is certainly toxic."""
    oc = enumerate_threeplusthree([p, 1.0], confirm_top=confirm_top)
    assert oc.selection_pct[0] / 100 == pytest.approx(expected, abs=5e-5)


def test_a_0_of_3_top_level_is_selected_directly_only_without_confirmation() -> None:
    q = 0.9**3
    direct = enumerate_threeplusthree([0.1], confirm_top=False)
    confirmed = enumerate_threeplusthree([0.1], confirm_top=True)
    assert direct.selection_pct[0] / 100 == pytest.approx(q + 3 * 0.1 * 0.9**2 * q)
    # with confirmation a 0/3 top level needs <= 1 DLT in the next three
    p_confirm = q * (q + 3 * 0.1 * 0.9**2)
    assert confirmed.selection_pct[0] / 100 == pytest.approx(p_confirm + 3 * 0.1 * 0.9**2 * q)
    assert confirmed.n_mean > direct.n_mean


@pytest.mark.parametrize("truth", SCENARIOS)
@pytest.mark.parametrize(
    ("confirm_top", "deescalation"), list(itertools.product([True, False], repeat=2))
)
def test_enumeration_agrees_with_the_decide_based_enumeration(
    truth: tuple[float, ...], confirm_top: bool, deescalation: bool
) -> None:
    design = ThreePlusThree(confirm_top=confirm_top, deescalation=deescalation)
    a = enumerate_threeplusthree(truth, confirm_top=confirm_top, deescalation=deescalation)
    b = exact_operating_characteristics(design, truth, max_n=6 * len(truth))
    np.testing.assert_allclose(a.selection_pct, b.selection_pct, atol=1e-9)
    np.testing.assert_allclose(a.n_treated_mean, b.n_treated_mean, atol=1e-9)
    assert a.stop_pct == pytest.approx(b.stop_pct, abs=1e-9)


@pytest.mark.parametrize("truth", SCENARIOS)
@pytest.mark.parametrize("confirm_top", [True, False])
def test_simulation_agrees_with_exact_enumeration(
    truth: tuple[float, ...], confirm_top: bool
) -> None:
    n_trials = 20_000
    exact = enumerate_threeplusthree(truth, confirm_top=confirm_top)
    sim = simulate(
        ThreePlusThree(confirm_top=confirm_top),
        truth,
        max_n=6 * len(truth),
        n_trials=n_trials,
        seed=2024,
    )
    for e, s in zip(
        (*exact.selection_pct, exact.stop_pct), (*sim.selection_pct, sim.stop_pct), strict=True
    ):
        se = 100 * math.sqrt(max(e / 100 * (1 - e / 100), 1e-6) / n_trials)
        assert abs(e - s) < 4.5 * se + 1e-9
    assert sim.n_mean == pytest.approx(exact.n_mean, abs=0.1)
