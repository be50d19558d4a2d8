"""An absorbed-dose map (Gy) as an RT Dose instance (DICOM PS3.3 A.18, C.8.8.3), with pydicom.

The map lies on the study's grid (axial slices, the source series' orientation): one
multi-frame image, (3004,000C) Grid Frame Offset Vector relative to the first frame's
(0020,0032) Image Position Patient, (0028,0009) Frame Increment Pointer to it. Voxels are
stored as unsigned integers, 16 bits by default (32 on request); dose = stored value x
(3004,000E) Dose Grid Scaling, with the scaling chosen so the maximum uses the full range: the
quantisation error is at most half a step, 7.7e-6 of the maximum with 16 bits (2.4e-10 with
32). 16 bits is the default because Debian's dicom3tools (``dciodvfy``) aborts on 32-bit
pixel data. (3004,0002) Dose Units GY, (3004,0004) Dose Type PHYSICAL, (3004,000A) Dose
Summation Type PLAN_OVERVIEW: PLAN, FRACTION, BRACHY and the others require (300C,0002)
Referenced RT Plan Sequence and RECORD requires (3008,0030) Referenced Treatment Record
Sequence, and a radiopharmaceutical therapy has neither object to reference
(``dciodvfy`` reports PLAN_OVERVIEW, a later defined term, as a warning only).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian

from theratrial.errors import DicomError
from theratrial.imaging.grid import Grid

__all__ = ["RT_DOSE_STORAGE", "build_rt_dose", "rt_dose_array"]

RT_DOSE_STORAGE = "1.2.840.10008.5.1.4.1.1.481.2"
_COPIED = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "PatientWeight",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
    "FrameOfReferenceUID",
    "PositionReferenceIndicator",
)


def _check_grid(grid: Grid) -> None:
    d = np.asarray(grid.direction, dtype=np.float64).reshape(3, 3)
    normal = np.cross(d[:, 0], d[:, 1])
    if not np.allclose(d[:, 2], normal, atol=1e-6):
        raise DicomError(
            "the dose grid's slices are not stacked along the row x column normal",
            hint="resample the dose map onto an axial grid with ascending slices",
        )


def _scaling_text(peak_gy: float, max_stored: int) -> str:
    """Dose Grid Scaling as a DS string (16 characters at most), never below peak / max."""
    if peak_gy <= 0:
        return "1"
    exact = peak_gy / max_stored
    for digits in range(9, 0, -1):
        text = f"{exact:.{digits}e}"
        if len(text) <= 16:
            break
    value = float(text)
    while value * max_stored < peak_gy:
        value = float(f"{value * (1 + 10.0**-digits):.{digits}e}")
    return f"{value:.{digits}e}"


def build_rt_dose(
    dose_gy: NDArray[np.float64],
    grid: Grid,
    reference: Dataset,
    *,
    series_uid: str,
    sop_uid: str,
    series_number: int = 902,
    bits_allocated: int = 16,
) -> Dataset:
    """An RT Dose data set of ``dose_gy`` (``(z, y, x)``, Gy) on ``grid``.

    Patient, study and frame of reference come from ``reference`` (an image of the study);
    ``bits_allocated`` is 16 or 32.

    Examples
    --------
    >>> import numpy as np
    >>> from pydicom.dataset import Dataset
    >>> from theratrial.imaging.grid import Grid
    >>> ref = Dataset(); ref.StudyInstanceUID = "1.2.3"; ref.PatientID = "VP-1"
    >>> g = Grid((2, 2, 3), (0.0, 0.0, 0.0), (2.0, 2.0, 4.0), (1, 0, 0, 0, 1, 0, 0, 0, 1), "1.2.4")
    >>> ds = build_rt_dose(np.full((2, 2, 3), 1.5), g, ref, series_uid="1.2.5", sop_uid="1.2.6")
    >>> ds.DoseUnits, ds.DoseType, [float(v) for v in ds.GridFrameOffsetVector]
    ('GY', 'PHYSICAL', [0.0, 4.0])
    >>> abs(float(rt_dose_array(ds).max()) - 1.5) < 1.5 * 7.7e-6
    True
    """
    dose = np.asarray(dose_gy, dtype=np.float64)
    if dose.shape != grid.shape:
        raise DicomError(
            f"the dose map has shape {dose.shape}, the study grid {grid.shape}",
            field="--dose-map",
            hint="give a dose map on the study's voxel grid",
        )
    if not np.all(np.isfinite(dose)) or float(dose.min()) < 0.0:
        raise DicomError(
            "the dose map has negative or non-finite values",
            field="--dose-map",
            hint="give absorbed dose in Gy (finite, >= 0)",
        )
    _check_grid(grid)
    if bits_allocated not in (16, 32):
        raise DicomError(f"bits_allocated must be 16 or 32, got {bits_allocated}")
    peak = float(dose.max())
    scaling_text = _scaling_text(peak, 2**bits_allocated - 1)
    scaling = float(scaling_text)  # quantise with the value exactly as stored
    stored = np.rint(dose / scaling).astype(np.uint16 if bits_allocated == 16 else np.uint32)
    now = _dt.datetime.now()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = UID(RT_DOSE_STORAGE)
    ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    for keyword in _COPIED:
        ds.setdefault(keyword, reference.get(keyword, ""))
    if not ds.FrameOfReferenceUID:
        ds.FrameOfReferenceUID = grid.frame_of_reference_uid
    if not ds.FrameOfReferenceUID:
        raise DicomError(
            "no Frame of Reference UID for the dose grid",
            field="FrameOfReferenceUID",
            hint="the study's images need (0020,0052)",
        )
    ds.SOPClassUID = RT_DOSE_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "RTDOSE"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = "theratrial absorbed dose"
    ds.InstanceNumber = 1
    ds.Manufacturer = "theratrial"
    ds.OperatorsName = ""
    ds.ContentDate = now.strftime("%Y%m%d")
    ds.ContentTime = now.strftime("%H%M%S")
    ds.InstanceCreationDate, ds.InstanceCreationTime = ds.ContentDate, ds.ContentTime
    ds.ImageType = ["DERIVED", "SECONDARY"]
    d = np.asarray(grid.direction, dtype=np.float64).reshape(3, 3)
    ds.ImagePositionPatient = [f"{v:.6f}" for v in grid.origin_mm]
    ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*d[:, 0], *d[:, 1])]
    sx, sy, sz = grid.spacing_mm
    ds.PixelSpacing = [f"{sy:.6f}", f"{sx:.6f}"]  # row spacing, column spacing
    ds.SliceThickness = f"{sz:.6f}"
    ds.GridFrameOffsetVector = [f"{k * sz:.6f}" for k in range(grid.shape[0])]
    ds.FrameIncrementPointer = 0x3004000C
    ds.NumberOfFrames = grid.shape[0]
    ds.Rows, ds.Columns = grid.shape[1], grid.shape[2]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = bits_allocated
    ds.HighBit = bits_allocated - 1
    ds.PixelRepresentation = 0
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN_OVERVIEW"
    ds.DoseGridScaling = scaling_text
    ds.DoseComment = "absorbed dose of a radiopharmaceutical therapy (theratrial)"
    ds.PixelData = stored.tobytes()
    return ds


def rt_dose_array(ds: Dataset) -> NDArray[np.float64]:
    """Absorbed dose (Gy, ``(z, y, x)``) of an RT Dose data set: pixels x Dose Grid Scaling."""
    pixels = np.asarray(ds.pixel_array, dtype=np.float64)
    if pixels.ndim == 2:
        pixels = pixels[np.newaxis]
    return pixels * float(ds.DoseGridScaling)
