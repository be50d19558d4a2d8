"""RTSTRUCT reading and polygon rasterisation onto any image grid (private).

(3006,0050) Contour Data, a backslash-separated list of decimal strings (x, y, z triplets
in mm; DICOM PS3.3 C.8.8.6), is parsed from the element's raw bytes by NumPy in one call
per contour, not value by value.

A voxel belongs to an ROI when its centre lies inside the ROI's contour on the nearest
contour plane (even-odd rule, so inner contours on one plane are holes, DICOM PS3.3
C.8.8.6.3). Each contour plane stands for a slab as thick as the contour spacing, so a
grid finer than the contours is filled between planes and a coarser grid samples the
plane nearest each slice centre. Contours on planes that are not parallel to the grid's
slices are rasterised on a grid aligned with them and resampled (nearest neighbour, by
SimpleITK) onto the target grid.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.path import Path as PolygonPath
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import MaskError
from theratrial.imaging._dicomio import get_floats, get_str, get_uid
from theratrial.imaging._sitk import sitk
from theratrial.imaging.grid import Grid

__all__ = ["RtRoi", "rasterise_contours", "read_rtstruct_rois"]

_CONTOUR_DATA = 0x30060050
_GEOMETRIC_TYPE = 0x30060042


@dataclass(frozen=True, slots=True, eq=False)
class RtRoi:
    """One ROI of an RTSTRUCT: its name, frame of reference and closed planar contours (mm)."""

    number: int
    name: str
    frame_of_reference_uid: str
    contours: tuple[NDArray[np.float64], ...]


def read_rtstruct_rois(ds: Dataset, path: Path) -> list[RtRoi]:
    """All ROIs with closed planar contours in an RTSTRUCT dataset."""
    default_frame = ""
    refs = ds.get("ReferencedFrameOfReferenceSequence")
    if refs:
        default_frame = get_str(refs[0], "FrameOfReferenceUID") or ""
    names: dict[int, tuple[str, str]] = {}
    for item in ds.get("StructureSetROISequence") or []:
        frame = get_str(item, "ReferencedFrameOfReferenceUID") or default_frame
        names[int(item.ROINumber)] = (get_str(item, "ROIName") or f"ROI_{item.ROINumber}", frame)
    rois: list[RtRoi] = []
    for item in ds.get("ROIContourSequence") or []:
        number = int(item.ReferencedROINumber)
        contours: list[NDArray[np.float64]] = []
        for contour in item.get("ContourSequence") or []:
            kind = (get_uid(contour, _GEOMETRIC_TYPE) or "CLOSED_PLANAR").upper()
            if kind != "CLOSED_PLANAR":
                continue
            try:
                points = get_floats(contour, _CONTOUR_DATA)
            except (TypeError, ValueError) as exc:
                raise MaskError(
                    f"unreadable contour of ROI number {number}",
                    file=path,
                    field="ContourData (3006,0050)",
                    hint="the structure set is corrupt; export it again",
                ) from exc
            if points is None:
                raise MaskError(
                    f"contour of ROI number {number} has no Contour Data",
                    file=path,
                    field="ContourData (3006,0050)",
                    hint="the structure set is corrupt; export it again",
                )
            if points.size >= 9 and points.size % 3 == 0:
                contours.append(points.reshape(-1, 3))
        name, frame = names.get(number, (f"ROI_{number}", default_frame))
        rois.append(RtRoi(number, name, frame, tuple(contours)))
    return rois


def _fill_polygon(
    polygon_ij: NDArray[np.float64], shape_yx: tuple[int, int]
) -> tuple[slice, slice, NDArray[np.bool_]] | None:
    """Voxel centres inside a polygon given in (column, row) index coordinates."""
    lo = np.floor(polygon_ij.min(axis=0)).astype(int)
    hi = np.ceil(polygon_ij.max(axis=0)).astype(int)
    x0, y0 = max(lo[0], 0), max(lo[1], 0)
    x1, y1 = min(hi[0], shape_yx[1] - 1), min(hi[1], shape_yx[0] - 1)
    if x1 < x0 or y1 < y0:
        return None
    ys, xs = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
    centres = np.column_stack([xs.ravel(), ys.ravel()]).astype(np.float64)
    inside = PolygonPath(polygon_ij, closed=False).contains_points(centres)
    return slice(y0, y1 + 1), slice(x0, x1 + 1), inside.reshape(ys.shape)


def _aligned(contours_idx: list[NDArray[np.float64]], grid: Grid) -> NDArray[np.bool_]:
    nz, ny, nx = grid.shape
    mask = np.zeros(grid.shape, dtype=bool)
    planes = np.array([float(np.mean(c[:, 2])) for c in contours_idx])
    unique = np.unique(np.round(planes, 3))
    gap = float(np.median(np.diff(unique))) if unique.size > 1 else 1.0
    half, eps = max(gap, 1.0) / 2.0, 1e-4
    for z in range(nz):
        # the slab of plane p is [p - half, p + half): each slice belongs to one plane
        index = int(np.searchsorted(unique, z + half + eps, side="right")) - 1
        if index < 0 or z >= unique[index] + half - eps:
            continue
        nearest = unique[index]
        layer = np.zeros((ny, nx), dtype=bool)
        for contour, plane in zip(contours_idx, planes, strict=True):
            if abs(round(plane, 3) - nearest) > 1e-6:
                continue
            filled = _fill_polygon(contour[:, :2], (ny, nx))
            if filled is not None:
                rows, cols, inside = filled
                layer[rows, cols] ^= inside
        mask[z] |= layer
    return mask


def _plane_grid(contours: list[NDArray[np.float64]], target: Grid) -> Grid:
    points = np.concatenate(contours)
    centred = contours[0] - contours[0].mean(axis=0)
    normal = np.linalg.svd(centred, full_matrices=False)[2][2]
    u = np.cross(normal, [0.0, 0.0, 1.0]) if abs(normal[2]) < 0.9 else np.cross(normal, [0, 1, 0])
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    frame = np.stack([u, v, normal], axis=1)
    coords = points @ frame
    planes = np.unique(np.round([float(np.mean(c @ normal)) for c in contours], 3))
    step = float(np.median(np.diff(planes))) if planes.size > 1 else min(target.spacing_mm)
    pixel = min(target.spacing_mm) / 2.0
    lo = coords.min(axis=0) - 2 * pixel
    hi = coords.max(axis=0) + 2 * pixel
    size = np.maximum(np.ceil((hi - lo) / [pixel, pixel, step]).astype(int) + 1, 1)
    lo[2] = planes[0] - step * np.ceil((planes[0] - lo[2]) / step)
    size[2] = int(np.round((planes[-1] - lo[2]) / step)) + 3
    origin = frame @ lo
    return Grid(
        (int(size[2]), int(size[1]), int(size[0])),
        (float(origin[0]), float(origin[1]), float(origin[2])),
        (pixel, pixel, step),
        tuple(float(x) for x in frame.ravel()),
        target.frame_of_reference_uid,
    )


def rasterise_contours(contours: tuple[NDArray[np.float64], ...], grid: Grid) -> NDArray[np.bool_]:
    """Boolean (z, y, x) mask of closed planar contours (mm) on ``grid``."""
    if not contours:
        return np.zeros(grid.shape, dtype=bool)
    indexed = [grid.physical_to_index(c) for c in contours]
    if all(float(np.ptp(c[:, 2])) < 0.05 for c in indexed):
        return _aligned(indexed, grid)
    native = _plane_grid(list(contours), grid)
    native_mask = _aligned([native.physical_to_index(c) for c in contours], native)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moving = native.to_sitk(native_mask.astype(np.uint8))
        out = sitk.Resample(moving, grid.to_sitk(), sitk.Transform(), sitk.sitkNearestNeighbor, 0)
    return np.asarray(sitk.GetArrayFromImage(out), dtype=bool)
