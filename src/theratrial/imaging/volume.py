"""A 3-D image with its geometry, units and quantification header, and how to load one.

``load_volume`` accepts a :class:`~theratrial.imaging.series.SeriesRef`, a folder holding
one image series, a list of the files of one series, one multi-frame DICOM file (NM/SPECT,
enhanced CT/MR/PET) or a NIfTI file. Stored pixel values go through the modality LUT of
each slice ((0028,1053) Rescale Slope, (0028,1052) Rescale Intercept), so PET slices with
different slopes come out in one consistent unit.

Examples
--------
>>> import numpy as np
>>> from theratrial.imaging.grid import Grid
>>> grid = Grid((2, 2, 2), (0.0, 0.0, 0.0), (4.0, 4.0, 4.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
>>> vol = Volume(np.ones((2, 2, 2)), grid, modality="NM", units="BQML")
>>> vol.shape, vol.voxel_volume_ml
((2, 2, 2), 0.064)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import DicomError
from theratrial.imaging._assemble import assemble_slices
from theratrial.imaging._dicomio import (
    combine_date_time,
    get_float,
    get_str,
    parse_da,
    parse_dt,
    parse_tm,
    read_dataset,
)
from theratrial.imaging._multiframe import (
    NM_SOP_CLASS,
    header_view,
    read_enhanced,
    read_nifti,
    read_nm,
)
from theratrial.imaging.grid import Grid
from theratrial.imaging.petheader import PetHeader, read_pet_header
from theratrial.imaging.series import SeriesRef, single_image_series

__all__ = ["Volume", "load_volume"]


@dataclass(frozen=True, slots=True, eq=False)
class Volume:
    """A 3-D image: float64 array indexed ``(z, y, x)`` and its grid.

    Attributes
    ----------
    array
        Voxel values after the modality LUT (Bq/mL for PET BQML, HU for CT, ...).
    grid
        Geometry (origin, spacing, direction, frame of reference); see :class:`Grid`.
    modality
        (0008,0060) Modality: PT, NM, CT, MR ("" for NIfTI).
    units
        (0054,1001) Units for PET/NM (BQML, GML, CM2ML, CNTS), ``HU`` for CT, "" when
        unknown; derived volumes use ``g/mL`` (SUV), ``cm2/mL`` (SUVbsa), ``mm2/s`` (ADC).
    series_uid, study_uid
        (0020,000E) and (0020,000D).
    description
        (0008,103E) Series Description.
    pet
        Quantification header (PET and NM), ``None`` for other modalities.
    acquisition_datetime
        Start of acquisition: earliest (0008,002A)/(0008,0022)+(0008,0032), else the
        series date-time.
    acquisition_duration_s
        (0018,1242) Actual Frame Duration for PET; for NM the rotation time
        (frame duration x frames in rotation, (0054,0052)); ``None`` when unknown.
    source_files
        The files read.
    notes
        What the loader noticed (duplicate files ignored, defaults taken).
    """

    array: NDArray[np.float64]
    grid: Grid
    modality: str = ""
    units: str = ""
    series_uid: str = ""
    study_uid: str = ""
    description: str = ""
    pet: PetHeader | None = None
    acquisition_datetime: datetime | None = None
    acquisition_duration_s: float | None = None
    source_files: tuple[Path, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape ``(z, y, x)``."""
        return self.grid.shape

    @property
    def origin_mm(self) -> tuple[float, float, float]:
        """Centre of voxel (0, 0, 0), mm, LPS ``(x, y, z)``."""
        return self.grid.origin_mm

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Voxel size along x, y, z in mm."""
        return self.grid.spacing_mm

    @property
    def direction(self) -> tuple[float, ...]:
        """Row-major 3x3 direction cosines (columns: x, y, z axes)."""
        return self.grid.direction

    @property
    def frame_of_reference_uid(self) -> str:
        """(0020,0052) Frame of Reference UID ("" when unknown)."""
        return self.grid.frame_of_reference_uid

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel, mL."""
        return self.grid.voxel_volume_ml

    def with_array(self, array: NDArray[np.float64], *, units: str | None = None) -> Volume:
        """A copy on the same grid with other values (and optionally other units)."""
        if array.shape != self.array.shape:
            raise ValueError(f"shape {array.shape} differs from {self.array.shape}")
        return replace(self, array=array, units=self.units if units is None else units)


def _acquisition_start(datasets: Sequence[Dataset], pet: PetHeader | None) -> datetime | None:
    if pet is not None and pet.earliest_acquisition is not None:
        return pet.earliest_acquisition
    times: list[datetime] = []
    for ds in datasets:
        moment = parse_dt(get_str(ds, "AcquisitionDateTime")) or combine_date_time(
            parse_da(get_str(ds, "AcquisitionDate") or get_str(ds, "SeriesDate")),
            parse_tm(get_str(ds, "AcquisitionTime")),
        )
        if moment is not None:
            times.append(moment)
    if times:
        return min(times)
    first = datasets[0]
    return combine_date_time(
        parse_da(get_str(first, "SeriesDate")),
        parse_tm(get_str(first, "SeriesTime")),
    )


def _nm_duration_s(ds: Dataset) -> float | None:
    rotation = ds.get("RotationInformationSequence")
    if rotation:
        item = rotation[0]
        frame_ms = get_float(item, "ActualFrameDuration")
        frames = get_float(item, "NumberOfFramesInRotation")
        if frame_ms is not None and frames is not None:
            return frame_ms * frames / 1000.0
    frame_ms = get_float(ds, "ActualFrameDuration")
    return None if frame_ms is None else frame_ms / 1000.0


def _units_for(modality: str, pet: PetHeader | None, datasets: Sequence[Dataset]) -> str:
    if pet is not None and pet.units:
        return pet.units
    if modality == "CT":
        return "HU"
    if modality == "NM":
        return "CNTS"
    rescale_type = get_str(datasets[0], "RescaleType")
    return rescale_type or ""


def load_volume(
    source: SeriesRef | str | Path | Sequence[str | Path],
    *,
    units: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Volume:
    """Load one image series (or a multi-frame file, or a NIfTI file) as a :class:`Volume`.

    Parameters
    ----------
    source
        A :class:`SeriesRef` from :func:`discover`, a folder holding exactly one image
        series (other objects such as RTSTRUCT are ignored), the list of files of one
        series, one multi-frame DICOM file, or a ``.nii``/``.nii.gz`` file.
    units
        Override the units (needed for NIfTI, whose header carries none).
    progress
        Called as ``progress(done, total)`` while files are read.

    Raises
    ------
    DicomError
        Not DICOM, corrupt, no or several image series in a folder.
    SeriesGeometryError
        Missing or duplicated slices, mixed orientations.
    """
    datasets: list[Dataset | None] | None = None
    if isinstance(source, SeriesRef):
        files = list(source.files)
        datasets = list(source.datasets) if len(source.datasets) == len(files) else None
    elif isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            ref = single_image_series(path)
            files, datasets = list(ref.files), list(ref.datasets)
        elif path.name.lower().endswith((".nii", ".nii.gz")):
            array, grid = read_nifti(path)
            return Volume(array, grid, units=units or "", source_files=(path,))
        elif path.is_file():
            files = [path]
        else:
            raise FileNotFoundError(2, "No such file or directory", str(path))
    else:
        files = [Path(p) for p in source]
    if not files:
        raise DicomError("no files given for the series", hint="pass at least one DICOM file")
    volume = _load_dicom(files, datasets, progress)
    return volume if units is None else replace(volume, units=units)


def _load_dicom(
    files: list[Path],
    known: list[Dataset | None] | None,
    progress: Callable[[int, int], None] | None,
) -> Volume:
    first = known[0] if known else None
    if first is None:
        first = read_dataset(files[0])
        known = [first, *([None] * (len(files) - 1))] if known is None else [first, *known[1:]]
    frames = int(get_float(first, "NumberOfFrames") or 1)
    sop_class = get_str(first, "SOPClassUID") or ""
    notes: list[str] = []
    if len(files) == 1 and (frames > 1 or sop_class == NM_SOP_CLASS):
        ds = first
        if sop_class == NM_SOP_CLASS:
            array, grid, notes = read_nm(files[0], ds)
            duration = _nm_duration_s(ds)
            datasets: list[Dataset] = [ds]
        else:
            array, grid, notes = read_enhanced(files[0], ds)
            datasets = [header_view(ds)]
            duration_ms = get_float(datasets[0], "ActualFrameDuration")
            duration = None if duration_ms is None else duration_ms / 1000.0
    else:
        stack = assemble_slices(files, datasets=known, progress=progress)
        array, grid, notes = stack.array, stack.grid, stack.notes
        datasets = list(stack.datasets)
        files = stack.files
        duration_ms = get_float(stack.datasets[0], "ActualFrameDuration")
        duration = None if duration_ms is None else duration_ms / 1000.0
    head = datasets[0]
    modality = (get_str(head, "Modality") or "").upper()
    pet = None
    if modality in ("PT", "NM"):
        pet = read_pet_header(datasets)
        if len(pet.acquisition_datetimes) != array.shape[0]:
            pet = replace(
                pet,
                acquisition_datetimes=pet.acquisition_datetimes[:1] * array.shape[0],
                frame_durations_ms=pet.frame_durations_ms[:1] * array.shape[0],
                frame_reference_times_ms=pet.frame_reference_times_ms[:1] * array.shape[0],
                philips_suv_factors=pet.philips_suv_factors[:1] * array.shape[0],
                philips_activity_factors=pet.philips_activity_factors[:1] * array.shape[0],
            )
    return Volume(
        array=array,
        grid=grid,
        modality=modality,
        units=_units_for(modality, pet, datasets),
        series_uid=get_str(head, "SeriesInstanceUID") or "",
        study_uid=get_str(head, "StudyInstanceUID") or "",
        description=get_str(head, "SeriesDescription") or "",
        pet=pet,
        acquisition_datetime=_acquisition_start(datasets, pet),
        acquisition_duration_s=duration,
        source_files=tuple(files),
        notes=tuple(notes),
    )
