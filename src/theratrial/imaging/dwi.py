"""Diffusion-weighted MR series split into one volume per b-value.

The b-value of each image is read from (0018,9087) Diffusion b-value, else from the
vendors' private tags: Siemens (0019,100C), GE (0043,1039) first value (modulo 1e5, as GE
adds large offsets), Philips (2001,1003). Images with several gradient directions at one
b-value ((0018,9089) Diffusion Gradient Orientation, Siemens (0019,100E)) are combined by
geometric mean, which gives the isotropic (trace-weighted) signal (Le Bihan et al.,
J Magn Reson Imaging 2001;13:534-546).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from theratrial.errors import DicomError, SeriesGeometryError
from theratrial.imaging._dicomio import get_float, read_dataset
from theratrial.imaging.series import SeriesRef, scan_folder
from theratrial.imaging.volume import Volume, load_volume

__all__ = ["DwiSeries", "b_value_of", "load_dwi"]


@dataclass(frozen=True, slots=True, eq=False)
class DwiSeries:
    """Diffusion-weighted volumes on one grid, sorted by b-value (s/mm^2)."""

    b_values_s_per_mm2: tuple[float, ...]
    volumes: tuple[Volume, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def _private(ds: Dataset, group: int, element: int) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elem = ds.get((group, element))
    if elem is None:
        return None
    value = elem.value
    if isinstance(value, bytes):
        text = value.decode("ascii", errors="ignore").strip("\x00 ")
        value = text.split("\\")[0] if text else None
    elif isinstance(value, list | tuple | MultiValue):
        value = value[0] if len(value) else None
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def b_value_of(ds: Dataset) -> float | None:
    """The diffusion b-value (s/mm^2) of one image, standard tag first, ``None`` if absent.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset(); ds.DiffusionBValue = 800
    >>> b_value_of(ds)
    800.0
    """
    standard = get_float(ds, "DiffusionBValue")
    if standard is not None:
        return standard
    siemens = _private(ds, 0x0019, 0x100C)
    if siemens is not None:
        return siemens
    ge = _private(ds, 0x0043, 0x1039)
    if ge is not None:
        return float(ge % 100000)
    return _private(ds, 0x2001, 0x1003)


def _direction(ds: Dataset) -> tuple[float, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = ds.get("DiffusionGradientOrientation")
        if value is None:
            elem = ds.get((0x0019, 0x100E))
            value = elem.value if elem is not None and not isinstance(elem.value, bytes) else None
    if value is None:
        return ()
    try:
        return tuple(round(float(v), 3) for v in value)
    except (TypeError, ValueError):
        return ()


def _files_of(source: SeriesRef | str | Path) -> list[Path]:
    if isinstance(source, SeriesRef):
        return list(source.files)
    path = Path(source)
    if not path.is_dir():
        return [path]
    images = scan_folder(path).images()
    if not images:
        raise DicomError("no DICOM image series found", file=path)
    return [f for series in images for f in series.files]


def load_dwi(sources: SeriesRef | str | Path | Sequence[SeriesRef | str | Path]) -> DwiSeries:
    """Load diffusion-weighted images as one volume per b-value.

    ``sources``: a series, a folder (every image series in it is used, e.g. one series per
    b-value), a file list, or a sequence of these.

    Raises
    ------
    DicomError
        An image without a b-value, or fewer than two b-values.
    SeriesGeometryError
        Volumes of different b-values on different grids.
    """
    items = [sources] if isinstance(sources, SeriesRef | str | Path) else list(sources)
    files = [f for item in items for f in _files_of(item)]
    groups: dict[tuple[float, tuple[float, ...]], list[Path]] = {}
    for path in files:
        ds = read_dataset(path, header_only=True)
        b_value = b_value_of(ds)
        if b_value is None:
            raise DicomError(
                "image has no diffusion b-value",
                file=path,
                field="DiffusionBValue (0018,9087)",
                hint="load a diffusion-weighted series (or give each b-value series)",
            )
        groups.setdefault((b_value, _direction(ds)), []).append(path)
    by_b: dict[float, list[Volume]] = {}
    for (b_value, _), paths in sorted(groups.items()):
        by_b.setdefault(b_value, []).append(load_volume(paths))
    if len(by_b) < 2:
        raise DicomError(
            f"diffusion data with {len(by_b)} b-value; at least two are needed",
            file=files[0],
            field="DiffusionBValue (0018,9087)",
        )
    notes: list[str] = []
    volumes: list[Volume] = []
    reference = next(iter(by_b.values()))[0]
    for b_value, members in sorted(by_b.items()):
        for member in members:
            if not member.grid.matches(reference.grid):
                raise SeriesGeometryError(
                    f"b = {b_value:g} images are on another grid than the first b-value",
                    file=member.source_files[0] if member.source_files else None,
                )
        if len(members) > 1:
            stacked = np.stack([np.clip(m.array, 1e-12, None) for m in members])
            combined = np.exp(np.log(stacked).mean(axis=0))
            notes.append(f"b = {b_value:g}: {len(members)} directions combined (geometric mean)")
            volumes.append(members[0].with_array(combined))
        else:
            volumes.append(members[0])
    return DwiSeries(tuple(sorted(by_b)), tuple(volumes), tuple(notes))
