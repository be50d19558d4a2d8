"""DICOM correctness of the written series, checked with pydicom and SimpleITK."""

from __future__ import annotations

import math
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk  # noqa: N813

from theratrial.phantoms import PatientFiles
from theratrial.phantoms._dicom import frame_reference_time_ms

CT, PET, NM, SEG = (
    "1.2.840.10008.5.1.4.1.1.2",
    "1.2.840.10008.5.1.4.1.1.128",
    "1.2.840.10008.5.1.4.1.1.20",
    "1.2.840.10008.5.1.4.1.1.66.4",
)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.dcm"))


def read_series(folder: Path) -> sitk.Image:
    """Read a DICOM series (or one multi-frame file) with SimpleITK."""
    files = _files(folder)
    if len(files) == 1:
        return sitk.ReadImage(str(files[0]))
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def test_every_file_reads_with_pydicom_and_shares_one_frame_of_reference(
    realistic_patient: PatientFiles,
) -> None:
    frames, classes = set(), set()
    for path in (realistic_patient.patient_dir / "dicom").rglob("*.dcm"):
        ds = pydicom.dcmread(path)
        frames.add(ds.FrameOfReferenceUID)
        classes.add(ds.SOPClassUID)
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.PatientID.startswith("VP-")
    assert frames == {realistic_patient.truth["frame_of_reference_uid"]}
    assert classes == {CT, PET, NM, SEG}


def test_simpleitk_reads_every_image_series_on_the_truth_grid(
    realistic_patient: PatientFiles,
) -> None:
    grid = realistic_patient.truth["grid"]
    for name, folder in realistic_patient.series.items():
        img = read_series(folder)
        assert img.GetSize() == tuple(reversed(grid["shape_zyx"])), name
        assert img.GetSpacing() == pytest.approx(grid["spacing_xyz_mm"], abs=1e-4), name
        assert img.GetOrigin() == pytest.approx(grid["origin_xyz_mm"], abs=1e-3), name
        assert img.GetDirection() == pytest.approx(grid["direction"])


def test_ct_numbers_follow_the_tissues(realistic_patient: PatientFiles) -> None:
    hu = sitk.GetArrayFromImage(read_series(realistic_patient.series["ct"]))
    masks = realistic_patient.patient_dir / "masks"
    import nibabel as nib

    def mean_in(name: str) -> float:
        m = np.asarray(nib.load(masks / f"{name}.nii.gz").dataobj).transpose(2, 1, 0) > 0
        from scipy import ndimage

        core = ndimage.binary_erosion(m)
        return float(hu[core if core.any() else m].mean())

    assert mean_in("liver") == pytest.approx(60.0, abs=8.0)
    assert mean_in("lung_left") == pytest.approx(-750.0, abs=30.0)
    assert mean_in("bone_marrow") > 150.0
    assert float(hu[0, 0, 0]) == pytest.approx(-1000.0, abs=50.0)


def test_pet_header_has_what_suv_needs(realistic_patient: PatientFiles) -> None:
    truth = realistic_patient.truth
    files = _files(realistic_patient.series["pet_ga68"])
    first, mid = pydicom.dcmread(files[0]), pydicom.dcmread(files[len(files) // 2])
    assert first.Units == "BQML"
    assert first.DecayCorrection == "START"
    assert first.SeriesType == ["STATIC", "IMAGE"]
    rp = first.RadiopharmaceuticalInformationSequence[0]
    assert float(rp.RadionuclideTotalDose) == pytest.approx(truth["ga68_pet"]["activity_mbq"] * 1e6)
    assert float(rp.RadionuclideHalfLife) == pytest.approx(67.71 * 60, abs=1.0)
    assert rp.RadionuclideCodeSequence[0].CodeValue == "35337001"
    start = datetime.strptime(rp.RadiopharmaceuticalStartDateTime[:14], "%Y%m%d%H%M%S")
    assert start.isoformat() == truth["ga68_pet"]["injection_datetime"]
    assert float(first.PatientWeight) == pytest.approx(truth["patient"]["weight_kg"])
    assert float(first.PatientSize) == pytest.approx(truth["patient"]["height_cm"] / 100)
    assert first.PatientSex == truth["patient"]["sex"]
    assert first.SeriesTime == first.AcquisitionTime
    duration_s = first.ActualFrameDuration / 1000.0
    assert float(first.FrameReferenceTime) == pytest.approx(
        frame_reference_time_ms(float(rp.RadionuclideHalfLife), duration_s), rel=1e-6
    )
    assert float(first.RescaleSlope) != float(mid.RescaleSlope)  # one slope per slice


def test_frame_reference_time_is_the_decay_weighted_mid_frame() -> None:
    # T_ave = (1/lambda) ln(lambda T / (1 - exp(-lambda T))): half the frame when lambda -> 0
    assert frame_reference_time_ms(1e12, 180.0) == pytest.approx(90_000.0, rel=1e-6)
    lam = math.log(2) / 4062.6
    expected = math.log(lam * 600 / (1 - math.exp(-lam * 600))) / lam * 1000
    assert frame_reference_time_ms(4062.6, 600.0) == pytest.approx(expected)


def test_nm_spect_header(realistic_patient: PatientFiles) -> None:
    ds = pydicom.dcmread(_files(realistic_patient.series["spect_c1_096h"])[0])
    assert ds.SOPClassUID == NM
    assert list(ds.ImageType) == ["ORIGINAL", "PRIMARY", "RECON TOMO", "EMISSION"]
    assert ds.NumberOfFrames == realistic_patient.truth["grid"]["shape_zyx"][0]
    assert ds.FrameIncrementPointer == 0x00540080
    assert ds.Units == "BQML"
    # Decay Correction START and Corrected Image agree (values at acquisition start)
    assert ds.DecayCorrection == "START"
    assert "DECY" in list(ds.CorrectedImage)
    det = ds.DetectorInformationSequence[0]
    assert [float(v) for v in det.ImagePositionPatient] == pytest.approx(
        realistic_patient.truth["grid"]["origin_xyz_mm"], abs=1e-3
    )
    rwv = ds.RealWorldValueMappingSequence[0]
    assert rwv.MeasurementUnitsCodeSequence[0].CodeValue == "Bq/ml"
    assert rwv.RealWorldValueSlope == pytest.approx(float(ds.RescaleSlope))
    rp = ds.RadiopharmaceuticalInformationSequence[0]
    assert float(rp.RadionuclideTotalDose) == pytest.approx(7.4e9)
    assert ds.EnergyWindowInformationSequence[0].EnergyWindowRangeSequence[
        0
    ].EnergyWindowLowerLimit == pytest.approx(187.2)


def test_spect_counts_mode_states_the_calibration(actinium_patient: PatientFiles) -> None:
    entry = next(s for s in actinium_patient.truth["series"] if s["name"] == "spect_c1_024h")
    ds = pydicom.dcmread(_files(actinium_patient.series["spect_c1_024h"])[0])
    assert ds.Units == "CNTS"
    assert ds.DecayCorrection == "NONE"
    assert "DECY" not in list(ds.CorrectedImage)
    assert float(ds.RescaleSlope) == 1.0
    counts = ds.pixel_array.astype(np.float64)
    assert np.all(counts == np.round(counts))
    bqml = counts * entry["calibration_bq_per_ml_per_count"]
    # the whole-body activity recovered from counts (Ac-225: very few counts)
    total_mbq = bqml.sum() * actinium_patient.truth["grid"]["voxel_volume_ml"] / 1e6
    expected = sum(entry["true_activity_mbq"].values())
    assert total_mbq == pytest.approx(expected, rel=0.05)
    assert "Ac-225" in entry["nuclide"]


@pytest.mark.skipif(shutil.which("dcm2niix") is None, reason="dcm2niix is not installed")
def test_dcm2niix_converts_the_pet(realistic_patient: PatientFiles, tmp_path: Path) -> None:
    result = subprocess.run(
        ["dcm2niix", "-o", str(tmp_path), "-f", "pet", str(realistic_patient.series["pet_ga68"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.glob("pet*.nii*"))
