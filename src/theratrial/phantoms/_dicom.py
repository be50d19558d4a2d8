"""DICOM writers of the virtual patients: CT, PET (single frames) and NM SPECT (multi-frame).

- CT Image Storage (1.2.840.10008.5.1.4.1.1.2): one file per slice, signed 16 bit,
  Rescale Slope (0028,1053) 1 and Rescale Intercept (0028,1052) -1024 give HU.
- PET Image Storage (1.2.840.10008.5.1.4.1.1.128): one file per slice, a Rescale Slope per
  slice giving Bq/mL, Units (0054,1001) BQML, Decay Correction (0054,1102) START (values at
  the series start), Frame Reference Time (0054,1300) = decay-weighted mid-frame time,
  Actual Frame Duration (0018,1242), Decay Factor (0054,1321), full Radiopharmaceutical
  Information Sequence (0054,0016).
- NM Image Storage (1.2.840.10008.5.1.4.1.1.20): one multi-frame RECON TOMO file; frames
  are the slices along +z (Frame Increment Pointer -> Slice Vector (0054,0080)); position
  and orientation in the Detector Information Sequence (0054,0022) as the NM IOD places
  them; one Rescale Slope; Units BQML (Bq/mL at the acquisition start) or CNTS (counts),
  with a Real World Value Mapping (0040,9096) in Bq/mL for BQML.

All geometry follows :class:`theratrial.phantoms.grid.Grid`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import Tag
from pydicom.uid import UID, ExplicitVRLittleEndian
from pydicom.valuerep import format_number_as_ds

from theratrial import __version__
from theratrial.nuclides import nuclide
from theratrial.phantoms.grid import Grid
from theratrial.phantoms.patient import Injection

__all__ = ["SeriesHeader", "deterministic_uid", "write_ct", "write_nm", "write_pet"]

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
PET_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
NM_STORAGE = "1.2.840.10008.5.1.4.1.1.20"

_RADIOPHARMACEUTICAL = {
    "Ga-68": "68Ga-DOTATATE",
    "Lu-177": "177Lu-DOTATATE",
    "Ac-225": "225Ac-DOTATATE",
}
# CID 4020 PET radionuclide (SNOMED CT); no code is written where CID 18 was not checked.
_RADIONUCLIDE_CODE = {"Ga-68": ("35337001", "SCT", "^68^Gallium")}
_POSITRON_FRACTION = {"Ga-68": 0.8891}
# Photopeak windows used for the header (keV): 177Lu 208 keV, 225Ac via Bi-213 440 keV.
_ENERGY_WINDOW = {
    "Lu-177": ("Lu177 208 keV", 187.2, 228.8),
    "Ac-225": ("Bi213 440 keV", 396.0, 484.0),
}


_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "theratrial.phantoms")


def deterministic_uid(*parts: object) -> str:
    """A UID ``2.25.<UUID as integer>`` (PS3.5 B.2) from a name-based UUID of ``parts``.

    Same parts, same UID: a virtual patient is reproducible down to its UIDs.

    Examples
    --------
    >>> deterministic_uid("VP-000001", 1, "ct") == deterministic_uid("VP-000001", 1, "ct")
    True
    >>> deterministic_uid("a").startswith("2.25.")
    True
    """
    name = "\x1f".join(str(p) for p in parts)
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, name).int}"


@dataclass(frozen=True, slots=True)
class SeriesHeader:
    """Patient, study and series facts shared by every file of a series."""

    patient_id: str
    sex: str
    age_y: int
    weight_kg: float
    height_cm: float
    study_uid: str
    study_time: datetime
    study_id: str
    series_uid: str
    series_number: int
    description: str
    frame_of_reference_uid: str
    start: datetime


def _da(t: datetime) -> str:
    return t.strftime("%Y%m%d")


def _tm(t: datetime) -> str:
    return t.strftime("%H%M%S") + f".{t.microsecond:06d}"


def _dt(t: datetime) -> str:
    return _da(t) + _tm(t)


def _ds(value: float) -> str:
    return format_number_as_ds(float(value))


def _base(h: SeriesHeader, sop_class: str, sop_uid: str, modality: str) -> Dataset:
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationVersionName = f"THERATRIAL_{__version__}"[:16]
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.Modality = modality
    # Patient module: pseudonymous identifiers only
    ds.PatientName = f"{h.patient_id}^"  # family name only (PS3.5 6.2.1.2)
    ds.PatientID = h.patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = h.sex
    ds.PatientAge = f"{h.age_y:03d}Y"
    ds.PatientWeight = _ds(h.weight_kg)
    ds.PatientSize = _ds(h.height_cm / 100.0)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "virtual patient (theratrial.phantoms), no real person"
    # General study
    ds.StudyInstanceUID = h.study_uid
    ds.StudyDate = _da(h.study_time)
    ds.StudyTime = _tm(h.study_time)
    ds.ReferringPhysicianName = ""
    ds.StudyID = h.study_id
    ds.AccessionNumber = ""
    # General series
    ds.SeriesInstanceUID = h.series_uid
    ds.SeriesNumber = h.series_number
    ds.SeriesDescription = h.description
    ds.SeriesDate = _da(h.start)
    ds.SeriesTime = _tm(h.start)
    ds.PatientPosition = "HFS"
    ds.FrameOfReferenceUID = h.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.Manufacturer = "theratrial"
    ds.ManufacturerModelName = "virtual patient"
    ds.SoftwareVersions = __version__
    ds.AcquisitionDate = _da(h.start)
    ds.AcquisitionTime = _tm(h.start)
    ds.ContentDate = _da(h.start)
    ds.ContentTime = _tm(h.start)
    ds.BodyPartExamined = "WHOLEBODY"
    return ds


def _pixel_module(ds: Dataset, rows: int, columns: int, *, signed: bool) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if signed else 0


def _plane(ds: Dataset, grid: Grid, k: int) -> None:
    x0, y0, z0 = grid.origin_xyz_mm
    dx, dy, dz = grid.spacing_xyz_mm
    z = z0 + k * dz
    ds.ImagePositionPatient = [_ds(x0), _ds(y0), _ds(z)]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [_ds(dy), _ds(dx)]
    ds.SliceThickness = _ds(dz)
    ds.SliceLocation = _ds(z)


def _save(ds: Dataset, path: Path) -> None:
    ds.save_as(path, enforce_file_format=True)


def write_ct(
    folder: Path, hu: NDArray[np.float32], grid: Grid, header: SeriesHeader
) -> list[Dataset]:
    """Write a CT series, one file per slice; returns the datasets (for the SEG)."""
    folder.mkdir(parents=True, exist_ok=True)
    stored = np.clip(np.rint(hu + 1024.0), -32768, 32767).astype(np.int16)
    out: list[Dataset] = []
    for k in range(grid.shape_zyx[0]):
        uid = deterministic_uid(header.series_uid, "slice", k)
        ds = _base(header, CT_STORAGE, uid, "CT")
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = k + 1
        _plane(ds, grid, k)
        _pixel_module(ds, grid.shape_zyx[1], grid.shape_zyx[2], signed=True)
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        ds.KVP = "120"
        ds.ConvolutionKernel = "virtual"
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
        ds.PixelData = np.ascontiguousarray(stored[k]).tobytes()
        _save(ds, folder / f"CT_{k + 1:04d}.dcm")
        out.append(ds)
    return out


def _radiopharmaceutical(injection: Injection) -> Dataset:
    name = injection.nuclide_name
    item = Dataset()
    item.Radiopharmaceutical = _RADIOPHARMACEUTICAL.get(name, name)
    item.RadiopharmaceuticalStartTime = _tm(injection.time)
    item.RadiopharmaceuticalStartDateTime = _dt(injection.time)
    item.RadionuclideTotalDose = _ds(injection.activity_mbq * 1e6)
    item.RadionuclideHalfLife = _ds(nuclide(name).half_life_h * 3600.0)
    if name in _POSITRON_FRACTION:
        item.RadionuclidePositronFraction = _ds(_POSITRON_FRACTION[name])
    code = Dataset()
    if name in _RADIONUCLIDE_CODE:
        value, scheme, meaning = _RADIONUCLIDE_CODE[name]
        code.CodeValue = value
        code.CodingSchemeDesignator = scheme
        code.CodeMeaning = meaning
        item.RadionuclideCodeSequence = DicomSequence([code])
    else:
        item.RadionuclideCodeSequence = DicomSequence([])
    return item


def frame_reference_time_ms(half_life_s: float, duration_s: float) -> float:
    """Decay-weighted mid-frame time (ms): (1/lambda) ln(lambda T / (1 - e^-lambda T)).

    QIBA SUV pseudo-code (reference sheet, section 3).
    """
    lam = math.log(2.0) / half_life_s
    x = lam * duration_s
    return 1000.0 * math.log(x / -math.expm1(-x)) / lam


def write_pet(
    folder: Path,
    bq_per_ml: NDArray[np.float32],
    grid: Grid,
    header: SeriesHeader,
    *,
    injection: Injection,
    duration_s: float,
) -> None:
    """Write a static PET series in Bq/mL (decay-corrected to the series start)."""
    folder.mkdir(parents=True, exist_ok=True)
    half_life_s = nuclide(injection.nuclide_name).half_life_h * 3600.0
    lam_t = math.log(2.0) / half_life_s * duration_s
    decay_factor = lam_t / -math.expm1(-lam_t)
    frt = frame_reference_time_ms(half_life_s, duration_s)
    nz = grid.shape_zyx[0]
    values = np.clip(bq_per_ml.astype(np.float64), 0.0, None)
    overall = float(values.max())
    # An empty slice gets the series-wide slope, never "1": readers such as ITK pick the
    # output pixel type from the first slice's rescale and would truncate later slices.
    fallback = _ds(overall / 32767.0) if overall > 0 else "0.001"
    # One dataset, updated slice by slice (building 100s of datasets dominates the time).
    ds = _base(header, PET_STORAGE, deterministic_uid(header.series_uid, "slice", 0), "PT")
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    _pixel_module(ds, grid.shape_zyx[1], grid.shape_zyx[2], signed=True)
    ds.RescaleIntercept = "0"
    ds.Units = "BQML"
    ds.CountsSource = "EMISSION"
    ds.SeriesType = ["STATIC", "IMAGE"]
    ds.DecayCorrection = "START"
    ds.CorrectedImage = ["DECY", "ATTN", "SCAT", "DTIM", "RAN", "NORM"]
    ds.ReconstructionMethod = "OSEM (virtual: Gaussian PSF + Poisson noise)"
    ds.NumberOfSlices = nz
    ds.FrameReferenceTime = _ds(frt)
    ds.ActualFrameDuration = round(duration_s * 1000.0)
    ds.DecayFactor = _ds(decay_factor)
    ds.DoseCalibrationFactor = "1"
    ds.RadiopharmaceuticalInformationSequence = DicomSequence([_radiopharmaceutical(injection)])
    for k in range(nz):
        uid = deterministic_uid(header.series_uid, "slice", k)
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = UID(uid)
        ds.InstanceNumber = k + 1
        ds.ImageIndex = k + 1
        _plane(ds, grid, k)
        plane = values[k]
        peak = float(plane.max())
        slope_text = _ds(peak / 32767.0) if peak > 0 else fallback
        slope = float(slope_text)
        if peak / slope > 32767.0:  # the decimal string rounded down
            slope_text = _ds(slope * (1.0 + 1e-9) + peak / 32767.0 * 1e-6)
            slope = float(slope_text)
        ds.RescaleSlope = slope_text
        stored = np.clip(np.rint(plane / slope), 0, 32767).astype(np.int16)
        ds.PixelData = stored.tobytes()
        _save(ds, folder / f"PT_{k + 1:04d}.dcm")


def write_nm(
    folder: Path,
    values: NDArray[np.float32],
    grid: Grid,
    header: SeriesHeader,
    *,
    injection: Injection,
    units: str,
    duration_s: float,
    views: int,
    comments: str,
) -> Path:
    """Write a reconstructed SPECT volume as one multi-frame NM file.

    ``values`` are Bq/mL at the acquisition start (``units="BQML"``) or counts per voxel
    (``units="CNTS"``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    uid = deterministic_uid(header.series_uid, "instance")
    ds = _base(header, NM_STORAGE, uid, "NM")
    nz, ny, nx = grid.shape_zyx
    ds.ImageType = ["ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION"]
    ds.InstanceNumber = 1
    ds.NumberOfFrames = nz
    ds.FrameIncrementPointer = Tag(0x0054, 0x0080)
    ds.SliceVector = list(range(1, nz + 1))
    ds.NumberOfSlices = nz
    x0, y0, z0 = grid.origin_xyz_mm
    dx, dy, dz = grid.spacing_xyz_mm
    ds.PixelSpacing = [_ds(dy), _ds(dx)]
    ds.SliceThickness = _ds(dz)
    ds.SpacingBetweenSlices = _ds(dz)
    detector = Dataset()
    detector.ImagePositionPatient = [_ds(x0), _ds(y0), _ds(z0)]
    detector.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.DetectorInformationSequence = DicomSequence([detector])
    ds.NumberOfDetectors = 2
    rotation = Dataset()
    rotation.NumberOfFramesInRotation = views
    rotation.ActualFrameDuration = round(duration_s / views * 1000.0)
    ds.RotationInformationSequence = DicomSequence([rotation])
    ds.NumberOfRotations = 1
    ds.ActualFrameDuration = round(duration_s / views * 1000.0)
    window_name, low, high = _ENERGY_WINDOW[injection.nuclide_name]
    window = Dataset()
    window.EnergyWindowName = window_name
    rng_item = Dataset()
    rng_item.EnergyWindowLowerLimit = _ds(low)
    rng_item.EnergyWindowUpperLimit = _ds(high)
    window.EnergyWindowRangeSequence = DicomSequence([rng_item])
    ds.EnergyWindowInformationSequence = DicomSequence([window])
    ds.NumberOfEnergyWindows = 1
    ds.RadiopharmaceuticalInformationSequence = DicomSequence([_radiopharmaceutical(injection)])
    ds.Units = units
    ds.DecayCorrection = "START" if units == "BQML" else "NONE"
    # Bq/mL at acquisition start are decay-corrected to START: (0028,0051) says DECY too
    ds.CorrectedImage = ["DECY", "ATTN", "SCAT"] if units == "BQML" else ["ATTN", "SCAT"]
    ds.ImageComments = comments[:10240]
    _pixel_module(ds, ny, nx, signed=False)
    data = np.clip(values.astype(np.float64), 0.0, None)
    peak = float(data.max())
    slope_text = _ds(peak / 65535.0) if peak > 0 else "0.001"
    if units == "CNTS":
        slope_text = "1"
    slope = float(slope_text)
    if peak / slope > 65535.0:  # the decimal string rounded down
        slope_text = _ds(slope + peak / 65535.0 * 1e-6)
        slope = float(slope_text)
    ds.RescaleSlope = slope_text
    ds.RescaleIntercept = "0"
    stored = np.clip(np.rint(data / slope), 0, 65535).astype(np.uint16)
    if units == "BQML":
        ds.RealWorldValueMappingSequence = DicomSequence([_rwv(slope, int(stored.max()))])
    ds.PixelData = stored.tobytes()
    path = folder / "NM_0001.dcm"
    _save(ds, path)
    return path


def _rwv(slope: float, last: int) -> Dataset:
    item = Dataset()
    item.LUTLabel = "Bq/ml"
    item.LUTExplanation = "activity concentration at acquisition start"
    unit = Dataset()
    unit.CodeValue = "Bq/ml"
    unit.CodingSchemeDesignator = "UCUM"
    unit.CodeMeaning = "Becquerels/milliliter"
    item.MeasurementUnitsCodeSequence = DicomSequence([unit])
    item.RealWorldValueFirstValueMapped = 0
    item.RealWorldValueLastValueMapped = max(last, 1)
    item.RealWorldValueIntercept = 0.0
    item.RealWorldValueSlope = slope
    return item


def ct_datasets_sorted(datasets: Sequence[Dataset]) -> list[Dataset]:
    """CT datasets in slice order (for the SEG's source images)."""
    return sorted(datasets, key=lambda d: float(d.ImagePositionPatient[2]))
