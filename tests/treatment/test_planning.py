"""Cumulative organ dose and next-cycle gating by the protocol's organ limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.dosimetry.radiobiology import g_factor_mono_exponential
from theratrial.errors import ParameterError
from theratrial.protocol import find_protocol
from theratrial.treatment.history import (
    CycleDose,
    cumulative_doses,
)
from theratrial.treatment.planning import active_limits, plan_next_cycle

BORDET = find_protocol("NCT01842165")
G50 = g_factor_mono_exponential(50.0, repair_half_time_h=2.8)


def _kidney(cycle: int, dose: float, activity: float = 7400.0) -> CycleDose:
    return CycleDose(cycle, "kidneys", activity, dose, g_factor=G50)


def test_full_cycle_when_far_from_limits() -> None:
    plan = plan_next_cycle(BORDET, [_kidney(1, 3.0)])
    assert plan.cycle == 2
    assert not plan.stop
    assert not plan.reduced
    assert plan.recommended_activity_mbq == pytest.approx(7400.0)
    # bone-marrow limit cannot be checked without marrow dosimetry
    assert any("bone_marrow" in w for w in plan.warnings)


def test_absorbed_dose_limit_reduces_the_next_cycle() -> None:
    history = [_kidney(1, 8.0), _kidney(2, 8.0)]  # 16 Gy, 8 Gy per 7.4 GBq
    plan = plan_next_cycle(BORDET, history)
    expected = (23.0 - 16.0) / (8.0 / 7400.0)
    assert plan.max_activity_mbq == pytest.approx(expected)
    assert plan.recommended_activity_mbq == pytest.approx(expected)
    assert plan.reduced
    assert plan.last_cycle
    assert not plan.stop


def test_bed_limit_uses_the_quadratic_root() -> None:
    history = [_kidney(1, 9.0), _kidney(2, 9.0)]
    plan = plan_next_cycle(BORDET, history, risk_factors=["renal_risk_factors"])
    bed_check = next(c for c in plan.checks if c.limit.quantity == "bed_gy")
    assert bed_check.limit.limit == 28.0
    d_per_mbq = 9.0 / 7400.0
    assert bed_check.max_activity_mbq is not None
    dose = d_per_mbq * bed_check.max_activity_mbq
    cumulative = 2 * 9.0 * (1 + G50 * 9.0 / 2.6)
    assert cumulative + dose * (1 + G50 * dose / 2.6) == pytest.approx(28.0)
    maxima = [c.max_activity_mbq for c in plan.checks if c.max_activity_mbq is not None]
    assert plan.max_activity_mbq == pytest.approx(min(maxima))
    assert plan.max_activity_mbq < bed_check.max_activity_mbq  # 23 Gy binds first here


def test_stop_when_a_limit_is_reached() -> None:
    plan = plan_next_cycle(BORDET, [_kidney(1, 12.0), _kidney(2, 11.5)])
    assert plan.stop
    assert plan.recommended_activity_mbq == 0.0
    assert any("limit reached" in r for r in plan.reasons)


def test_stop_after_the_last_protocol_cycle() -> None:
    plan = plan_next_cycle(BORDET, [_kidney(c, 2.0) for c in range(1, 5)])
    assert plan.stop
    assert "all 4 cycles" in plan.reasons[0]


def test_protocol_without_limits_and_per_weight_dosing() -> None:
    ac = find_protocol("NCT06732505")
    history = [CycleDose(1, "kidneys", 6.3, 0.5, rbe_weighted_dose_gy=2.4)]
    plan = plan_next_cycle(ac, history, weight_kg=70.0)
    assert plan.max_activity_mbq is None
    assert plan.recommended_activity_mbq == pytest.approx(6.3)
    assert any("no organ limits" in w for w in plan.warnings)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=0.5, max_value=10.0), st.integers(min_value=1, max_value=3))
def test_recommended_activity_never_breaks_a_limit(dose: float, cycles: int) -> None:
    history = [_kidney(c, dose) for c in range(1, cycles + 1)]
    plan = plan_next_cycle(BORDET, history)
    if plan.stop:
        return
    next_dose = dose / 7400.0 * plan.recommended_activity_mbq
    totals = cumulative_doses(
        [*history, _kidney(plan.cycle, next_dose, plan.recommended_activity_mbq)]
    )
    assert totals["kidneys"].absorbed_dose_gy <= 23.0 + 1e-9
    assert totals["kidneys"].bed_gy is not None
    assert totals["kidneys"].bed_gy <= 40.0 + 1e-9


def test_risk_factor_switches_the_kidney_bed_limit() -> None:
    default = {(lim.organ, lim.quantity): lim.limit for lim in active_limits(BORDET)}
    risky = {
        (lim.organ, lim.quantity): lim.limit
        for lim in active_limits(BORDET, risk_factors=["renal_risk_factors"])
    }
    assert default[("kidneys", "bed_gy")] == 40.0
    assert risky[("kidneys", "bed_gy")] == 28.0


def test_bad_planning_inputs() -> None:
    with pytest.raises(ParameterError):
        CycleDose(0, "kidneys", 7400.0, 1.0)
    with pytest.raises(ParameterError):
        CycleDose(1, "kidneys", 0.0, 1.0)
    with pytest.raises(ParameterError):
        plan_next_cycle(BORDET, [], basis="median")


def test_bed_limit_binds_for_fast_kinetics_with_risk_factors() -> None:
    history = [CycleDose(c, "kidneys", 7400.0, 10.0, g_factor=0.1) for c in (1, 2)]
    plan = plan_next_cycle(BORDET, history, risk_factors=["renal_risk_factors"])
    binding = min(
        (c for c in plan.checks if c.max_activity_mbq is not None),
        key=lambda c: c.max_activity_mbq or 0.0,
    )
    assert binding.limit.quantity == "bed_gy"
    assert plan.reduced
    assert plan.max_activity_mbq == pytest.approx(binding.max_activity_mbq)
