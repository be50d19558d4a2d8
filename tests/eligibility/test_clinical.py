"""Derived clinical values against their published definitions and reference values."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.eligibility.clinical import (
    age_years,
    bmi_kg_m2,
    bsa_m2,
    cockcroft_gault_ml_min,
    egfr_ckd_epi_2021,
    uln_multiple,
)
from theratrial.eligibility.units import convert
from theratrial.errors import ParameterError


# -- Cockcroft-Gault (Cockcroft & Gault 1976, Nephron 16:31) -------------------------------
def test_cockcroft_gault_reference_check() -> None:
    # reference sheet section 6: man, 60 y, 70 kg, SCr 1.0 mg/dL -> 77.78 mL/min
    crcl = cockcroft_gault_ml_min(age_years=60, weight_kg=70, creatinine_mg_dl=1.0, sex="male")
    assert crcl == pytest.approx(77.78, abs=0.005)
    assert crcl == pytest.approx(80 * 70 / 72)


def test_cockcroft_gault_female_factor() -> None:
    kw = {"age_years": 60, "weight_kg": 70, "creatinine_mg_dl": 1.0}
    woman = cockcroft_gault_ml_min(**kw, sex="female")  # type: ignore[arg-type]
    man = cockcroft_gault_ml_min(**kw, sex="male")  # type: ignore[arg-type]
    assert woman == pytest.approx(66.11, abs=0.005)
    assert woman / man == pytest.approx(0.85)


def test_creatinine_umol_per_l_divided_by_88_42_is_mg_per_dl() -> None:
    # reference sheet section 6: SCr umol/L / 88.42 = mg/dL
    assert convert(88.42, "umol/L", "mg/dL", analyte="creatinine") == pytest.approx(1.0)
    assert convert(132.0, "umol/L", "mg/dL", analyte="creatinine") == pytest.approx(132 / 88.42)
    scr = convert(88.42, "umol/L", "mg/dL", analyte="creatinine")
    crcl = cockcroft_gault_ml_min(age_years=60, weight_kg=70, creatinine_mg_dl=scr, sex="male")
    assert crcl == pytest.approx(77.78, abs=0.005)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_cockcroft_gault_rejects_non_positive_creatinine(bad: float) -> None:
    with pytest.raises(ParameterError) as err:
        cockcroft_gault_ml_min(age_years=60, weight_kg=70, creatinine_mg_dl=bad, sex="male")
    assert err.value.field == "creatinine_mg_dl"


@given(
    age=st.floats(18, 100),
    weight=st.floats(30, 200),
    scr=st.floats(0.2, 10.0),
    factor=st.floats(1.01, 3.0),
)
def test_cockcroft_gault_monotone_and_linear(
    age: float, weight: float, scr: float, factor: float
) -> None:
    def cg(a: float = age, w: float = weight, s: float = scr) -> float:
        return cockcroft_gault_ml_min(age_years=a, weight_kg=w, creatinine_mg_dl=s, sex="male")

    assert cg(s=scr * factor) < cg()  # decreasing in creatinine
    assert cg(a=min(age + 1, 139)) < cg()  # decreasing in age
    assert cg(w=weight * factor) == pytest.approx(cg() * factor)  # linear in weight
    assert cg(s=scr * factor) == pytest.approx(cg() / factor)  # inverse in creatinine


# -- CKD-EPI 2021 (Inker et al. 2021, N Engl J Med 385:1737) ---------------------------------
def _ckd_epi_2021_piecewise(age: float, scr: float, female: bool) -> float:
    """The equation as printed in Inker 2021, one branch per sex and creatinine range."""
    if female:
        if scr <= 0.7:
            return 142 * (scr / 0.7) ** -0.241 * 0.9938**age * 1.012
        return 142 * (scr / 0.7) ** -1.200 * 0.9938**age * 1.012
    if scr <= 0.9:
        return 142 * (scr / 0.9) ** -0.302 * 0.9938**age
    return 142 * (scr / 0.9) ** -1.200 * 0.9938**age


def test_ckd_epi_2021_published_value() -> None:
    # National Kidney Foundation calculator: man, 60 y, SCr 1.0 mg/dL -> 86 mL/min/1.73 m2
    egfr = egfr_ckd_epi_2021(age_years=60, creatinine_mg_dl=1.0, sex="male")
    assert round(egfr) == 86


@pytest.mark.parametrize(
    ("age", "scr", "sex", "expected"),
    [
        (60, 1.0, "male", 86.2),
        (50, 0.7, "female", 105.3),  # at the female knot: 142 x 0.9938^50 x 1.012
        (60, 0.9, "male", 97.8),  # at the male knot: 142 x 0.9938^60
        (55, 1.2, "female", 53.5),
        (70, 2.0, "male", 35.2),
        (40, 0.6, "female", 116.3),
    ],
)
def test_ckd_epi_2021_values(age: float, scr: float, sex: str, expected: float) -> None:
    egfr = egfr_ckd_epi_2021(age_years=age, creatinine_mg_dl=scr, sex=sex)  # type: ignore[arg-type]
    assert egfr == pytest.approx(expected, abs=0.05)


@given(age=st.floats(18, 100), scr=st.floats(0.2, 15.0), female=st.booleans())
def test_ckd_epi_2021_matches_the_piecewise_form(age: float, scr: float, female: bool) -> None:
    sex = "female" if female else "male"
    egfr = egfr_ckd_epi_2021(age_years=age, creatinine_mg_dl=scr, sex=sex)
    assert egfr == pytest.approx(_ckd_epi_2021_piecewise(age, scr, female), rel=1e-12)


@given(age=st.floats(18, 99), scr=st.floats(0.2, 15.0), factor=st.floats(1.001, 3.0))
def test_ckd_epi_2021_decreasing_in_creatinine_and_age(
    age: float, scr: float, factor: float
) -> None:
    for sex in ("male", "female"):
        base = egfr_ckd_epi_2021(age_years=age, creatinine_mg_dl=scr, sex=sex)  # type: ignore[arg-type]
        assert egfr_ckd_epi_2021(age_years=age, creatinine_mg_dl=scr * factor, sex=sex) < base  # type: ignore[arg-type]
        assert egfr_ckd_epi_2021(age_years=age + 1, creatinine_mg_dl=scr, sex=sex) < base  # type: ignore[arg-type]


# -- body size -------------------------------------------------------------------------------
def test_bmi() -> None:
    assert bmi_kg_m2(weight_kg=70, height_cm=175) == pytest.approx(22.857, abs=1e-3)
    assert bmi_kg_m2(weight_kg=100, height_cm=200) == pytest.approx(25.0)


@pytest.mark.parametrize(
    ("weight_kg", "height_cm", "mosteller", "dubois"),
    [
        (70, 170, 1.818, 1.810),  # Mosteller worked example: 170 cm, 70 kg -> about 1.818 m2
        (80, 180, 2.000, 1.996),  # sqrt(180 x 80 / 3600) = 2 exactly
        (70, 175, 1.845, 1.848),
        (50, 150, 1.443, 1.4325),
    ],
)
def test_bsa_mosteller_and_du_bois(
    weight_kg: float, height_cm: float, mosteller: float, dubois: float
) -> None:
    # Mosteller (1987) N Engl J Med 317:1098; Du Bois & Du Bois (1916) Arch Intern Med 17:863
    assert bsa_m2(weight_kg=weight_kg, height_cm=height_cm) == pytest.approx(mosteller, abs=5e-4)
    got = bsa_m2(weight_kg=weight_kg, height_cm=height_cm, method="dubois")
    assert got == pytest.approx(dubois, abs=5e-4)
    # the metre form of Du Bois, 0.20247 x H(m)^0.725 x W^0.425, agrees to 0.01 %
    metre_form = 0.20247 * (height_cm / 100) ** 0.725 * weight_kg**0.425
    assert got == pytest.approx(metre_form, rel=1e-4)


@given(weight=st.floats(20, 250), height=st.floats(120, 220), factor=st.floats(1.01, 2.0))
def test_bsa_increases_with_size(weight: float, height: float, factor: float) -> None:
    for method in ("mosteller", "dubois"):
        base = bsa_m2(weight_kg=weight, height_cm=height, method=method)  # type: ignore[arg-type]
        assert bsa_m2(weight_kg=weight * factor, height_cm=height, method=method) > base  # type: ignore[arg-type]
        assert bsa_m2(weight_kg=weight, height_cm=height * factor, method=method) > base  # type: ignore[arg-type]


@pytest.mark.parametrize(("weight", "height"), [(0, 170), (70, 0), (-5, 170)])
def test_body_size_rejects_non_positive_inputs(weight: float, height: float) -> None:
    with pytest.raises(ParameterError):
        bsa_m2(weight_kg=weight, height_cm=height)
    with pytest.raises(ParameterError):
        bmi_kg_m2(weight_kg=weight, height_cm=height)


# -- age and ULN multiples ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(1960, 3, 15), date(2026, 3, 14), 65),  # the day before the birthday
        (date(1960, 3, 15), date(2026, 3, 15), 66),  # on the birthday
        (date(1960, 3, 15), date(2026, 3, 16), 66),
        (date(2000, 2, 29), date(2026, 2, 28), 25),  # leap-day birthday, common year
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2000, 2, 29), date(2028, 2, 29), 28),
        (date(2008, 1, 1), date(2025, 12, 31), 17),
        (date(2008, 1, 1), date(2026, 1, 1), 18),
        (date(2026, 3, 2), date(2026, 3, 2), 0),
    ],
)
def test_age_in_completed_years(born: date, on: date, expected: int) -> None:
    assert age_years(born, on=on) == expected


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ParameterError) as err:
        age_years(date(2000, 1, 2), on=date(2000, 1, 1))
    assert err.value.field == "birth_date"


@given(born=st.dates(date(1900, 1, 1), date(2020, 1, 1)), days=st.integers(0, 40000))
def test_age_never_decreases(born: date, days: int) -> None:
    on = born + timedelta(days=days)
    assert age_years(born, on=on + timedelta(days=1)) >= age_years(born, on=on)
    assert 0 <= age_years(born, on=on) <= days / 365 + 1


def test_uln_multiple() -> None:
    assert uln_multiple(60.0, upper_limit=40.0) == pytest.approx(1.5)
    assert uln_multiple(100.0, upper_limit=40.0) == pytest.approx(2.5)
    with pytest.raises(ParameterError):
        uln_multiple(60.0, upper_limit=0.0)
