"""Assembling single-frame DICOM slices into one regular 3-D volume (private).

The header fields that decide the geometry are checked once per series, on arrays of the
slices' values, and every failure names its file: mixed orientations ((0020,0037) Image
Orientation (Patient)), matrix sizes or (0028,0030) Pixel Spacing, two images at one
(0020,0032) Image Position (Patient), a missing slice, irregular spacing, slices that are
not stacked along the slice normal, several series or frames of reference.

Slices are sorted along the normal ``row x column`` of the image plane (PS3.3 C.7.6.2.1.1),
so index 0 is the first slice, as SimpleITK's series reader orders them. The slice spacing
is the distance from the first to the last slice over ``n - 1``. Stored values go through
the modality LUT of each slice (PS3.3 C.11.1; :func:`stored_frames` and
:func:`modality_values` in ``_dicomio``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import DicomError, SeriesGeometryError
from theratrial.imaging._dicomio import (
    get_floats,
    get_number,
    get_uid,
    raw_value,
    read_dataset,
    tag_label,
)
from theratrial.imaging._multiframe import modality_values, stored_frames
from theratrial.imaging.grid import (
    Grid,
    ascending_slices,
    grid_from_affine,
    grid_from_slices,
    shape3,
)

__all__ = ["SliceStack", "ascending_slices", "assemble_slices", "grid_from_affine", "shape3"]

_PIXEL_DATA, _ROWS, _COLUMNS = 0x7FE00010, 0x00280010, 0x00280011
_IOP, _IPP, _SPACING = 0x00200037, 0x00200032, 0x00280030
_SOP_UID, _SERIES_UID, _FRAME_UID = 0x00080018, 0x0020000E, 0x00200052
_SPACING_BETWEEN = 0x00180088


class SliceStack:
    """The result of assembly: array, grid, datasets in slice order, loader notes."""

    __slots__ = ("array", "datasets", "files", "grid", "notes")

    def __init__(
        self,
        array: NDArray[np.float64],
        grid: Grid,
        datasets: list[Dataset],
        files: list[Path],
        notes: list[str],
    ) -> None:
        self.array = array
        self.grid = grid
        self.datasets = datasets
        self.files = files
        self.notes = notes


def _read_all(
    files: Sequence[Path],
    datasets: Sequence[Dataset | None] | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[Dataset], list[Path], list[str]]:
    """One dataset per distinct SOP Instance UID, reading only the files not read yet."""
    kept: list[Dataset] = []
    paths: list[Path] = []
    notes: list[str] = []
    seen: dict[str, Path] = {}
    for number, path in enumerate(files, start=1):
        ds = datasets[number - 1] if datasets is not None else None
        if ds is None:
            ds = read_dataset(path)
        if _PIXEL_DATA not in ds:
            raise DicomError(
                "file has no pixel data (not an image)",
                file=path,
                hint="keep only the image files of the series",
            )
        uid = get_uid(ds, _SOP_UID) or str(path)
        if uid in seen:
            notes.append(f"file {path.name} repeats SOP Instance UID of {seen[uid].name}; ignored")
        else:
            seen[uid] = path
            kept.append(ds)
            paths.append(path)
        if progress is not None:
            progress(number, len(files))
    return kept, paths, notes


def _vector(ds: Dataset, tag: int, keyword: str, path: Path, size: int) -> NDArray[np.float64]:
    try:
        vec = get_floats(ds, tag)
    except (TypeError, ValueError):
        vec = None
    if vec is None:
        raise SeriesGeometryError(
            "missing or unreadable value", file=path, field=tag_label(keyword)
        )
    if vec.size != size:
        raise SeriesGeometryError(
            f"expected {size} values, found {vec.size}", file=path, field=tag_label(keyword)
        )
    return vec


def _first_mismatch(values: NDArray[np.float64], *, atol: float = 0.0) -> int | None:
    """Index of the first row that differs from row 0 (``np.allclose`` rule), if any."""
    if atol == 0.0:
        bad = np.any(values != values[0], axis=1)
    else:
        bad = np.any(np.abs(values - values[0]) > atol + 1e-5 * np.abs(values[0]), axis=1)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def _check_same(datasets: list[Dataset], paths: list[Path], tag: int, keyword: str) -> str:
    """The one value of a UID attribute shared by every slice (refused when absent)."""
    values = [get_uid(ds, tag) for ds in datasets]
    first = values[0]
    if first is None:
        raise SeriesGeometryError(
            "attribute is missing: the images are not in a patient coordinate system",
            file=paths[0],
            field=tag_label(keyword),
            hint="re-export the series with its Frame of Reference",
        )
    for value, path in zip(values, paths, strict=True):
        if value != first:
            raise SeriesGeometryError(
                f"value differs from that of {paths[0]}",
                file=path,
                field=tag_label(keyword),
                hint="the files belong to several series; load one series at a time",
            )
    return first


def _matrix(ds: Dataset, path: Path) -> tuple[int, int]:
    try:
        return int(ds.Rows), int(ds.Columns)
    except (AttributeError, TypeError, ValueError) as exc:
        raise DicomError(
            "image matrix attributes are missing", file=path, field="Rows (0028,0010)"
        ) from exc


def _check_planes(datasets: list[Dataset], paths: list[Path]) -> NDArray[np.float64]:
    """Orientation, matrix size and pixel spacing shared by every slice; the positions."""
    n = len(datasets)
    iop, ipp, spacing = np.empty((n, 6)), np.empty((n, 3)), np.empty((n, 2))
    stored_matrix = (raw_value(datasets[0], _ROWS), raw_value(datasets[0], _COLUMNS))
    matrix = _matrix(datasets[0], paths[0])  # converts the first's values: compared as stored
    for i, (ds, path) in enumerate(zip(datasets, paths, strict=True)):
        iop[i] = _vector(ds, _IOP, "ImageOrientationPatient", path, 6)
        ipp[i] = _vector(ds, _IPP, "ImagePositionPatient", path, 3)
        spacing[i] = _vector(ds, _SPACING, "PixelSpacing", path, 2)
        if (raw_value(ds, _ROWS), raw_value(ds, _COLUMNS)) != stored_matrix:
            rows, cols = _matrix(ds, path)
            if (rows, cols) != matrix:
                raise SeriesGeometryError(
                    f"matrix {rows}x{cols} differs from {matrix[0]}x{matrix[1]}",
                    file=path,
                    hint="the series mixes image sizes; remove the odd images",
                )
    odd = _first_mismatch(iop, atol=1e-4)
    if odd is not None:
        raise SeriesGeometryError(
            f"slice orientation differs from {paths[0].name}",
            file=paths[odd],
            field=tag_label("ImageOrientationPatient"),
            hint="the series mixes orientations (localizer?); remove the odd images",
        )
    odd = _first_mismatch(spacing)
    if odd is not None:
        raise SeriesGeometryError(
            f"pixel spacing {spacing[odd].tolist()} mm differs from {spacing[0].tolist()} mm",
            file=paths[odd],
            field=tag_label("PixelSpacing"),
            hint="the series mixes resolutions; remove the odd images",
        )
    if np.any(spacing[0] <= 0):
        raise SeriesGeometryError(
            f"pixel spacing {spacing[0].tolist()} mm is not positive",
            file=paths[0],
            field=tag_label("PixelSpacing"),
        )
    return ipp


def _check_spacing(depth: NDArray[np.float64], paths: list[Path]) -> None:
    if depth.size < 2:
        return
    gaps = np.diff(depth)
    spacing = float(np.median(gaps))
    for index, gap in enumerate(gaps):
        if gap < max(1e-3, 0.01 * spacing):
            raise SeriesGeometryError(
                f"two images at the same position ({depth[index]:.2f} mm along the slice "
                f"normal): {paths[index].name} and {paths[index + 1].name}",
                file=paths[index + 1],
                field=tag_label("ImagePositionPatient"),
                hint="the series holds several images per position (dynamic, gated or "
                "diffusion); split it, or use load_dwi for diffusion series",
            )
    for index, gap in enumerate(gaps):
        if gap > 1.5 * spacing:
            missing = round(gap / spacing) - 1
            raise SeriesGeometryError(
                f"missing slice: {gap:.2f} mm gap (about {missing} slice(s)) between "
                f"{paths[index].name} and {paths[index + 1].name}; usual spacing {spacing:.2f} mm",
                file=paths[index].parent,
                field=tag_label("ImagePositionPatient"),
                hint="re-export the complete series",
            )
    mean = float(depth[-1] - depth[0]) / (depth.size - 1)
    if float(np.max(np.abs(gaps - spacing))) > 0.2 * spacing or np.any(
        np.abs(gaps - mean) > 0.25 * mean
    ):
        raise SeriesGeometryError(
            f"irregular slice spacing ({gaps.min():.2f} to {gaps.max():.2f} mm)",
            file=paths[0].parent,
            field=tag_label("ImagePositionPatient"),
            hint="resample the series to regular spacing before quantification",
        )


def _check_stacking(
    positions: NDArray[np.float64], normal: NDArray[np.float64], paths: list[Path]
) -> None:
    """Every slice must lie on the line through the first along the normal (no shear)."""
    spans = positions[1:] - positions[0]
    unit = spans / np.linalg.norm(spans, axis=1)[:, None]
    off = np.flatnonzero(np.abs(np.abs(unit @ normal) - 1.0) >= 1e-3)
    if off.size:
        raise SeriesGeometryError(
            f"slice is not stacked along the normal of the image plane from {paths[0].name} "
            "(sheared or tilted stack)",
            file=paths[int(off[0]) + 1],
            field=tag_label("ImagePositionPatient"),
            hint="resample the series onto a regular grid (gantry tilt correction) first",
        )


def assemble_slices(
    files: Sequence[Path],
    *,
    datasets: Sequence[Dataset | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SliceStack:
    """Build a regular volume from the single-frame files of one series.

    Parameters
    ----------
    files
        The series' files.
    datasets
        Their datasets when already read (``None`` entries are read here), so that no file
        is read twice.
    progress
        Called as ``progress(done, total)`` per file.

    Raises
    ------
    SeriesGeometryError
        Mixed orientation, matrix size or pixel spacing, two images at one position, a
        missing slice, irregular or sheared slices, several series or frames of reference.
    DicomError
        A file without pixel data or with truncated pixel data.
    """
    kept, paths, notes = _read_all(files, datasets, progress)
    positions = _check_planes(kept, paths)
    iop = _vector(kept[0], _IOP, "ImageOrientationPatient", paths[0], 6)
    normal = np.cross(iop[:3], iop[3:])
    if float(np.linalg.norm(normal)) < 0.5:
        raise SeriesGeometryError(
            "row and column direction cosines are not orthogonal unit vectors",
            file=paths[0],
            field=tag_label("ImageOrientationPatient"),
        )
    depth = positions @ normal
    order = np.argsort(depth, kind="stable")
    kept = [kept[i] for i in order]
    paths = [paths[i] for i in order]
    positions, depth = positions[order], depth[order]
    _check_spacing(depth, paths)
    _check_same(kept, paths, _SERIES_UID, "SeriesInstanceUID")
    frame_uid = _check_same(kept, paths, _FRAME_UID, "FrameOfReferenceUID")
    if len(kept) > 1:
        _check_stacking(positions, normal, paths)
        highest = (np.cross(iop[3:], iop[:3])[None] @ np.unique(positions, axis=0).T)[0]
        slice_spacing = abs(float((highest.max() - highest.min()) / (len(kept) - 1)))
    else:
        between = get_number(kept[0], _SPACING_BETWEEN, "SpacingBetweenSlices", paths[0], 1.0)
        slice_spacing = between if between > 0 else 1.0
    rows, cols = _matrix(kept[0], paths[0])
    pixel_spacing = _vector(kept[0], _SPACING, "PixelSpacing", paths[0], 2)
    shape = (len(kept), rows, cols)
    grid = grid_from_slices(iop, pixel_spacing, positions[-1], slice_spacing, shape, frame_uid)
    if np.linalg.norm(np.asarray(grid.origin_mm) - positions[0]) > 0.5 * min(grid.spacing_mm):
        raise SeriesGeometryError(
            "assembled volume does not start at the first slice",
            file=paths[0],
            field=tag_label("ImagePositionPatient"),
        )
    array = modality_values(stored_frames(kept, paths, rows, cols), kept, paths)
    return SliceStack(array, grid, kept, paths, notes)
