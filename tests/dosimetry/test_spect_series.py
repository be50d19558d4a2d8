"""SPECT time points, activity VOIs, masses and voxel Ã maps on small synthetic volumes."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from theratrial.dosimetry.spect_series import (
    SpectTimePoint,
    activity_regions,
    ct_density_map,
    region_activity_mbq,
    region_masses,
    tia_map_mbq_h,
)
from theratrial.errors import ParameterError
from theratrial.imaging import Grid, Mask, Volume

GRID = Grid((6, 6, 6), (0.0, 0.0, 0.0), (4.0, 4.0, 4.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
LAM_P = math.log(2) / (6.647 * 24)


def _mask(name: str, cells: list[tuple[int, int, int]]) -> Mask:
    array = np.zeros(GRID.shape, dtype=bool)
    for cell in cells:
        array[cell] = True
    return Mask(array, GRID, name)


def _point(hours: float, values: np.ndarray) -> SpectTimePoint:
    injection = datetime(2026, 1, 5, 10, 0)
    volume = Volume(values, GRID, "NM", "BQML")
    return SpectTimePoint(
        1, hours, injection, injection + timedelta(hours=hours), 7400.0, volume, ()
    )


def test_region_activity_is_concentration_times_volume() -> None:
    values = np.full(GRID.shape, 1.0e6)  # 1 MBq/mL
    mask = _mask("liver", [(1, 1, 1), (1, 1, 2)])
    point = _point(4.0, values)
    assert region_activity_mbq(point.volume, mask) == pytest.approx(2 * 0.064)
    with pytest.raises(ParameterError):
        region_activity_mbq(point.volume, np.zeros((2, 2, 2), dtype=bool))


def test_activity_regions_grow_into_free_voxels_only() -> None:
    a = _mask("a", [(2, 2, 1)])
    b = _mask("b", [(2, 2, 3)])
    plain = activity_regions([a, b], margin_mm=0.0)
    assert plain["a"].sum() == 1
    grown = activity_regions([a, b], margin_mm=4.0)
    assert not np.any(grown["a"] & grown["b"])
    assert grown["a"][2, 2, 0]  # neighbour of a only
    # 1 + 6 face neighbours each; (2, 2, 2) lies between them and goes to one only
    assert grown["a"].sum() + grown["b"].sum() == 13
    with pytest.raises(ParameterError):
        activity_regions([a], margin_mm=-1.0)


def test_region_masses_from_density_map() -> None:
    mask = _mask("kidney", [(1, 1, 1), (1, 1, 2)])
    density = np.full(GRID.shape, 1.05)
    masses = region_masses([mask], density_map=density)
    assert masses["kidney"].mass_g == pytest.approx(2 * 0.064 * 1.05)
    fixed = region_masses([mask])
    assert fixed["kidney"].density_g_per_ml == 1.04
    with pytest.raises(ParameterError):
        region_masses([_mask("empty", [])])


def test_tia_map_is_trapezoid_plus_voxel_tail() -> None:
    times = [4.0, 24.0, 96.0, 168.0]
    lam = LAM_P + 0.01
    points = [_point(t, np.full(GRID.shape, 1.0e6 * math.exp(-lam * t))) for t in times]
    tia, rate = tia_map_mbq_h(points, nuclide="Lu-177")
    assert np.allclose(rate, lam)
    a = [0.064 * math.exp(-lam * t) for t in times]
    expected = (
        0.5 * 4.0 * a[0]
        + sum(0.5 * (times[i] - times[i - 1]) * (a[i] + a[i - 1]) for i in range(1, 4))
        + a[-1] / lam
    )
    assert float(tia[0, 0, 0]) == pytest.approx(expected)
    flat = [_point(t, np.full(GRID.shape, 1.0e6)) for t in times]
    _, physical = tia_map_mbq_h(flat, nuclide="Lu-177")
    assert np.allclose(physical, LAM_P)  # no washout seen: physical decay tail


def test_ct_density_map_resamples_to_the_spect_grid() -> None:
    fine = Grid((12, 12, 12), (-1.0, -1.0, -1.0), (2.0, 2.0, 2.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
    ct = Volume(np.full(fine.shape, 40.0), fine, "CT", "HU")
    reference = Volume(np.zeros(GRID.shape), GRID, "NM", "BQML")
    density = ct_density_map(ct, reference)
    assert density.shape == GRID.shape
    assert float(density[2, 2, 2]) == pytest.approx(1.04, abs=1e-6)


def test_spect_time_points_of_a_patient_folder_by_cycle_and_time(
    close_cycles_patient: Path,
) -> None:
    from theratrial.dosimetry.spect_series import spect_time_points

    seen: list[tuple[int, int]] = []
    points = spect_time_points(close_cycles_patient, progress=lambda d, t: seen.append((d, t)))
    assert [p.cycle for p in points] == sorted(p.cycle for p in points)
    assert {p.cycle for p in points} == {1, 2}
    for cycle in (1, 2):
        hours = [p.hours_post_injection for p in points if p.cycle == cycle]
        assert hours == sorted(hours)
        assert hours[0] > 0
    assert seen[-1] == (len(points), len(points))
    assert all(p.volume.grid.matches(points[0].volume.grid) for p in points)
