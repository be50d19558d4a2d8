"""Assembling single-frame DICOM slices into one regular 3-D volume (private).

Slices are checked before assembly so that every failure names its files: mixed
orientations, different matrix sizes, two images at one position, a missing slice. The
volume itself (modality LUT per slice, i.e. per-slice (0028,1053) Rescale Slope, and the
affine) is built by :func:`highdicom.get_volume_from_series`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import DicomError, SeriesGeometryError
from theratrial.imaging._dicomio import get_str, read_dataset, tag_label
from theratrial.imaging.grid import Grid

__all__ = ["SliceStack", "ascending_slices", "assemble_slices", "grid_from_affine", "shape3"]


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


def shape3(array: NDArray[np.generic]) -> tuple[int, int, int]:
    """The shape of a 3-D array as a typed triple."""
    z, y, x = array.shape
    return int(z), int(y), int(x)


def grid_from_affine(
    affine: NDArray[np.float64], shape: tuple[int, int, int], frame_of_reference_uid: str
) -> Grid:
    """Convert a (slice, row, column) index affine (highdicom convention) into a :class:`Grid`."""
    axes = [affine[:3, 2], affine[:3, 1], affine[:3, 0]]  # x (column), y (row), z (slice)
    spacing = [float(np.linalg.norm(a)) for a in axes]
    direction = np.stack([a / s for a, s in zip(axes, spacing, strict=True)], axis=1)
    return Grid(
        shape,
        (float(affine[0, 3]), float(affine[1, 3]), float(affine[2, 3])),
        (spacing[0], spacing[1], spacing[2]),
        tuple(float(v) for v in direction.ravel()),
        frame_of_reference_uid,
    )


def _vector(ds: Dataset, keyword: str, path: Path, size: int) -> NDArray[np.float64]:
    value = ds.get(keyword)
    try:
        vec = np.asarray([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SeriesGeometryError(
            "missing or unreadable value", file=path, field=tag_label(keyword)
        ) from exc
    if vec.size != size:
        raise SeriesGeometryError(
            f"expected {size} values, found {vec.size}", file=path, field=tag_label(keyword)
        )
    return vec


def _read_all(
    files: Sequence[Path], progress: Callable[[int, int], None] | None
) -> tuple[list[Dataset], list[Path], list[str]]:
    datasets: list[Dataset] = []
    kept: list[Path] = []
    notes: list[str] = []
    seen: dict[str, Path] = {}
    for number, path in enumerate(files, start=1):
        ds = read_dataset(path)
        if "PixelData" not in ds:
            raise DicomError(
                "file has no pixel data (not an image)",
                file=path,
                hint="keep only the image files of the series",
            )
        _check_pixel_length(ds, path)
        uid = get_str(ds, "SOPInstanceUID") or str(path)
        if uid in seen:
            notes.append(f"file {path.name} repeats SOP Instance UID of {seen[uid].name}; ignored")
        else:
            seen[uid] = path
            datasets.append(ds)
            kept.append(path)
        if progress is not None:
            progress(number, len(files))
    return datasets, kept, notes


def ascending_slices(array: NDArray[np.float64], grid: Grid) -> tuple[NDArray[np.float64], Grid]:
    """Reorder slices so that z runs along the slice normal (row x column direction).

    highdicom stacks slices in its own order; theratrial, like SimpleITK's series reader,
    keeps z along (0020,0037) row x column cosines, so index 0 is the first slice.
    """
    direction = grid.direction_matrix
    normal = np.cross(direction[:, 0], direction[:, 1])
    if float(direction[:, 2] @ normal) >= 0:
        return array, grid
    flipped = np.ascontiguousarray(array[::-1])
    last = grid.index_to_physical([[0, 0, array.shape[0] - 1]])[0]
    direction = direction.copy()
    direction[:, 2] = -direction[:, 2]
    return flipped, Grid(
        grid.shape,
        (float(last[0]), float(last[1]), float(last[2])),
        grid.spacing_mm,
        tuple(float(v) for v in direction.ravel()),
        grid.frame_of_reference_uid,
    )


def _check_pixel_length(ds: Dataset, path: Path) -> None:
    """Refuse a file whose uncompressed pixel data is shorter than its matrix needs."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None or syntax.is_compressed:
        return
    try:
        expected = (
            int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1) or 1)
            * int(ds.get("NumberOfFrames", 1) or 1) * int(ds.BitsAllocated) // 8
        )  # fmt: skip
    except (AttributeError, TypeError, ValueError) as exc:
        raise DicomError(
            "image matrix attributes are missing", file=path, field="Rows (0028,0010)"
        ) from exc
    if len(ds.PixelData) < expected:
        raise DicomError(
            f"pixel data is truncated ({len(ds.PixelData)} of {expected} bytes)",
            file=path,
            field="PixelData (7FE0,0010)",
            hint="the file is corrupt: re-export it",
        )


def assemble_slices(
    files: Sequence[Path], *, progress: Callable[[int, int], None] | None = None
) -> SliceStack:
    """Read single-frame files of one series and build a regular volume.

    Raises
    ------
    SeriesGeometryError
        Mixed orientation or matrix size, two images at one position, or a missing slice.
    """
    datasets, paths, notes = _read_all(files, progress)
    first_iop = _vector(datasets[0], "ImageOrientationPatient", paths[0], 6)
    rows, cols = int(datasets[0].Rows), int(datasets[0].Columns)
    for ds, path in zip(datasets, paths, strict=True):
        iop = _vector(ds, "ImageOrientationPatient", path, 6)
        if not np.allclose(iop, first_iop, atol=1e-4):
            raise SeriesGeometryError(
                f"slice orientation differs from {paths[0].name}",
                file=path,
                field=tag_label("ImageOrientationPatient"),
                hint="the series mixes orientations (localizer?); remove the odd images",
            )
        if (int(ds.Rows), int(ds.Columns)) != (rows, cols):
            raise SeriesGeometryError(
                f"matrix {ds.Rows}x{ds.Columns} differs from {rows}x{cols}",
                file=path,
                hint="the series mixes image sizes; remove the odd images",
            )
    normal = np.cross(first_iop[:3], first_iop[3:])
    depth = np.array(
        [
            _vector(ds, "ImagePositionPatient", p, 3) @ normal
            for ds, p in zip(datasets, paths, strict=True)
        ]
    )
    order = np.argsort(depth, kind="stable")
    datasets = [datasets[i] for i in order]
    paths = [paths[i] for i in order]
    depth = depth[order]
    _check_spacing(depth, paths)
    frame_of_reference = get_str(datasets[0], "FrameOfReferenceUID") or ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            volume = hd.get_volume_from_series(
                datasets,
                dtype=np.float64,
                apply_real_world_transform=False,
                apply_modality_transform=None,
                apply_voi_transform=False,
                apply_presentation_lut=False,
                apply_palette_color_lut=False,
                apply_icc_profile=False,
                rtol=0.25,
            )
    except (ValueError, TypeError, AttributeError, KeyError, RuntimeError) as exc:
        raise SeriesGeometryError(
            f"cannot assemble a volume: {exc}",
            file=paths[0].parent,
            hint="check that the folder holds one regular series",
        ) from exc
    array = np.asarray(volume.array, dtype=np.float64)
    if array.ndim == 4:
        array = array[..., 0]
    grid = grid_from_affine(np.asarray(volume.affine), shape3(array), frame_of_reference)
    array, grid = ascending_slices(array, grid)
    origin = np.asarray(grid.origin_mm)
    first_position = _vector(datasets[0], "ImagePositionPatient", paths[0], 3)
    if np.linalg.norm(origin - first_position) > 0.5 * min(grid.spacing_mm):
        raise SeriesGeometryError(
            "assembled volume does not start at the first slice",
            file=paths[0],
            field=tag_label("ImagePositionPatient"),
        )
    return SliceStack(array, grid, datasets, paths, notes)


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
    if float(np.max(np.abs(gaps - spacing))) > 0.2 * spacing:
        raise SeriesGeometryError(
            f"irregular slice spacing ({gaps.min():.2f} to {gaps.max():.2f} mm)",
            file=paths[0].parent,
            field=tag_label("ImagePositionPatient"),
            hint="resample the series to regular spacing before quantification",
        )
