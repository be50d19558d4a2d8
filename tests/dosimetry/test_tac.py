"""Validation of time-activity curves."""

from __future__ import annotations

import pytest

from theratrial.dosimetry.tac import time_activity_curve
from theratrial.errors import NuclideError, ParameterError


def test_valid_curve_properties() -> None:
    tac = time_activity_curve([1.0, 24.0, 96.0], [5.0, 9.0, 4.0], region="lesion", nuclide="177Lu")
    assert tac.nuclide == "Lu-177"
    assert tac.peak_index == 1
    assert tac.is_decaying()
    assert not time_activity_curve([1.0, 24.0], [5.0, 5.0]).is_decaying()


@pytest.mark.parametrize(
    ("times", "activities", "fragment"),
    [
        ([-1.0, 24.0], [1.0, 1.0], "negative time"),
        ([24.0, 4.0], [1.0, 1.0], "unsorted time"),
        ([4.0, 4.0], [1.0, 1.0], "repeated time"),
        ([4.0, 24.0], [1.0, -1.0], "negative activity"),
        ([4.0, 24.0], [1.0], "2 times but 1 activities"),
        ([], [], "no time points"),
        ([4.0, float("nan")], [1.0, 1.0], "finite"),
    ],
)
def test_bad_curves_are_refused_with_a_clear_message(
    times: list[float], activities: list[float], fragment: str
) -> None:
    with pytest.raises(ParameterError, match=fragment) as info:
        time_activity_curve(times, activities, region="kidney_left")
    assert "kidney_left" in str(info.value)


def test_unknown_nuclide() -> None:
    with pytest.raises(NuclideError):
        time_activity_curve([1.0], [1.0], nuclide="Xx-999")


@pytest.mark.parametrize(
    ("times", "activities", "field", "phrase"),
    [
        ([4.0, 24.0, 96.0], [1e300, 80.0, 40.0], "activity_mbq", "100 GBq"),
        ([4.0, 24.0, 96.0], [100.0, 2e5, 40.0], "activity_mbq", "100 GBq"),
        ([4.0, 24.0, 1e300], [100.0, 80.0, 40.0], "times_h", "half-lives"),
    ],
)
def test_implausible_magnitudes_are_refused(
    times: list[float], activities: list[float], field: str, phrase: str
) -> None:
    """1e300 MBq used to end in an OverflowError traceback inside the fit."""
    with pytest.raises(ParameterError, match=phrase) as err:
        time_activity_curve(times, activities, region="kidney")
    assert err.value.field == field
    assert "kidney" in err.value.message
