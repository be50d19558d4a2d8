"""BED, EQD2 and G-factors against the reference checks and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theratrial.dosimetry.radiobiology import (
    KIDNEY,
    Radiobiology,
    bed_gy,
    bed_mono_exponential_gy,
    cumulative_bed_gy,
    eqd2_gy,
    g_factor_exponentials,
    g_factor_mono_exponential,
    g_factor_sampled,
)
from theratrial.errors import ParameterError


def test_reference_bed_single_dose() -> None:
    # reference sheet section 2: 23 Gy, T_eff 50 h, kidney -> 33.79 Gy
    assert bed_mono_exponential_gy(23.0, effective_half_life_h=50.0) == pytest.approx(
        33.79, abs=0.01
    )


def test_reference_bed_four_cycles() -> None:
    # 4 cycles of 5.75 Gy, T_eff 50 h -> 25.70 Gy
    total = cumulative_bed_gy([5.75] * 4, effective_half_lives_h=[50.0] * 4)
    assert total == pytest.approx(25.70, abs=0.01)


def test_eqd2_and_kidney_defaults() -> None:
    assert KIDNEY.alpha_beta_gy == 2.6
    assert KIDNEY.repair_half_time_h == 2.8
    bed = bed_mono_exponential_gy(23.0, effective_half_life_h=50.0)
    assert eqd2_gy(bed, alpha_beta_gy=2.6) == pytest.approx(bed / (1 + 2 / 2.6))


def test_g_factor_forms_agree() -> None:
    lam = math.log(2) / 50.0
    g_mono = g_factor_mono_exponential(50.0, repair_half_time_h=2.8)
    assert g_factor_exponentials([3.0], [lam], repair_half_time_h=2.8) == pytest.approx(g_mono)
    t = np.linspace(0.0, 300.0, 601)
    g_num = g_factor_sampled(
        t, np.exp(-lam * t), tail_decay_per_h=lam, repair_half_time_h=2.8, start_at_zero=False
    )
    assert g_num == pytest.approx(g_mono, rel=1e-3)


def test_g_factor_of_uptake_curve_matches_sampled_integration() -> None:
    lam_w, lam_u = 0.015, 0.4
    g_exact = g_factor_exponentials([1.0, -1.0], [lam_w, lam_u], repair_half_time_h=2.8)
    t = np.linspace(0.0, 500.0, 5001)
    curve = np.exp(-lam_w * t) - np.exp(-lam_u * t)
    g_num = g_factor_sampled(t, curve, tail_decay_per_h=lam_w, repair_half_time_h=2.8)
    assert g_num == pytest.approx(g_exact, rel=2e-3)


@settings(max_examples=50, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=60.0),
    st.floats(min_value=1.0, max_value=500.0),
    st.floats(min_value=0.5, max_value=20.0),
)
def test_bed_exceeds_dose_and_grows_with_it(dose: float, t_eff: float, ab: float) -> None:
    bed = bed_mono_exponential_gy(dose, effective_half_life_h=t_eff, alpha_beta_gy=ab)
    assert bed >= dose
    more = bed_mono_exponential_gy(dose + 1.0, effective_half_life_h=t_eff, alpha_beta_gy=ab)
    assert more > bed
    assert 0 < g_factor_mono_exponential(t_eff, repair_half_time_h=2.8) < 1


def test_fractionation_lowers_bed() -> None:
    single = bed_mono_exponential_gy(23.0, effective_half_life_h=50.0)
    split = cumulative_bed_gy([5.75] * 4, effective_half_lives_h=[50.0] * 4)
    assert split < single


def test_bad_parameters() -> None:
    with pytest.raises(ParameterError):
        Radiobiology(alpha_beta_gy=0.0)
    with pytest.raises(ParameterError):
        bed_gy(-1.0, g_factor=0.1, alpha_beta_gy=2.6)
    with pytest.raises(ParameterError):
        bed_gy(1.0, g_factor=1.5, alpha_beta_gy=2.6)
    with pytest.raises(ParameterError):
        g_factor_exponentials([1.0], [0.0], repair_half_time_h=2.8)
    with pytest.raises(ParameterError):
        cumulative_bed_gy([1.0, 2.0], g_factors=[0.1])
    with pytest.raises(ParameterError):
        cumulative_bed_gy([1.0])
