"""Activity prescription from the seed protocols."""

from __future__ import annotations

import pytest

from theratrial.errors import ParameterError
from theratrial.protocol import find_protocol
from theratrial.treatment.prescription import dose_level, prescribe_activity


def test_fixed_activity_bordet() -> None:
    p = prescribe_activity(find_protocol("NCT01842165"))
    assert p.rule == "fixed"
    assert p.activity_mbq == pytest.approx(7400.0)
    assert p.activity_gbq == pytest.approx(7.4)
    assert p.nuclide == "Lu-177"


@pytest.mark.parametrize(("level", "per_kg"), [("DL1", 90.0), ("DL2", 120.0)])
def test_per_weight_ac225(level: str, per_kg: float) -> None:
    p = prescribe_activity(find_protocol("NCT06732505"), level_id=level, weight_kg=80.0)
    assert p.rule == "per_weight"
    assert p.activity_mbq == pytest.approx(per_kg * 80.0 / 1000.0)
    assert p.nuclide == "Ac-225"
    assert p.weight_kg == 80.0


def test_start_level_is_the_default() -> None:
    assert dose_level(find_protocol("NCT06732505")).id == "DL1"


@pytest.mark.parametrize("weight", [None, 0.0, 5.0, 800.0, float("nan")])
def test_per_weight_needs_a_plausible_weight(weight: float | None) -> None:
    with pytest.raises(ParameterError, match="body weight"):
        prescribe_activity(find_protocol("NCT06732505"), weight_kg=weight)


def test_unknown_level() -> None:
    with pytest.raises(ParameterError, match="DL9"):
        prescribe_activity(find_protocol("NCT06732505"), level_id="DL9", weight_kg=70.0)
