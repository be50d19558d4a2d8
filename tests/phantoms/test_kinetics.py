"""Time-activity curves and their exact integrals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide
from theratrial.phantoms.kinetics import (
    Kinetics,
    biological_half_life_h,
    effective_half_life_h,
    time_activity_mbq,
    time_integrated_activity_mbq_h,
)

kinetics_strategy = st.builds(
    Kinetics,
    uptake_rate_per_h=st.floats(0.05, 5.0),
    fast_fraction=st.floats(0.0, 1.0),
    fast_half_life_h=st.floats(0.5, 10.0),
    slow_half_life_h=st.floats(20.0, 500.0),
)


@settings(max_examples=40, deadline=None)
@given(k=kinetics_strategy, nuc=st.sampled_from(["Lu-177", "Ac-225", "Ga-68"]))
def test_closed_form_integral_matches_quadrature(k: Kinetics, nuc: str) -> None:
    def f(t: float) -> float:
        return float(
            time_activity_mbq(k, t, activity_mbq=100.0, uptake_fraction=0.1, nuclide_name=nuc)
        )

    numeric, _ = integrate.quad(f, 0.0, np.inf, limit=400)
    exact = time_integrated_activity_mbq_h(
        k, activity_mbq=100.0, uptake_fraction=0.1, nuclide_name=nuc
    )
    assert exact == pytest.approx(numeric, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(k=kinetics_strategy, split=st.floats(0.1, 500.0))
def test_partial_integrals_add_up(k: Kinetics, split: float) -> None:
    kw = {"activity_mbq": 7400.0, "uptake_fraction": 0.02, "nuclide_name": "Lu-177"}
    first = time_integrated_activity_mbq_h(k, t_end_h=split, **kw)  # type: ignore[arg-type]
    rest = time_integrated_activity_mbq_h(k, t_start_h=split, **kw)  # type: ignore[arg-type]
    total = time_integrated_activity_mbq_h(k, **kw)  # type: ignore[arg-type]
    assert first + rest == pytest.approx(total, rel=1e-10)
    assert 0.0 <= first <= total


def test_mono_exponential_gives_mean_life_times_peak() -> None:
    # instantaneous uptake, one slow phase: TIA = A f T_eff / ln 2
    k = Kinetics(math.inf, 0.0, 1.0, 72.8)
    t_eff = effective_half_life_h(72.8, nuclide_name="Lu-177")
    tia = time_integrated_activity_mbq_h(
        k, activity_mbq=1000.0, uptake_fraction=0.02, nuclide_name="Lu-177"
    )
    assert tia == pytest.approx(1000.0 * 0.02 * t_eff / math.log(2.0), rel=1e-12)
    assert t_eff == pytest.approx(50.0, abs=0.05)  # the kidney figure of the issue


def test_activity_is_zero_before_injection_and_decays_physically_without_washout() -> None:
    k = Kinetics(math.inf, 0.0, 1.0, math.inf)
    half = nuclide("Lu-177").half_life_h
    a = time_activity_mbq(
        k,
        [-1.0, 0.0, half, 2 * half],
        activity_mbq=100.0,
        uptake_fraction=1.0,
        nuclide_name="Lu-177",
    )
    assert a.tolist() == pytest.approx([0.0, 100.0, 50.0, 25.0])


@pytest.mark.parametrize("t_eff", [10.0, 50.0, 120.0, 159.0])
def test_biological_and_effective_half_lives_invert(t_eff: float) -> None:
    t_bio = biological_half_life_h(t_eff, nuclide_name="Lu-177")
    assert effective_half_life_h(t_bio, nuclide_name="Lu-177") == pytest.approx(t_eff)


def test_ac225_effective_half_life_is_longer_for_the_same_biology() -> None:
    k = Kinetics(1.0, 0.2, 2.0, biological_half_life_h(50.0, nuclide_name="Lu-177"))
    assert k.effective_slow_half_life_h("Ac-225") > k.effective_slow_half_life_h("Lu-177")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"uptake_rate_per_h": 0.0}, "uptake_rate_per_h"),
        ({"fast_fraction": 1.5}, "fast_fraction"),
        ({"slow_half_life_h": -1.0}, "slow_half_life_h"),
    ],
)
def test_invalid_kinetics_are_refused(kwargs: dict[str, float], field: str) -> None:
    base = {
        "uptake_rate_per_h": 1.0,
        "fast_fraction": 0.2,
        "fast_half_life_h": 2.0,
        "slow_half_life_h": 80.0,
    }
    with pytest.raises(ParameterError) as info:
        Kinetics(**{**base, **kwargs})
    assert info.value.field == field


def test_effective_half_life_above_physical_is_refused() -> None:
    with pytest.raises(ParameterError, match="cannot exceed"):
        biological_half_life_h(200.0, nuclide_name="Lu-177")


def test_integration_bounds_must_be_ordered() -> None:
    with pytest.raises(ParameterError):
        time_integrated_activity_mbq_h(
            Kinetics(1.0, 0.0, 1.0, 50.0),
            activity_mbq=1.0,
            uptake_fraction=1.0,
            nuclide_name="Lu-177",
            t_start_h=10.0,
            t_end_h=5.0,
        )
