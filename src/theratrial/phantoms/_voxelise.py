"""Ellipsoids to voxels: partial-volume fractions, activity weights and label maps.

Each region is sampled on a sub-voxel lattice (``s`` points per axis per voxel, ``s`` odd
so that the middle point is the voxel centre) within its bounding box. Lesions are
sampled first and claim their points, so a host organ (the liver around a metastasis)
keeps only the points no lesion took: fractions never add up to more than one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import ParameterError
from theratrial.phantoms.anatomy import BodyOutline, Region
from theratrial.phantoms.grid import Grid

__all__ = ["RegionMap", "Voxelised", "voxelise"]

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]  # (z, y, x) [start, stop)


@dataclass(frozen=True, slots=True)
class RegionMap:
    """One region on the grid, within its bounding box ``box``.

    ``fraction`` is the volume fraction of each voxel inside the region, ``weight`` the
    activity weight (fraction times the radial profile over its mean), so a uniform mean
    concentration ``C`` puts ``C * weight`` Bq/mL in each voxel.
    """

    name: str
    box: Box
    fraction: NDArray[np.float32]
    weight: NDArray[np.float32]

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        """Index of the box in a full (z, y, x) array."""
        (z0, z1), (y0, y1), (x0, x1) = self.box
        return slice(z0, z1), slice(y0, y1), slice(x0, x1)


@dataclass(frozen=True, slots=True)
class Voxelised:
    """Every region of a patient on one grid."""

    grid: Grid
    maps: dict[str, RegionMap]
    body_fraction: NDArray[np.float32]
    body_inside: NDArray[np.float32]
    labels: NDArray[np.uint16]
    label_of: dict[str, int]

    def grid_volume_ml(self, name: str) -> float:
        """Volume (mL) of a region on the grid: the sum of its voxel fractions."""
        frac = self.body_fraction if name == "body" else self.maps[name].fraction
        return float(frac.sum(dtype=np.float64)) * self.grid.voxel_volume_ml

    def mask(self, name: str) -> NDArray[np.bool_]:
        """Binary mask (voxel centre inside) of a region, full grid."""
        result: NDArray[np.bool_] = self.labels == self.label_of[name]
        return result


def _box(region: Region, grid: Grid) -> Box | None:
    (lx, ly, lz), (hx, hy, hz) = region.ellipsoid.bounding_box_mm()
    z = grid.index_range(lz, hz, 2)
    y = grid.index_range(ly, hy, 1)
    x = grid.index_range(lx, hx, 0)
    if z[1] <= z[0] or y[1] <= y[0] or x[1] <= x[0]:
        return None
    return z, y, x


def _sub_axis(grid: Grid, axis: int, start: int, stop: int, s: int) -> NDArray[np.float64]:
    offsets = (np.arange(s, dtype=np.float64) + 0.5) / s - 0.5
    idx = np.arange(start, stop, dtype=np.float64)[:, None] + offsets[None, :]
    result: NDArray[np.float64] = grid.origin_xyz_mm[axis] + grid.spacing_xyz_mm[
        axis
    ] * idx.reshape(-1)
    return result


def _overlap(a: Box, b: Box, s: int) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    """Sub-lattice windows of box ``a`` and box ``b`` over their intersection."""
    win_a: list[slice] = []
    win_b: list[slice] = []
    for (a0, a1), (b0, b1) in zip(a, b, strict=True):
        lo, hi = max(a0, b0), min(a1, b1)
        if hi <= lo:
            return None
        win_a.append(slice((lo - a0) * s, (hi - a0) * s))
        win_b.append(slice((lo - b0) * s, (hi - b0) * s))
    return tuple(win_a), tuple(win_b)


def _block_mean(values: NDArray[np.float32], s: int) -> NDArray[np.float32]:
    bz, by, bx = (n // s for n in values.shape)
    result: NDArray[np.float32] = (
        values.reshape(bz, s, by, s, bx, s).mean(axis=(1, 3, 5), dtype=np.float64)
    ).astype(np.float32)
    return result


def voxelise(
    regions: list[Region], body: BodyOutline, grid: Grid, *, supersample: int = 3
) -> Voxelised:
    """Partial-volume fractions, activity weights and the label map of every region.

    Labels: 0 outside the body, 1 body, then the regions in the order given, from 2.
    A region too small to hold any voxel centre is given its highest-fraction voxel.
    """
    s = supersample
    if s < 1 or s % 2 == 0:
        raise ParameterError(
            f"supersampling must be a positive odd number, got {s}",
            field="supersample",
            hint="use 1, 3 or 5",
        )
    order = [r for r in regions if r.kind == "lesion"] + [r for r in regions if r.kind != "lesion"]
    inside_sub: dict[str, tuple[Box, NDArray[np.bool_]]] = {}
    maps: dict[str, RegionMap] = {}
    for region in order:
        box = _box(region, grid)
        if box is None:
            continue
        (z0, z1), (y0, y1), (x0, x1) = box
        x = _sub_axis(grid, 0, x0, x1, s)[None, None, :]
        y = _sub_axis(grid, 1, y0, y1, s)[None, :, None]
        z = _sub_axis(grid, 2, z0, z1, s)[:, None, None]
        q = region.ellipsoid.quadratic(x, y, z)
        inside = q <= 1.0
        for prior_box, prior_inside in inside_sub.values():
            windows = _overlap(box, prior_box, s)
            if windows is not None:
                inside[windows[0]] &= ~prior_inside[windows[1]]
        inside_sub[region.name] = (box, inside)
        fraction = _block_mean(inside.astype(np.float32), s)
        if region.profile_beta:
            profile = np.where(inside, (1.0 - region.profile_beta * q) * region.peak_to_mean, 0.0)
            weight = _block_mean(profile.astype(np.float32), s)
        else:
            weight = fraction
        maps[region.name] = RegionMap(region.name, box, fraction, weight)

    body_inside, body_centre = _body_fraction(body, grid)
    total = np.zeros(grid.shape_zyx, dtype=np.float32)
    for m in maps.values():
        total[m.slices] += m.fraction
    body_fraction = np.clip(body_inside - total, 0.0, 1.0).astype(np.float32)

    labels = np.zeros(grid.shape_zyx, dtype=np.uint16)
    labels[_centre(body_centre)] = 1
    label_of = {"body": 1}
    c = s // 2
    for number, region in enumerate(regions, start=2):
        label_of[region.name] = number
        if region.name not in inside_sub:
            continue
        box, inside = inside_sub[region.name]
        view = labels[maps[region.name].slices]
        centres = inside[c::s, c::s, c::s]
        if not centres.any():
            frac = maps[region.name].fraction
            centres = (frac == frac.max()) & (frac > 0)
        view[centres] = number
    return Voxelised(grid, maps, body_fraction, body_inside, labels, label_of)


def _centre(body_inside: NDArray[np.float32]) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = body_inside >= 0.5
    return result


def _body_fraction(
    body: BodyOutline, grid: Grid, *, s: int = 5
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Partial-volume fraction of the body outline, and its fraction in the centre plane.

    The outline changes along z (trunk and neck ends, the head), so each voxel is sampled
    at ``s`` planes through its thickness and the in-plane fractions averaged; without
    that, coarse slices put up to a few per cent too much or too little body on the grid.
    The centre-plane fraction (the middle of the ``s`` planes) decides the label map.
    """
    z = grid.axis_mm(2)
    dz = grid.spacing_xyz_mm[2]
    offsets = (np.arange(s) + 0.5) / s - 0.5
    planes = [_plane_fraction(body, grid, z + dz * off, s=s) for off in offsets]
    mean = np.asarray(np.mean(np.stack(planes), axis=0, dtype=np.float64), dtype=np.float32)
    return mean, planes[s // 2]


def _plane_fraction(
    body: BodyOutline, grid: Grid, z: NDArray[np.float64], *, s: int
) -> NDArray[np.float32]:
    """In-plane partial-volume fraction of the outline at heights ``z`` (sub-sampled near
    the edge)."""
    x = grid.axis_mm(0)
    y = grid.axis_mm(1)
    ax, ay = body.semi_axes_at(z)
    present = (ax > 0) & (ay > 0)
    axs = np.where(present, ax, 1.0)[:, None, None]
    ays = np.where(present, ay, 1.0)[:, None, None]
    q = (x[None, None, :] / axs) ** 2 + (y[None, :, None] / ays) ** 2
    frac = ((q <= 1.0) & present[:, None, None]).astype(np.float32)
    # voxels within about one voxel of the edge: sub-sample in plane
    dx, dy = grid.spacing_xyz_mm[0], grid.spacing_xyz_mm[1]
    band = 2.0 * max(dx, dy) / np.maximum(np.minimum(axs, ays), 1e-9)
    edge = (np.abs(np.sqrt(q) - 1.0) < band) & present[:, None, None]
    kz, ky, kx = np.nonzero(edge)
    if kz.size:
        off = (np.arange(s) + 0.5) / s - 0.5
        sx = x[kx][:, None, None] + dx * off[None, :, None]
        sy = y[ky][:, None, None] + dy * off[None, None, :]
        inside = (sx / axs[kz, 0, 0][:, None, None]) ** 2 + (
            sy / ays[kz, 0, 0][:, None, None]
        ) ** 2 <= 1.0
        frac[kz, ky, kx] = inside.mean(axis=(1, 2))
    return frac
