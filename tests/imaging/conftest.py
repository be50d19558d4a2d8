"""Fixtures of the imaging tests: a small DICOM writer and the reference data folders.

The writer makes single-frame PET/CT series, NM multi-frame SPECT and RTSTRUCT files with
pydicom so that each test controls exactly one header quirk; the real data sets (suv-dro,
sts-petct) come from ``../shared/data`` through the ``shared_data`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

PET_CLASS = "1.2.840.10008.5.1.4.1.1.128"
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
MR_CLASS = "1.2.840.10008.5.1.4.1.1.4"
NM_CLASS = "1.2.840.10008.5.1.4.1.1.20"
RTSTRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"

SeriesWriter = Callable[..., list[Path]]


def _base(path: Path, sop_class: str, modality: str) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.PatientName = "SYNTHETIC^PHANTOM"
    ds.PatientID = "SYN-0001"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyDate = "20250101"
    ds.StudyTime = "100000"
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.Manufacturer = "theratrial tests"
    return ds


def _pixels(ds: Dataset, plane: NDArray[np.int64], *, signed: bool) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if signed else 0
    dtype = np.int16 if signed else np.uint16
    ds.PixelData = np.ascontiguousarray(plane.astype(dtype)).tobytes()


def write_series(
    folder: Path,
    values: NDArray[np.float64],
    *,
    modality: str = "PT",
    spacing_mm: tuple[float, float, float] = (4.0, 4.0, 4.0),
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0),
    slopes: Sequence[float] | None = None,
    positions_z: Sequence[float] | None = None,
    header: dict[str, Any] | None = None,
    per_slice: Callable[[int, Dataset], None] | None = None,
    frame_of_reference_uid: str | None = None,
    shuffle: bool = True,
) -> list[Path]:
    """Write ``values`` (z, y, x) as one single-frame series; return the files (shuffled names).

    PET slices store round(values / slope); CT slices store HU + 1024 with intercept -1024.
    """
    folder.mkdir(parents=True, exist_ok=True)
    nz, ny, nx = values.shape
    series_uid, study_uid = generate_uid(), generate_uid()
    frame_uid = frame_of_reference_uid or generate_uid()
    sop_class = {"PT": PET_CLASS, "CT": CT_CLASS, "MR": MR_CLASS}[modality]
    rng = np.random.default_rng(7)
    order = rng.permutation(nz) if shuffle else np.arange(nz)
    files: list[Path] = []
    for name_index, z in enumerate(order):
        path = folder / f"img_{name_index:03d}.dcm"
        ds = _base(path, sop_class, modality)
        ds.SeriesInstanceUID = series_uid
        ds.StudyInstanceUID = study_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.SeriesDescription = f"synthetic {modality}"
        ds.SeriesNumber = 1
        ds.InstanceNumber = int(z) + 1
        ds.Rows, ds.Columns = ny, nx
        ds.PixelSpacing = [spacing_mm[1], spacing_mm[0]]
        ds.SliceThickness = spacing_mm[2]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        z_mm = positions_z[z] if positions_z is not None else origin_mm[2] + z * spacing_mm[2]
        ds.ImagePositionPatient = [origin_mm[0], origin_mm[1], z_mm]
        plane = values[z]
        if modality == "CT":
            ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
            _pixels(ds, np.round(plane + 1024).astype(np.int64), signed=True)
        else:
            slope = slopes[z] if slopes is not None else 1.0
            ds.RescaleSlope, ds.RescaleIntercept = slope, 0
            _pixels(ds, np.round(plane / slope).astype(np.int64), signed=True)
        if modality == "PT":
            _pet_header(ds)
        for key, value in (header or {}).items():
            if value is None:
                if key in ds:
                    delattr(ds, key)
            else:
                setattr(ds, key, value)
        if per_slice is not None:
            per_slice(int(z), ds)
        ds.save_as(path, enforce_file_format=True)
        files.append(path)
    return files


def _pet_header(ds: Dataset) -> None:
    ds.Units = "BQML"
    ds.DecayCorrection = "START"
    ds.CorrectedImage = ["ATTN", "DECY", "SCAT"]
    ds.PatientWeight = 70.0
    ds.PatientSize = 1.75
    ds.PatientSex = "M"
    ds.SeriesDate = ds.AcquisitionDate = ds.StudyDate = "20250101"
    ds.SeriesTime = ds.AcquisitionTime = "110000"
    ds.ActualFrameDuration = 300000
    ds.FrameReferenceTime = 150000
    item = Dataset()
    item.Radiopharmaceutical = "FDG"
    item.RadionuclideTotalDose = 3.6808e8
    item.RadionuclideHalfLife = 6586.2
    item.RadiopharmaceuticalStartDateTime = "20250101100000"
    item.RadiopharmaceuticalStartTime = "100000"
    ds.RadiopharmaceuticalInformationSequence = [item]


def write_nm(
    path: Path,
    counts: NDArray[np.float64],
    *,
    spacing_mm: float = 4.8,
    units: str | None = "CNTS",
    slope: float | None = None,
    frame_of_reference_uid: str | None = None,
) -> Path:
    """Write a reconstructed SPECT (NM multi-frame, RECON TOMO) file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _base(path, NM_CLASS, "NM")
    ds.SeriesInstanceUID, ds.StudyInstanceUID = generate_uid(), generate_uid()
    ds.FrameOfReferenceUID = frame_of_reference_uid or generate_uid()
    ds.ImageType = ["ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION"]
    nz, ny, nx = counts.shape
    ds.NumberOfFrames, ds.Rows, ds.Columns = nz, ny, nx
    ds.PixelSpacing = [spacing_mm, spacing_mm]
    ds.SpacingBetweenSlices = ds.SliceThickness = spacing_mm
    ds.FrameIncrementPointer = 0x00540080
    ds.SliceVector = list(range(1, nz + 1))
    ds.NumberOfSlices = nz
    detector = Dataset()
    detector.ImagePositionPatient = [-100.0, -120.0, -50.0]
    detector.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.DetectorInformationSequence = [detector]
    rotation = Dataset()
    rotation.ActualFrameDuration = 20000
    rotation.NumberOfFramesInRotation = 60
    ds.RotationInformationSequence = [rotation]
    ds.SeriesDate = ds.AcquisitionDate = "20250102"
    ds.SeriesTime = ds.AcquisitionTime = "100000"
    ds.PatientWeight = 80.0
    item = Dataset()
    item.RadionuclideTotalDose = 7.4e9
    item.RadionuclideHalfLife = 6.647 * 86400
    item.RadiopharmaceuticalStartDateTime = "20250101100000"
    ds.RadiopharmaceuticalInformationSequence = [item]
    if units is not None:
        ds.Units = units
    stored = counts if slope is None else counts / slope
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, 0
    _pixels(ds, np.round(stored).astype(np.int64), signed=False)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_rtstruct(
    path: Path,
    rois: dict[str, list[NDArray[np.float64]]],
    *,
    frame_of_reference_uid: str,
) -> Path:
    """Write an RTSTRUCT whose ROIs are lists of closed planar contours (N x 3, mm)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _base(path, RTSTRUCT_CLASS, "RTSTRUCT")
    ds.SeriesInstanceUID, ds.StudyInstanceUID = generate_uid(), generate_uid()
    ref = Dataset()
    ref.FrameOfReferenceUID = frame_of_reference_uid
    ds.ReferencedFrameOfReferenceSequence = [ref]
    roi_items, contour_items = [], []
    for number, (name, contours) in enumerate(rois.items(), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ROIName = name
        roi.ReferencedFrameOfReferenceUID = frame_of_reference_uid
        roi_items.append(roi)
        item = Dataset()
        item.ReferencedROINumber = number
        sequence = []
        for points in contours:
            contour = Dataset()
            contour.ContourGeometricType = "CLOSED_PLANAR"
            contour.NumberOfContourPoints = len(points)
            contour.ContourData = [f"{v:.4f}" for v in np.asarray(points).ravel()]
            sequence.append(contour)
        item.ContourSequence = sequence
        contour_items.append(item)
    ds.StructureSetROISequence = roi_items
    ds.ROIContourSequence = contour_items
    ds.save_as(path, enforce_file_format=True)
    return path


def circle(
    centre_mm: tuple[float, float], radius_mm: float, z_mm: float, n: int = 64
) -> NDArray[np.float64]:
    """A closed planar circular contour (n points) on the plane z = ``z_mm``."""
    angles = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.column_stack(
        [
            centre_mm[0] + radius_mm * np.cos(angles),
            centre_mm[1] + radius_mm * np.sin(angles),
            np.full(n, z_mm),
        ]
    )


@pytest.fixture
def series_writer() -> SeriesWriter:
    """:func:`write_series`, as a fixture."""
    return write_series


@pytest.fixture(scope="session")
def dro_dir(shared_data: Path) -> Path:
    """``../shared/data/suv-dro`` (skips when absent)."""
    path = shared_data / "suv-dro"
    if not path.is_dir():
        pytest.skip("suv-dro reference data absent")
    return path


@pytest.fixture(scope="session")
def sts_dir(shared_data: Path) -> Path:
    """``../shared/data/sts-petct`` (skips when absent)."""
    path = shared_data / "sts-petct"
    if not path.is_dir():
        pytest.skip("sts-petct reference data absent")
    return path


@pytest.fixture
def nm_writer() -> Callable[..., Path]:
    """:func:`write_nm`, as a fixture."""
    return write_nm


@pytest.fixture
def rtstruct_writer() -> Callable[..., Path]:
    """:func:`write_rtstruct`, as a fixture."""
    return write_rtstruct


@pytest.fixture
def circle_contour() -> Callable[..., NDArray[np.float64]]:
    """:func:`circle`, as a fixture."""
    return circle
