"""Ellipsoids and the body outline."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.phantoms.anatomy import (
    BodyOutline,
    Ellipsoid,
    ellipsoid_overlaps,
    ellipsoid_within,
)

axes = st.tuples(st.floats(2.0, 60.0), st.floats(2.0, 60.0), st.floats(2.0, 60.0))


@given(semi=axes, angle=st.floats(0.0, 180.0))
def test_surface_points_lie_on_the_surface(semi: tuple[float, float, float], angle: float) -> None:
    e = Ellipsoid((5.0, -3.0, 100.0), semi, angle)
    pts = e.surface_points(200)
    q = e.quadratic(pts[:, 0], pts[:, 1], pts[:, 2])
    assert np.allclose(q, 1.0, atol=1e-9)
    (lx, ly, lz), (hx, hy, hz) = e.bounding_box_mm()
    assert np.all(pts[:, 0] >= lx - 1e-9)
    assert np.all(pts[:, 0] <= hx + 1e-9)
    assert np.all(pts[:, 1] >= ly - 1e-9)
    assert np.all(pts[:, 1] <= hy + 1e-9)
    assert np.all(pts[:, 2] >= lz - 1e-9)
    assert np.all(pts[:, 2] <= hz + 1e-9)


def test_volume_and_diameters() -> None:
    e = Ellipsoid((0.0, 0.0, 0.0), (15.0, 10.0, 30.0), 40.0)
    assert e.volume_ml == pytest.approx(4.0 / 3.0 * math.pi * 15 * 10 * 30 / 1000)
    assert e.longest_axial_diameter_mm == 30.0
    assert e.short_axial_diameter_mm == 20.0
    assert e.scaled(0.5).volume_ml == pytest.approx(e.volume_ml / 8)


def test_rotation_about_z_keeps_the_shape() -> None:
    e = Ellipsoid((0.0, 0.0, 0.0), (20.0, 5.0, 5.0), 90.0)
    assert e.contains(0.0, 19.0, 0.0)
    assert not e.contains(19.0, 0.0, 0.0)


def test_containment_and_overlap() -> None:
    host = Ellipsoid((0.0, 0.0, 0.0), (80.0, 60.0, 50.0))
    assert ellipsoid_within(Ellipsoid((20.0, 10.0, 0.0), (10.0, 10.0, 10.0)), host)
    assert not ellipsoid_within(Ellipsoid((75.0, 0.0, 0.0), (10.0, 10.0, 10.0)), host)
    a = Ellipsoid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0))
    assert ellipsoid_overlaps(a, a.moved(19.0, 0.0, 0.0))
    assert not ellipsoid_overlaps(a, a.moved(21.0, 0.0, 0.0))
    assert ellipsoid_overlaps(a, a.moved(21.0, 0.0, 0.0), gap_mm=3.0)


def test_body_outline_volume_of_a_cylinder_and_head() -> None:
    body = BodyOutline(
        vertex_z_mm=1000.0,
        head_semi_mm=(70.0, 90.0, 100.0),
        neck_semi_mm=(10.0, 10.0),
        neck_z_mm=(800.0, 801.0),
        trunk_semi_mm=(150.0, 100.0),
        trunk_z_mm=(0.0, 700.0),
    )
    expected = (
        math.pi * 150 * 100 * 700 + 4 / 3 * math.pi * 70 * 90 * 100 + math.pi * 10 * 10 * 1
    ) / 1000
    assert body.volume_ml == pytest.approx(expected, rel=1e-5)
    assert body.z_range_mm == (0.0, 1000.0)
