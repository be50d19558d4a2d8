"""Diffusion series split by b-value (standard and private tags, several directions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from theratrial.errors import DicomError
from theratrial.imaging import load_dwi


def _write_dwi(tmp_path: Path, series_writer, b_values, adc=1.0e-3, private=False, directions=1):
    base = np.full((3, 4, 4), 1000.0)
    files = []
    for b in b_values:
        for direction in range(directions):

            def tag(_: int, ds, b=b, direction=direction) -> None:
                if private:
                    ds.add_new((0x0019, 0x0010), "LO", "SIEMENS MR HEADER")
                    ds.add_new((0x0019, 0x100C), "IS", str(int(b)))
                else:
                    ds.DiffusionBValue = float(b)
                    ds.DiffusionGradientOrientation = [
                        float(direction == 0),
                        float(direction == 1),
                        0.0,
                    ]

            signal = base * np.exp(-b * adc * (1.0 + 0.1 * direction))
            files += series_writer(tmp_path / f"b{b}_{direction}", signal, modality="MR",
                                   slopes=None, per_slice=tag)  # fmt: skip
    return files


def test_one_volume_per_b_value(tmp_path: Path, series_writer) -> None:
    files = _write_dwi(tmp_path, series_writer, [0, 500, 1000])
    dwi = load_dwi(files)
    assert dwi.b_values_s_per_mm2 == (0.0, 500.0, 1000.0)
    assert [float(v.array.mean()) for v in dwi.volumes] == pytest.approx(
        [1000.0, 1000.0 * np.exp(-0.5), 1000.0 * np.exp(-1.0)], abs=0.6
    )


def test_siemens_private_b_values(tmp_path: Path, series_writer) -> None:
    dwi = load_dwi(_write_dwi(tmp_path, series_writer, [50, 800], private=True))
    assert dwi.b_values_s_per_mm2 == (50.0, 800.0)


def test_directions_are_combined_by_geometric_mean(tmp_path: Path, series_writer) -> None:
    dwi = load_dwi(_write_dwi(tmp_path, series_writer, [0, 1000], directions=2))
    expected = 1000.0 * np.exp(-1000 * 1.0e-3 * 1.05)
    assert float(dwi.volumes[1].array.mean()) == pytest.approx(expected, rel=2e-3)
    assert any("geometric mean" in n for n in dwi.notes)


def test_b_value_is_required(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path / "t1", np.ones((2, 2, 2)), modality="MR")
    with pytest.raises(DicomError, match="no diffusion b-value"):
        load_dwi(files)
    with pytest.raises(DicomError, match="at least two"):
        load_dwi(_write_dwi(tmp_path / "one", series_writer, [800]))


def test_folder_with_one_series_per_b_value(tmp_path: Path, series_writer) -> None:
    _write_dwi(tmp_path, series_writer, [0, 800])
    assert load_dwi(tmp_path).b_values_s_per_mm2 == (0.0, 800.0)
