"""MIP rendering: head-up orientation, aspect from spacing, VOI outlines, grid checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.imaging import Grid, Mask, Volume
from theratrial.report.mip import mip_projection, write_mip_png

IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def _volume(direction=IDENTITY) -> Volume:
    grid = Grid((10, 6, 8), (0.0, 0.0, 0.0), (2.0, 3.0, 5.0), direction, "1.2")
    values = np.zeros(grid.shape)
    values[9, 2, 1] = 7.0  # the most superior slice (z grows towards the head in LPS)
    return Volume(values, grid, "PT", "g/mL")


def test_coronal_mip_is_head_up_with_mm_pixels() -> None:
    image, axis, pixel = mip_projection(_volume())
    assert axis == 1
    assert image.shape == (10, 8)
    assert pixel == (5.0, 2.0)
    assert image[0, 1] == 7.0
    assert image.max() == 7.0


def test_feet_first_direction_is_flipped_head_up() -> None:
    flipped = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
    image, _, _ = mip_projection(_volume(flipped))
    assert image[-1, 1] == 7.0


def test_sagittal_projection_and_bad_view() -> None:
    image, axis, _ = mip_projection(_volume(), view="sagittal")
    assert axis == 2
    assert image.shape == (10, 6)
    with pytest.raises(ParameterError):
        mip_projection(_volume(), view="axial")


def test_png_with_outlines(tmp_path: Path) -> None:
    volume = _volume()
    voi = np.zeros(volume.shape, bool)
    voi[7:10, 1:4, 0:3] = True
    out = write_mip_png(volume, [Mask(voi, volume.grid, "lesion_1")], tmp_path / "m.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
    other = Grid((2, 2, 2), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), IDENTITY)
    with pytest.raises(ParameterError, match="not on the image grid"):
        write_mip_png(volume, [Mask(np.ones((2, 2, 2), bool), other, "x")], tmp_path / "b.png")


def test_a_missing_folder_is_an_error_never_created(tmp_path: Path) -> None:
    volume = _volume()
    target = tmp_path / "a" / "m.png"
    with pytest.raises(ParameterError, match="does not exist") as info:
        write_mip_png(volume, [], target)
    assert info.value.file == str(target)
    assert not target.parent.exists()
    with pytest.raises(ParameterError, match="a file name was expected"):
        write_mip_png(volume, [], tmp_path)
