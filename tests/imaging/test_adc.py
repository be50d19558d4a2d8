"""ADC: exact mono-exponential fits, failed voxels, VOI statistics and units."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.errors import MaskError, ParameterError
from theratrial.imaging import DwiSeries, Grid, Mask, Volume, adc_statistics, fit_adc

GRID = Grid((2, 3, 4), (0.0, 0.0, 0.0), (2.0, 2.0, 2.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))


@given(
    adc=st.floats(1e-4, 3e-3),
    s0=st.floats(10.0, 5000.0),
    b=st.lists(st.sampled_from([0.0, 50.0, 400.0, 800.0, 1000.0, 1500.0]), min_size=2,
               max_size=4, unique=True),
)  # fmt: skip
def test_noise_free_signal_is_fitted_exactly(adc: float, s0: float, b: list[float]) -> None:
    volumes = tuple(Volume(np.full(GRID.shape, s0 * np.exp(-x * adc)), GRID, "MR") for x in b)
    fit = fit_adc(DwiSeries(tuple(b), volumes))
    assert np.allclose(fit.volume.array, adc, rtol=1e-6)
    assert np.allclose(fit.s0.array, s0, rtol=1e-6)
    assert fit.n_failed == 0
    assert fit.volume.units == "mm2/s"


def test_non_positive_signal_is_a_failed_voxel_not_an_error() -> None:
    low = np.full(GRID.shape, 100.0)
    low[0, 0, 0] = 0.0
    dwi = DwiSeries((0.0, 800.0), (Volume(np.full(GRID.shape, 1000.0), GRID), Volume(low, GRID)))
    fit = fit_adc(dwi)
    assert fit.n_failed == 1
    assert np.isnan(fit.volume.array[0, 0, 0])
    assert any("no fit" in n for n in fit.notes)
    with pytest.raises(ParameterError):
        fit_adc(DwiSeries((800.0, 800.0), dwi.volumes))


def test_statistics_and_units() -> None:
    values = np.arange(24, dtype=float).reshape(GRID.shape) * 100.0  # 1e-6 mm2/s scale
    mask = Mask(np.ones(GRID.shape, bool), GRID, "lesion")
    stats = adc_statistics(Volume(values, GRID, "MR"), mask, percentiles=(10, 50))
    assert stats.units == "1e-6 mm2/s"
    assert stats.notes
    assert (stats.min, stats.max, stats.median) == (0.0, 2300.0, 1150.0)
    assert dict(stats.percentiles)[50.0] == pytest.approx(1150.0)
    fitted = adc_statistics(Volume(values * 1e-6, GRID, "MR", "mm2/s"), mask)
    assert fitted.units == "mm2/s"
    assert fitted.mean == pytest.approx(1.15e-3)
    with pytest.raises(MaskError):
        adc_statistics(Volume(np.full(GRID.shape, np.nan), GRID), mask)
