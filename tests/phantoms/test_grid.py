"""The voxel grid and its affines."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.phantoms.grid import Grid


def test_affine_maps_indices_to_patient_coordinates() -> None:
    g = Grid((10, 20, 30), (2.0, 3.0, 4.0), (-10.0, -20.0, 5.0))
    lps = g.affine_lps() @ np.array([2, 3, 4, 1.0])
    assert lps[:3].tolist() == [-6.0, -11.0, 21.0]
    ras = g.nifti_affine() @ np.array([2, 3, 4, 1.0])
    assert ras[:3].tolist() == [6.0, 11.0, 21.0]
    assert g.spacing_zyx_mm == (4.0, 3.0, 2.0)
    assert g.axis_mm(0)[-1] == pytest.approx(-10.0 + 29 * 2.0)


def test_index_range_clips_to_the_grid() -> None:
    g = Grid((10, 10, 10), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    assert g.index_range(-5.0, 2.2, 0) == (0, 3)
    assert g.index_range(8.6, 40.0, 2) == (9, 10)


def test_invalid_grids_are_refused() -> None:
    with pytest.raises(ParameterError):
        Grid((0, 1, 1), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    with pytest.raises(ParameterError):
        Grid((1, 1, 1), (1.0, -1.0, 1.0), (0.0, 0.0, 0.0))
