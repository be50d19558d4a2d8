"""SPECT activity concentration from counts (calibration x duration) or as stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from theratrial.errors import DicomHeaderError, ParameterError
from theratrial.imaging import Grid, Volume, load_volume, spect_activity_concentration

GRID = Grid((2, 2, 2), (0.0, 0.0, 0.0), (4.8, 4.8, 4.8), (1, 0, 0, 0, 1, 0, 0, 0, 1))


def test_counts_become_bq_per_ml(tmp_path: Path, nm_writer) -> None:
    counts = np.full((4, 3, 3), 1200.0)
    volume = load_volume(nm_writer(tmp_path / "spect.dcm", counts))
    result = spect_activity_concentration(volume, calibration_cps_per_mbq=10.0)
    # 1200 counts / (1200 s x 10 cps/MBq) = 0.1 MBq per 0.110592 mL voxel
    assert result.duration_s == pytest.approx(1200.0)
    assert np.allclose(result.volume.array, 0.1e6 / (4.8**3 / 1000.0))
    assert result.volume.units == "BQML"
    assert any("rotation" in a for a in result.assumptions)
    total_mbq = result.volume.array.sum() * result.volume.voxel_volume_ml / 1e6
    assert total_mbq == pytest.approx(counts.sum() / 1200.0 / 10.0)


def test_explicit_duration_wins() -> None:
    counts = Volume(np.full(GRID.shape, 600.0), GRID, "NM", "CNTS", acquisition_duration_s=1200.0)
    result = spect_activity_concentration(counts, calibration_cps_per_mbq=5.0, duration_s=600.0)
    assert result.duration_s == 600.0
    assert np.allclose(result.volume.array * GRID.voxel_volume_ml / 1e6, 0.2)


def test_quantitative_series_passes_through(tmp_path: Path, nm_writer) -> None:
    volume = load_volume(nm_writer(tmp_path / "q.dcm", np.full((2, 2, 2), 500.0), units="BQML",
                                   slope=0.5))  # fmt: skip
    result = spect_activity_concentration(volume, calibration_cps_per_mbq=9.0)
    assert np.allclose(result.volume.array, 500.0)
    assert result.calibration_cps_per_mbq is None
    assert any("ignored" in a for a in result.assumptions)


def test_counts_need_calibration_and_duration() -> None:
    counts = Volume(np.ones(GRID.shape), GRID, "NM", "CNTS")
    with pytest.raises(ParameterError, match="calibration"):
        spect_activity_concentration(counts)
    with pytest.raises(DicomHeaderError, match="duration"):
        spect_activity_concentration(counts, calibration_cps_per_mbq=10.0)
    with pytest.raises(ParameterError):
        spect_activity_concentration(counts, calibration_cps_per_mbq=10.0, duration_s=0.0)
    with pytest.raises(DicomHeaderError, match="GML"):
        spect_activity_concentration(Volume(np.ones(GRID.shape), GRID, "PT", "GML"))
