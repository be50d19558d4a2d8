"""Benchmark of the imaging pipeline: load a series, SUV, one VOI; SUVpeak on a large VOI.

Run as ``.venv/bin/python benchmarks/bench_imaging.py``. Prints seconds and peak memory:

1. an IBSI-SUV DRO series (20 x 256 x 256, ../shared/data/suv-dro/DRO_1_0) with its NIfTI
   mask (skipped when the reference data are absent);
2. a synthetic 300-slice 192 x 192 PET (written to a temporary folder) with an RTSTRUCT VOI;
3. SUVpeak (PERCIST 1 cm^3 sphere, FFT correlation) on VOIs of growing size.

Peak memory is the tracemalloc peak of Python and NumPy allocations during the step.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from theratrial.imaging import (
    Grid,
    Mask,
    Volume,
    compute_suv,
    load_mask,
    load_volume,
    suv_peak,
    voi_statistics,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("THERATRIAL_SHARED_DIR", ROOT.parent / "shared")) / "data"


def measure(label: str, step: Callable[[], Any]) -> Any:
    """Run ``step`` twice: untraced for the wall time (s), traced for the peak memory (MiB)."""
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<62s} {seconds:7.3f} s   peak {peak / 2**20:7.1f} MiB")
    return result


def _pipeline(series: Path | list[Path], mask: Path, roi: str | None = None) -> float:
    volume = load_volume(series)
    suv = compute_suv(volume, suv_type="bw")
    region = load_mask(mask, reference=suv.volume, roi=roi)
    return voi_statistics(suv.volume, region).peak


def _write_pet(folder: Path, n_slices: int = 300, size: int = 192) -> tuple[list[Path], str]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    series_uid, study_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    yy, xx = np.mgrid[:size, :size]
    body = (
        (yy - size / 2) ** 2 / (0.35 * size) ** 2 + (xx - size / 2) ** 2 / (0.45 * size) ** 2
    ) < 1
    files = []
    for z in range(n_slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.128"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = folder / f"pt_{z:04d}.dcm"
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = (
            meta.MediaStorageSOPClassUID,
            meta.MediaStorageSOPInstanceUID,
        )
        ds.Modality, ds.SeriesInstanceUID, ds.StudyInstanceUID = "PT", series_uid, study_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.Rows = ds.Columns = size
        ds.PixelSpacing = [4.0, 4.0]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-384.0, -384.0, -900.0 + 3.0 * z]
        activity = np.where(body, rng.gamma(20.0, 3600.0 / 20.0, (size, size)), 0.0)
        slope = float(activity.max() / 32000.0) or 1.0
        ds.RescaleSlope, ds.RescaleIntercept = slope, 0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit, ds.PixelRepresentation = 15, 1
        ds.PixelData = np.round(activity / slope).astype(np.int16).tobytes()
        ds.Units, ds.DecayCorrection, ds.CorrectedImage = "BQML", "START", ["ATTN", "DECY"]
        ds.PatientWeight, ds.PatientSize, ds.PatientSex = 75.0, 1.8, "F"
        ds.SeriesDate = ds.AcquisitionDate = "20250101"
        ds.SeriesTime, ds.AcquisitionTime = "110000", "110000"
        ds.ActualFrameDuration, ds.FrameReferenceTime = 120000, 60000
        item = Dataset()
        item.RadionuclideTotalDose, item.RadionuclideHalfLife = 2.0e8, 4057.7
        item.RadiopharmaceuticalStartDateTime = "20250101100000"
        ds.RadiopharmaceuticalInformationSequence = [item]
        ds.save_as(path, enforce_file_format=True)
        files.append(path)
    return files, frame_uid


def _write_rtstruct(path: Path, frame_uid: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = (
        meta.MediaStorageSOPClassUID,
        meta.MediaStorageSOPInstanceUID,
    )
    ds.Modality, ds.SeriesInstanceUID = "RTSTRUCT", generate_uid()
    roi = Dataset()
    roi.ROINumber, roi.ROIName, roi.ReferencedFrameOfReferenceUID = 1, "liver", frame_uid
    ds.StructureSetROISequence = [roi]
    contours = []
    angles = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    for z in np.arange(-600.0, -450.0, 3.0):  # 50 planes of a 8 cm radius cylinder (~3 L)
        contour = Dataset()
        contour.ContourGeometricType = "CLOSED_PLANAR"
        points = np.column_stack([-60 + 80 * np.cos(angles), 20 + 80 * np.sin(angles),
                                  np.full(angles.size, z)])  # fmt: skip
        contour.NumberOfContourPoints = angles.size
        contour.ContourData = [f"{v:.3f}" for v in points.ravel()]
        contours.append(contour)
    item = Dataset()
    item.ReferencedROINumber = 1
    item.ContourSequence = contours
    ds.ROIContourSequence = [item]
    ds.save_as(path, enforce_file_format=True)


def main() -> None:
    print("theratrial imaging benchmark")
    dro = SHARED / "suv-dro" / "DRO_1_0"
    if dro.is_dir():
        measure(
            "DRO_1_0 (20x256x256): load + SUVbw + NIfTI VOI + stats",
            lambda: _pipeline(dro / "PT", dro / "mask" / "DRO_mask.nii.gz"),
        )
    else:
        print("suv-dro absent: DRO timing skipped")
    with tempfile.TemporaryDirectory() as tmp:
        files, frame_uid = _write_pet(Path(tmp) / "pet")
        _write_rtstruct(Path(tmp) / "rs.dcm", frame_uid)
        measure(
            "PET 300x192x192: load + SUVbw + RTSTRUCT VOI (3 L) + stats",
            lambda: _pipeline(files, Path(tmp) / "rs.dcm"),
        )
        volume = measure("PET 300x192x192: load only (300 files)", lambda: load_volume(files))
        print(f"{'  volume array':<58s} {volume.array.nbytes / 2**20:8.1f} MiB (float64)")
    rng = np.random.default_rng(5)
    grid = Grid((300, 192, 192), (0.0, 0.0, 0.0), (4.0, 4.0, 3.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
    image = Volume(rng.gamma(4.0, 0.5, grid.shape), grid, "PT", "g/mL")
    for label, box in (
        ("lesion", np.s_[100:106, 90:96, 90:96]),
        ("liver-sized", np.s_[100:130, 60:94, 60:95]),
        ("body-sized", np.s_[50:150, 40:104, 40:105]),
        ("stress", np.s_[20:280, 20:172, 40:100]),
    ):
        voi = np.zeros(grid.shape, bool)
        voi[box] = True
        mask = Mask(voi, grid, "voi")
        text = f"SUVpeak, {label} VOI: {mask.volume_ml:.0f} mL, {mask.n_voxels} voxels"
        measure(text, lambda m=mask: suv_peak(image, m))


if __name__ == "__main__":
    main()
