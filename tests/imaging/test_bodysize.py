"""Body-size formulas against their published forms and the IBSI-SUV DRO values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.errors import ParameterError
from theratrial.imaging import (
    body_surface_area_m2,
    ideal_body_weight_kg,
    lean_body_mass_james_kg,
    lean_body_mass_janmahasatian_kg,
)
from theratrial.imaging.bodysize import sex_is_known


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        # James 128 (PERCIST): 1.10 x 70 - 128 x (70/175)^2 = 56.52 kg (DRO_2_1 factor 0.8074)
        (lean_body_mass_james_kg, (70.0, 1.75, "M"), 56.52),
        (lean_body_mass_james_kg, (70.0, 1.75, "F"), 1.07 * 70 - 148 * 0.16),
        # Janmahasatian: 9270 W / (6680 + 216 BMI), BMI 22.857
        (
            lean_body_mass_janmahasatian_kg,
            (70.0, 1.75, "M"),
            9270 * 70 / (6680 + 216 * 70 / 1.75**2),
        ),
        (
            lean_body_mass_janmahasatian_kg,
            (70.0, 1.75, "F"),
            9270 * 70 / (8780 + 244 * 70 / 1.75**2),
        ),
        # Sugawara IBW: 48 + 1.06 x 23 = 72.38; 45.5 + 0.91 x 23 = 66.43; mean for sex O
        (ideal_body_weight_kg, (1.75, "M"), 72.38),
        (ideal_body_weight_kg, (1.75, "F"), 66.43),
        (ideal_body_weight_kg, (1.75, "O"), 69.405),
        (ideal_body_weight_kg, (1.75, None), 69.405),
    ],
)
def test_reference_values(function, args, expected: float) -> None:
    assert function(*args) == pytest.approx(expected, rel=1e-9)


def test_du_bois_gives_the_dro_suvbsa_ratio() -> None:
    # DRO_2_3: the cold region's true SUVbsa is 0.0528 for SUVbw 0.20 (70 kg, 175 cm)
    ratio = body_surface_area_m2(70.0, 1.75) * 1e4 / 70_000.0
    assert 0.2 * ratio == pytest.approx(0.0528, abs=5e-5)


@pytest.mark.parametrize(("sex", "known"), [("M", True), ("f", True), ("O", False), (None, False)])
def test_sex_is_known(sex, known: bool) -> None:
    assert sex_is_known(sex) is known


def test_non_positive_inputs_are_refused() -> None:
    with pytest.raises(ParameterError):
        body_surface_area_m2(0.0, 1.7)
    with pytest.raises(ParameterError):
        ideal_body_weight_kg(-1.0, "M")


@given(st.floats(30, 200), st.floats(30, 200), st.floats(1.4, 2.1))
def test_bsa_grows_with_weight(w1: float, w2: float, height: float) -> None:
    low, high = sorted((w1, w2))
    assert body_surface_area_m2(low, height) <= body_surface_area_m2(high, height)
