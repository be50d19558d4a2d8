"""Single-time-point Ã (Hänscheid 2018, Madsen 2018)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.dosimetry.stp import tia_hanscheid_mbq_h, tia_madsen_mbq_h
from theratrial.dosimetry.svalues import organ_s_value
from theratrial.errors import ParameterError


def test_madsen_reference_spleen() -> None:
    # reference sheet: 150 g spleen, S 1.5967e-4 mGy/(MBq s), 100 MBq at 24 h, T_eff 67 h
    tia = tia_madsen_mbq_h(100.0, 24.0, effective_half_life_h=67.0)
    assert tia * 3600.0 * 1.5967e-4 / 1000.0 == pytest.approx(7.12, abs=0.005)
    s = organ_s_value("spleen", mass_g=150.0)
    assert tia * s.s_value_mgy_per_mbq_h / 1000.0 == pytest.approx(7.12, abs=0.01)


@settings(max_examples=50, deadline=None)
@given(
    st.floats(min_value=1.0, max_value=1e4),
    st.floats(min_value=5.0, max_value=300.0),
    st.floats(min_value=1.0, max_value=300.0),
)
def test_madsen_is_exact_on_mono_exponential_data(a0: float, t_eff: float, t: float) -> None:
    lam = math.log(2) / t_eff
    measured = a0 * math.exp(-lam * t)
    assert tia_madsen_mbq_h(measured, t, effective_half_life_h=t_eff) == pytest.approx(
        a0 / lam, rel=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=1.0, max_value=1e4), st.floats(min_value=5.0, max_value=300.0))
def test_hanscheid_is_exact_when_imaged_at_the_effective_half_life(a0: float, t_eff: float) -> None:
    lam = math.log(2) / t_eff
    measured = a0 * math.exp(-lam * t_eff)
    assert tia_hanscheid_mbq_h(measured, t_eff) == pytest.approx(a0 / lam, rel=1e-9)


@pytest.mark.parametrize("x", [0.5, 0.75, 1.0, 1.5, 2.0])
def test_hanscheid_bias_on_mono_exponential_data(x: float) -> None:
    # For A(t) = A0 exp(-lambda t) imaged at t = x T_eff, Ã_H / Ã = x 2^(1 - x): no bias at
    # x = 1, under 11 % between 0.75 and 1.5 T_eff.
    t_eff, a0 = 60.0, 100.0
    lam = math.log(2) / t_eff
    t = x * t_eff
    ratio = tia_hanscheid_mbq_h(a0 * math.exp(-lam * t), t) / (a0 / lam)
    assert ratio == pytest.approx(x * 2.0 ** (1.0 - x), rel=1e-12)
    if 0.75 <= x <= 1.5:
        assert abs(ratio - 1.0) < 0.11


def test_bad_inputs() -> None:
    with pytest.raises(ParameterError):
        tia_hanscheid_mbq_h(10.0, 0.0)
    with pytest.raises(ParameterError):
        tia_madsen_mbq_h(-1.0, 24.0, effective_half_life_h=50.0)
    with pytest.raises(ParameterError):
        tia_madsen_mbq_h(1.0, 24.0, effective_half_life_h=0.0)
