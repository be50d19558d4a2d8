"""Grid geometry: index <-> physical mapping, matching, SimpleITK round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.imaging import Grid

ANGLE = math.radians(20.0)
ROTATED = (math.cos(ANGLE), -math.sin(ANGLE), 0.0, math.sin(ANGLE), math.cos(ANGLE), 0.0,
           0.0, 0.0, 1.0)  # fmt: skip


@given(
    st.lists(st.floats(-50, 50), min_size=3, max_size=3),
    st.lists(st.floats(-500, 500), min_size=3, max_size=3),
)
def test_index_and_physical_round_trip(index: list[float], origin: list[float]) -> None:
    grid = Grid((10, 10, 10), tuple(origin), (0.9, 1.7, 3.27), ROTATED)  # type: ignore[arg-type]
    back = grid.physical_to_index(grid.index_to_physical([index]))
    assert np.allclose(back, [index], atol=1e-7)


def test_voxel_size_and_affine() -> None:
    grid = Grid((2, 3, 4), (10.0, 20.0, 30.0), (2.0, 3.0, 4.0), ROTATED)
    assert grid.voxel_volume_ml == pytest.approx(0.024)
    assert np.allclose(grid.index_to_physical([[0, 0, 0]]), [[10.0, 20.0, 30.0]])
    assert np.allclose(grid.index_to_physical([[1, 0, 0]])[0] - [10, 20, 30],
                       [2 * math.cos(ANGLE), 2 * math.sin(ANGLE), 0.0])  # fmt: skip


def test_matches_needs_same_shape_and_centres() -> None:
    grid = Grid((2, 3, 4), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), ROTATED)
    assert grid.matches(Grid((2, 3, 4), (0.0, 0.0, 0.0005), (1.0, 1.0, 1.0), ROTATED))
    assert not grid.matches(Grid((2, 3, 4), (0.0, 0.0, 0.1), (1.0, 1.0, 1.0), ROTATED))
    assert not grid.matches(Grid((2, 3, 5), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), ROTATED))


def test_simpleitk_round_trip() -> None:
    grid = Grid((2, 3, 4), (1.0, 2.0, 3.0), (0.5, 0.6, 0.7), ROTATED, "1.2.3")
    image = grid.to_sitk(np.zeros(grid.shape, np.float32))
    again = Grid.from_sitk(image, frame_of_reference_uid="1.2.3")
    assert again.matches(grid)
    assert again.frame_of_reference_uid == "1.2.3"
    assert grid.with_frame_of_reference("9").frame_of_reference_uid == "9"
