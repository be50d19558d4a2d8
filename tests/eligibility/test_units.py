"""Clinical unit conversion: spellings, mass <-> molar conversion, and clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.eligibility.units import (
    MOLAR_MASS_G_PER_MOL,
    convert,
    parse_unit,
    same_dimension,
)
from theratrial.errors import UnitError


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        # creatinine: 1 mg/dL = 88.42 umol/L (reference sheet section 6)
        (1.0, "mg/dL", "umol/L", 88.42),
        (88.42, "umol/L", "mg/dL", 1.0),
        (88.42, "µmol/l", "mg/dl", 1.0),
        (88.42, "μmol/L", "mg/dL", 1.0),
        (0.1, "mmol/L", "mg/dL", 100 / 88.42),
    ],
)
def test_creatinine(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    got = convert(value, from_unit, to_unit, analyte="creatinine")
    assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (9.0, "g/dL", "g/L", 90.0),
        (90.0, "g/L", "g/dL", 9.0),
        (12.5, "g/dl", "g/l", 125.0),
        (125.0, "g/L", "mg/dL", 12500.0),
    ],
)
def test_haemoglobin(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    assert convert(value, from_unit, to_unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [
        ("10^3/uL", "10^9/L"), ("10^9/L", "10^3/µL"), ("G/L", "10^9/L"), ("x10^9/L", "G/L"),
        ("×10^9/L", "10^9/L"), ("10*9/L", "10^9/L"), ("10E9/L", "10^9/L"), ("10e9/l", "G/L"),
        ("10^3/µl", "x 10^9/L"), ("10^12/L", "T/L"), ("10E3/uL", "10^9/L"),
    ],
)  # fmt: skip
def test_cell_counts_are_the_same_number(from_unit: str, to_unit: str) -> None:
    # 1 x 10^3 per microlitre = 1 x 10^9 per litre = 1 G/L; 10E9/L is the LIS spelling
    assert convert(150.0, from_unit, to_unit) == pytest.approx(150.0, rel=1e-12)


def test_cell_count_scales() -> None:
    assert convert(1500.0, "10^6/L", "10^9/L") == pytest.approx(1.5)
    assert convert(4.5, "10^12/L", "10^9/L") == pytest.approx(4500.0)


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "analyte", "expected"),
    [
        # bilirubin 584.66 g/mol: 1 mg/dL = 17.1 umol/L
        (1.0, "mg/dL", "umol/L", "bilirubin_total", 10_000 / 584.66),
        (17.1, "umol/L", "mg/dL", "bilirubin_total", 17.1 * 584.66 / 10_000),
        (1.0, "mg/dL", "umol/L", "bilirubin_direct", 10_000 / 584.66),
        # glucose 180.156 g/mol: 100 mg/dL = 5.55 mmol/L
        (100.0, "mg/dL", "mmol/L", "glucose_fasting", 1000 / 180.156),
        (5.55, "mmol/L", "mg/dL", "glucose", 5.55 * 18.0156),
        (7.0, "mmol/L", "g/L", "glucose_fasting", 7.0 * 0.180156),
    ],
)
def test_molar_conversions(
    value: float, from_unit: str, to_unit: str, analyte: str, expected: float
) -> None:
    assert convert(value, from_unit, to_unit, analyte=analyte) == pytest.approx(expected, rel=1e-9)
    assert analyte in MOLAR_MASS_G_PER_MOL


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (150.0, "G/l", "10^9/L", 150.0), (150.0, "Gpt/l", "10^9/L", 150.0),
        (4.5, "T/l", "10^12/L", 4.5), (13.0, "g/100 mL", "g/L", 130.0),
        (1.2, "mg/100mL", "mg/dL", 1.2),
    ],
)  # fmt: skip
def test_more_spellings(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    assert convert(value, from_unit, to_unit) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        # g/24 h is grams per day, not grams x 24 hours
        (0.5, "g/24h", "mg/day", 500.0), (300.0, "mg/24 hours", "g/day", 0.3),
        (2.5, "mIU/mL", "IU/L", 2.5), (2.5, "µIU/mL", "mIU/L", 2.5), (40.0, "u/L", "U/L", 40.0),
        (40.0, "U/L (37 °C)", "U/L", 40.0), (1.1, "INR", "1", 1.1), (1.1, "ratio", "1", 1.1),
        (75.0, "mL/min/(1.73 m2)", "mL/min/1.73m2", 75.0), (24.0, "kg/m2", "kg/m^2", 24.0),
    ],
)  # fmt: skip
def test_units_of_other_labs(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    assert convert(value, from_unit, to_unit) == pytest.approx(expected, rel=1e-12)


def test_haemoglobin_in_mmol_per_litre() -> None:
    # 1 g/dL = 0.6206 mmol/L (Hb per haem, 16 114.5 g/mol); Dutch labs report mmol/L
    assert convert(1.0, "g/dL", "mmol/L", analyte="haemoglobin") == pytest.approx(0.6206, 1e-4)
    assert convert(5.6, "mmol/L", "g/L", analyte="haemoglobin") == pytest.approx(90.24, 1e-3)


def test_familiar_round_numbers() -> None:
    assert convert(1.0, "mg/dL", "umol/L", analyte="bilirubin_total") == pytest.approx(17.1, 1e-3)
    assert convert(100.0, "mg/dL", "mmol/L", analyte="glucose") == pytest.approx(5.55, 1e-3)


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (40.0, "U/L", "IU/L", 40.0), (40.0, "IU/l", "U/L", 40.0), (60.0, "U/L", "ukat/L", 1.0),
        (30.0, "sec", "s", 30.0), (0.5, "min", "s", 30.0), (80.0, "%", "percent", 80.0),
        (75.0, "mL/min/1.73m2", "mL/min/1.73 m²", 75.0), (75.0, "ml/min/1.73m^2", "mL/min", 75.0),
        (1.0, "L/h", "mL/min", 1000 / 60),
    ],
)  # fmt: skip
def test_other_clinical_units(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    assert convert(value, from_unit, to_unit) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("unit", ["mg/dl/x", "umol/Lx", "banana", "10^9/"])
def test_unknown_unit_names_the_field(unit: str) -> None:
    with pytest.raises(UnitError) as err:
        convert(1.0, unit, "mg/dL", field="labs[3].unit")
    assert err.value.field == "labs[3].unit"
    assert repr(unit) in err.value.message
    assert err.value.hint


def test_parse_unit_unknown_and_known() -> None:
    assert str(parse_unit("umol/L").units) == "micromole / liter"
    with pytest.raises(UnitError) as err:
        parse_unit("mg/dl/x", field="labs[0].unit")
    assert "labs[0].unit" in str(err.value)


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "analyte"),
    [
        ("mg/dL", "U/L", None),
        ("mg/dL", "umol/L", None),  # molar needs an analyte
        ("mg/dL", "umol/L", "albumin"),  # no molar mass for albumin
        ("g/L", "10^9/L", None),
        ("mL/min", "mg/dL", "creatinine"),
        ("s", "percent", None),
    ],
)
def test_incompatible_units(from_unit: str, to_unit: str, analyte: str | None) -> None:
    with pytest.raises(UnitError) as err:
        convert(1.0, from_unit, to_unit, analyte=analyte, field="labs[1].unit")
    assert err.value.field == "labs[1].unit"
    assert "cannot convert" in err.value.message


def test_same_dimension() -> None:
    assert same_dimension("g/dL", "g/L")
    assert same_dimension("10^3/uL", "G/L")
    assert not same_dimension("mg/dL", "umol/L")


@given(
    value=st.floats(1e-3, 1e4),
    pair=st.sampled_from(
        [("mg/dL", "umol/L", "creatinine"), ("g/dL", "g/L", None), ("10^3/uL", "10^9/L", None),
         ("mg/dL", "umol/L", "bilirubin_total"), ("mmol/L", "mg/dL", "glucose_fasting")]
    ),
)  # fmt: skip
def test_conversion_round_trip_and_linearity(
    value: float, pair: tuple[str, str, str | None]
) -> None:
    a, b, analyte = pair
    there = convert(value, a, b, analyte=analyte)
    assert convert(there, b, a, analyte=analyte) == pytest.approx(value, rel=1e-9)
    assert convert(2 * value, a, b, analyte=analyte) == pytest.approx(2 * there, rel=1e-9)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (150.0, "K/uL", 150.0),
        (1500.0, "cells/uL", 1.5),
        (1500.0, "/mm3", 1.5),
        (1500.0, "cells/mm³", 1.5),
    ],
)
def test_count_spellings_of_lab_systems(value: float, unit: str, expected: float) -> None:
    assert convert(value, unit, "10^9/L") == pytest.approx(expected)


def test_empty_unit_is_rejected() -> None:
    with pytest.raises(UnitError, match="empty unit"):
        convert(1.0, "", "mg/dL")
