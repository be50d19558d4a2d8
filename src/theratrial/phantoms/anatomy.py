"""Anatomy of a virtual patient: a body outline and ellipsoidal organs and lesions.

Coordinates are DICOM patient coordinates (LPS, mm): +x towards the patient's left,
+y posterior, +z superior (DICOM PS3.3 C.7.6.2.1.1), for a head-first supine patient.
The pelvic floor lies near z = 0 and the vertex near z = 0.53 x height.

Organs sit at fixed anatomical positions scaled by the patient's height and drawn sizes
(organ volumes near ICRP Publication 89 reference values: liver ~1.7 L, kidneys ~150 mL
each, spleen ~180 mL, adrenals ~5 mL, pituitary ~0.5 mL), with the body outline an
elliptic cross-section whose axes follow the body-mass index. Ellipsoids may turn about
the z axis only, so a region's largest axial section is always its central one and its
longest axial diameter (RECIST 1.1) is twice its larger in-plane semi-axis.

Examples
--------
>>> e = Ellipsoid((0.0, 0.0, 0.0), (10.0, 20.0, 30.0))
>>> round(e.volume_ml, 3)
25.133
>>> bool(e.contains(0.0, 19.0, 0.0)), bool(e.contains(11.0, 0.0, 0.0))
(True, False)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BodyOutline",
    "Ellipsoid",
    "Region",
    "ellipsoid_overlaps",
    "ellipsoid_within",
]


@dataclass(frozen=True, slots=True)
class Ellipsoid:
    """An ellipsoid in patient coordinates (mm), optionally turned about the z axis.

    Attributes
    ----------
    centre_mm
        ``(x, y, z)`` centre (LPS, mm).
    semi_axes_mm
        Semi-axes ``(a, b, c)`` along the turned x, y and the z axis (mm).
    angle_deg
        Rotation about the z axis (degrees, counter-clockwise seen from the head).
    """

    centre_mm: tuple[float, float, float]
    semi_axes_mm: tuple[float, float, float]
    angle_deg: float = 0.0

    @property
    def volume_ml(self) -> float:
        """4/3 pi a b c, in mL (1 mL = 1000 mm^3)."""
        a, b, c = self.semi_axes_mm
        return 4.0 / 3.0 * math.pi * a * b * c / 1000.0

    @property
    def longest_axial_diameter_mm(self) -> float:
        """Longest diameter in an axial plane (mm): twice the larger in-plane semi-axis."""
        return 2.0 * max(self.semi_axes_mm[0], self.semi_axes_mm[1])

    @property
    def short_axial_diameter_mm(self) -> float:
        """Short axis in the axial plane of the longest diameter (mm)."""
        return 2.0 * min(self.semi_axes_mm[0], self.semi_axes_mm[1])

    def quadratic(
        self, x: NDArray[np.float64], y: NDArray[np.float64], z: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """The normalised radius squared q (q <= 1 inside), broadcast over x, y, z."""
        cx, cy, cz = self.centre_mm
        a, b, c = self.semi_axes_mm
        th = math.radians(self.angle_deg)
        cos, sin = math.cos(th), math.sin(th)
        dx = x - cx
        dy = y - cy
        u = (cos * dx + sin * dy) / a
        v = (-sin * dx + cos * dy) / b
        w = (z - cz) / c
        result: NDArray[np.float64] = u * u + v * v + w * w
        return result

    def contains(self, x: float, y: float, z: float) -> bool:
        """Whether the point lies inside (or on) the ellipsoid."""
        q = self.quadratic(np.asarray(x), np.asarray(y), np.asarray(z))
        return bool(q <= 1.0)

    def bounding_box_mm(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Axis-aligned bounding box ``(low xyz, high xyz)`` (mm)."""
        a, b, c = self.semi_axes_mm
        th = math.radians(self.angle_deg)
        hx = math.hypot(a * math.cos(th), b * math.sin(th))
        hy = math.hypot(a * math.sin(th), b * math.cos(th))
        cx, cy, cz = self.centre_mm
        return (cx - hx, cy - hy, cz - c), (cx + hx, cy + hy, cz + c)

    def surface_points(self, n: int = 400) -> NDArray[np.float64]:
        """``n`` points spread over the surface (Fibonacci lattice), shape (n, 3), mm."""
        return self._to_world(_unit_sphere(n))

    def interior_points(self, n_per_axis: int = 7) -> NDArray[np.float64]:
        """A lattice of points inside the ellipsoid, shape (m, 3), mm."""
        return self._to_world(_unit_ball(n_per_axis))

    def _to_world(self, unit: NDArray[np.float64]) -> NDArray[np.float64]:
        a, b, c = self.semi_axes_mm
        th = math.radians(self.angle_deg)
        cos, sin = math.cos(th), math.sin(th)
        u, v, w = unit[:, 0] * a, unit[:, 1] * b, unit[:, 2] * c
        x = cos * u - sin * v + self.centre_mm[0]
        y = sin * u + cos * v + self.centre_mm[1]
        z = w + self.centre_mm[2]
        return np.stack([x, y, z], axis=1)

    def scaled(self, factor: float) -> Ellipsoid:
        """The same ellipsoid with every semi-axis times ``factor``."""
        a, b, c = self.semi_axes_mm
        return replace(self, semi_axes_mm=(a * factor, b * factor, c * factor))

    def moved(self, dx: float, dy: float, dz: float) -> Ellipsoid:
        """The same ellipsoid shifted by ``(dx, dy, dz)`` mm."""
        x, y, z = self.centre_mm
        return replace(self, centre_mm=(x + dx, y + dy, z + dz))


@cache
def _unit_sphere(n: int) -> NDArray[np.float64]:
    i = np.arange(n, dtype=np.float64) + 0.5
    polar = np.arccos(1.0 - 2.0 * i / n)
    azimuth = math.pi * (1.0 + math.sqrt(5.0)) * i
    unit = np.stack(
        [np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)],
        axis=1,
    )
    unit.setflags(write=False)
    return unit


@cache
def _gauss_legendre(n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return np.asarray(nodes, dtype=np.float64), np.asarray(weights, dtype=np.float64)


@cache
def _unit_ball(n_per_axis: int) -> NDArray[np.float64]:
    t = np.linspace(-1.0, 1.0, n_per_axis)
    grid = np.stack(np.meshgrid(t, t, t, indexing="ij"), axis=-1).reshape(-1, 3)
    unit: NDArray[np.float64] = grid[np.sum(grid**2, axis=1) <= 1.0]
    unit.setflags(write=False)
    return unit


def ellipsoid_within(inner: Ellipsoid, outer: Ellipsoid, *, margin: float = 0.0) -> bool:
    """Whether ``inner`` lies inside ``outer`` (dense surface sampling).

    ``margin`` (in units of the normalised radius of ``outer``) keeps the surface
    points at ``q <= (1 - margin)^2``.

    Examples
    --------
    >>> big = Ellipsoid((0.0, 0.0, 0.0), (50.0, 40.0, 30.0))
    >>> ellipsoid_within(Ellipsoid((10.0, 0.0, 0.0), (5.0, 5.0, 5.0)), big)
    True
    >>> ellipsoid_within(Ellipsoid((45.0, 0.0, 0.0), (10.0, 5.0, 5.0)), big)
    False
    """
    pts = inner.surface_points(600)
    q = outer.quadratic(pts[:, 0], pts[:, 1], pts[:, 2])
    return bool(np.all(q <= (1.0 - margin) ** 2))


def ellipsoid_overlaps(first: Ellipsoid, second: Ellipsoid, *, gap_mm: float = 0.0) -> bool:
    """Whether two ellipsoids (each grown by ``gap_mm``) intersect (sampled test).

    Examples
    --------
    >>> a = Ellipsoid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0))
    >>> ellipsoid_overlaps(a, a.moved(25.0, 0.0, 0.0)), ellipsoid_overlaps(a, a.moved(15.0, 0, 0))
    (False, True)
    """
    if gap_mm:
        first = _grown(first, gap_mm / 2.0)
        second = _grown(second, gap_mm / 2.0)
    (lo1, hi1), (lo2, hi2) = first.bounding_box_mm(), second.bounding_box_mm()
    if any(hi1[i] < lo2[i] or hi2[i] < lo1[i] for i in range(3)):
        return False
    for one, other in ((first, second), (second, first)):
        pts = np.concatenate([one.surface_points(400), one.interior_points(6)])
        if np.any(other.quadratic(pts[:, 0], pts[:, 1], pts[:, 2]) <= 1.0):
            return True
    return False


def _grown(e: Ellipsoid, mm: float) -> Ellipsoid:
    a, b, c = e.semi_axes_mm
    return replace(e, semi_axes_mm=(a + mm, b + mm, c + mm))


@dataclass(frozen=True, slots=True)
class Region:
    """One organ or lesion.

    Attributes
    ----------
    name
        Unique name (``"kidney_left"``, ``"lesion_liver_01"``).
    region_type
        Key of its uptake model (``"kidney"``, ``"lesion_liver"``).
    kind
        ``"organ"`` or ``"lesion"``.
    ellipsoid
        Its shape.
    density_g_per_ml
        Mass density (ICRU Report 46 / ICRP Publication 110 tissues).
    hu
        CT number (HU) of the tissue.
    parent
        The region it is embedded in (``"liver"`` for a liver metastasis), if any.
    profile_beta
        Radial uptake profile: concentration proportional to ``1 - beta q`` (q the
        normalised radius squared); 0 is uniform. The mean over the ellipsoid is
        ``1 - 3 beta / 5`` times the central (maximum) value.
    """

    name: str
    region_type: str
    kind: str
    ellipsoid: Ellipsoid
    density_g_per_ml: float
    hu: float
    parent: str | None = None
    profile_beta: float = 0.0

    @property
    def peak_to_mean(self) -> float:
        """Central (maximum) over mean concentration: 1 / (1 - 3 beta / 5)."""
        return 1.0 / (1.0 - 0.6 * self.profile_beta)


@dataclass(frozen=True, slots=True)
class BodyOutline:
    """The body outline: an axial ellipse whose semi-axes vary with z.

    The outline is the union of a head (ellipsoid), a neck and a trunk (elliptic
    cylinders), all centred on the z axis; at each z the cross-section is the ellipse with
    the larger semi-axes of the parts present there.

    Examples
    --------
    >>> body = BodyOutline(vertex_z_mm=900.0, head_semi_mm=(75.0, 95.0, 120.0),
    ...                    neck_semi_mm=(55.0, 55.0), neck_z_mm=(560.0, 700.0),
    ...                    trunk_semi_mm=(165.0, 110.0), trunk_z_mm=(0.0, 580.0))
    >>> body.semi_axes_at(np.array([300.0, 1000.0]))[0].tolist()
    [165.0, 0.0]
    """

    vertex_z_mm: float
    head_semi_mm: tuple[float, float, float]
    neck_semi_mm: tuple[float, float]
    neck_z_mm: tuple[float, float]
    trunk_semi_mm: tuple[float, float]
    trunk_z_mm: tuple[float, float]
    _cache: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def semi_axes_at(
        self, z_mm: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Semi-axes ``(ax, ay)`` (mm) of the outline at each z; 0 outside the body."""
        z = np.asarray(z_mm, dtype=np.float64)
        hx, hy, hz = self.head_semi_mm
        zc = self.vertex_z_mm - hz
        t = np.clip(1.0 - ((z - zc) / hz) ** 2, 0.0, None)
        ax = hx * np.sqrt(t)
        ay = hy * np.sqrt(t)
        for (sx, sy), (z0, z1) in (
            (self.neck_semi_mm, self.neck_z_mm),
            (self.trunk_semi_mm, self.trunk_z_mm),
        ):
            inside = (z >= z0) & (z <= z1)
            ax = np.where(inside, np.maximum(ax, sx), ax)
            ay = np.where(inside, np.maximum(ay, sy), ay)
        return ax, ay

    @property
    def z_range_mm(self) -> tuple[float, float]:
        """Lowest and highest z of the body (mm)."""
        hz = self.head_semi_mm[2]
        low = min(self.trunk_z_mm[0], self.neck_z_mm[0], self.vertex_z_mm - 2 * hz)
        return low, self.vertex_z_mm

    @property
    def volume_ml(self) -> float:
        """Volume inside the outline (mL), integrated over z piece by piece (rel. error < 1e-6).

        The pieces end where a part starts or stops, so the integrand is smooth on each.
        """
        if "volume" not in self._cache:
            low, high = self.z_range_mm
            hz = self.head_semi_mm[2]
            cuts = {low, high, *self.neck_z_mm, *self.trunk_z_mm, self.vertex_z_mm - 2 * hz}
            edges = sorted(c for c in cuts if low <= c <= high)
            total = 0.0
            for a, b in itertools.pairwise(edges):
                if b <= a:
                    continue
                # Gauss-Legendre on each smooth piece (the head's ends are square-root
                # singular, so many nodes are used)
                nodes, weights = _gauss_legendre(400)
                z = 0.5 * (b - a) * nodes + 0.5 * (a + b)
                ax, ay = self.semi_axes_at(z)
                total += 0.5 * (b - a) * float(np.sum(weights * math.pi * ax * ay))
            self._cache["volume"] = total / 1000.0
        return self._cache["volume"]
