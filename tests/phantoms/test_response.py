"""The lesion response model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.phantoms.response import ResponseModel


@given(d1=st.floats(0.0, 500.0), d2=st.floats(0.0, 500.0), suv=st.floats(1.0, 100.0))
def test_more_dose_never_means_less_shrinkage(d1: float, d2: float, suv: float) -> None:
    m = ResponseModel()
    lo, hi = sorted((d1, d2))
    kw = {"months": 6.0, "suv": suv, "growth_per_month": 0.01, "lesion_effect": 0.0}
    assert m.true_change(dose_gy=hi, **kw) <= m.true_change(dose_gy=lo, **kw)  # type: ignore[arg-type]


def test_emax_relation_values() -> None:
    m = ResponseModel(emax=0.6, d50_gy=50.0, hill=1.0, suv_ref=20.0, uptake_exponent=0.3)
    assert m.dose_effect(50.0) == 0.5
    assert m.dose_effect(0.0) == 0.0
    assert m.modifier(20.0) == 1.0
    assert m.modifier(40.0) == pytest.approx(2**0.3)
    assert m.modifier(1e6) == m.max_modifier
    change = m.true_change(
        months=3.0, dose_gy=50.0, suv=20.0, growth_per_month=0.02, lesion_effect=-0.01
    )
    assert change == pytest.approx(0.06 - 0.3 - 0.01)


def test_measured_diameter_errors_and_disappearance() -> None:
    m = ResponseModel(sigma_measurement=0.05)
    rng = np.random.default_rng(0)
    values = np.array([m.measured_diameter_mm(20.0, rng) for _ in range(20000)])
    assert values.mean() == pytest.approx(20.0, rel=0.005)
    assert values.std() == pytest.approx(1.0, rel=0.03)
    assert m.measured_diameter_mm(2.0, rng) == 0.0


def test_parameters_are_written_with_the_formula() -> None:
    d = ResponseModel().as_dict()
    assert "emax" in d
    assert "D(t)" in str(d["formula"])
