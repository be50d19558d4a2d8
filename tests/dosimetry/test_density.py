"""CT number to density calibration."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.dosimetry.density import DEFAULT_HU_DENSITY, HuDensityCalibration
from theratrial.errors import ParameterError


@pytest.mark.parametrize(
    ("hu", "density"),
    [(-1000.0, 0.0012), (-500.0, 0.5006), (0.0, 1.0), (40.0, 1.04), (1600.0, 1.92), (3000.0, 1.92)],
)
def test_default_calibration_points(hu: float, density: float) -> None:
    assert float(DEFAULT_HU_DENSITY(hu)) == pytest.approx(density, abs=1e-3)


def test_soft_tissues_get_icrp_densities() -> None:
    liver, kidney, muscle = DEFAULT_HU_DENSITY(np.array([60.0, 35.0, 45.0]))
    assert 1.03 < kidney < liver < 1.07
    assert 1.03 < muscle < 1.06


def test_monotone_and_validated() -> None:
    values = DEFAULT_HU_DENSITY(np.linspace(-1200.0, 2000.0, 200))
    assert np.all(np.diff(values) >= 0)
    with pytest.raises(ParameterError):
        HuDensityCalibration((0.0, -1.0), (1.0, 0.5), "bad")
    with pytest.raises(ParameterError):
        HuDensityCalibration((0.0,), (1.0,), "bad")
    with pytest.raises(ParameterError):
        HuDensityCalibration((0.0, 1.0), (1.0, 0.0), "bad")
