"""Volume assembly: sorting, per-slice rescale, missing/duplicated slices, NM, NIfTI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk  # noqa: N813

from theratrial.errors import DicomError, SeriesGeometryError
from theratrial.imaging import compute_suv, load_volume, scan_folder


def _ramp(shape: tuple[int, int, int]) -> np.ndarray:
    return np.arange(np.prod(shape), dtype=np.float64).reshape(shape) * 10.0


def test_shuffled_slices_are_sorted_into_geometry(tmp_path: Path, series_writer) -> None:
    values = _ramp((6, 5, 4))
    files = series_writer(tmp_path, values, spacing_mm=(2.0, 3.0, 5.0), origin_mm=(-10, 20, 30))
    volume = load_volume(files[::-1])
    assert np.array_equal(volume.array, values)
    assert volume.origin_mm == pytest.approx((-10.0, 20.0, 30.0))
    assert volume.spacing_mm == pytest.approx((2.0, 3.0, 5.0))
    assert np.allclose(np.reshape(volume.direction, (3, 3)), np.eye(3))
    assert volume.modality == "PT"
    assert volume.units == "BQML"
    assert volume.pet is not None
    assert len(volume.pet.acquisition_datetimes) == 6


def test_per_slice_rescale_slopes_are_applied(tmp_path: Path, series_writer) -> None:
    values = np.full((4, 3, 3), 3600.0)
    slopes = [0.5, 1.0, 2.0, 4.0]
    volume = load_volume(series_writer(tmp_path, values, slopes=slopes))
    assert np.allclose(volume.array, 3600.0)


def test_missing_slice_is_a_clear_error(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path, np.ones((6, 3, 3)), shuffle=False)
    files[3].unlink()
    with pytest.raises(SeriesGeometryError, match="missing slice") as info:
        load_volume(tmp_path)
    assert "img_002.dcm" in str(info.value)
    assert "img_004.dcm" in str(info.value)


def test_two_images_at_one_position_is_a_clear_error(tmp_path: Path, series_writer) -> None:
    series_writer(tmp_path, np.ones((4, 3, 3)), positions_z=[0.0, 4.0, 4.0, 8.0], shuffle=False)
    with pytest.raises(SeriesGeometryError, match="same position") as info:
        load_volume(tmp_path)
    assert info.value.field == "ImagePositionPatient (0020,0032)"


def test_copied_file_is_ignored_with_a_note(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path, _ramp((3, 2, 2)), shuffle=False)
    shutil.copy(files[1], tmp_path / "copy_of_second.dcm")
    volume = load_volume(tmp_path)
    assert volume.shape == (3, 2, 2)
    assert any("repeats SOP Instance UID" in note for note in volume.notes)


def test_slices_unevenly_spaced_by_hundredths_are_accepted(tmp_path: Path, series_writer) -> None:
    z = [0.0, 3.27, 6.55, 9.81, 13.08]
    volume = load_volume(series_writer(tmp_path, np.ones((5, 3, 3)), positions_z=z))
    assert volume.spacing_mm[2] == pytest.approx(3.27, abs=0.01)


def test_corrupt_file_names_the_file(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path, np.ones((3, 8, 8)), shuffle=False)
    files[1].write_bytes(files[1].read_bytes()[:400])
    with pytest.raises(DicomError) as info:
        load_volume(files)
    assert "img_001.dcm" in str(info.value)


def test_non_dicom_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.dcm"
    path.write_text("hello")
    with pytest.raises(DicomError, match="not a DICOM file"):
        load_volume(path)


def test_ct_is_in_hounsfield_units(tmp_path: Path, series_writer) -> None:
    values = np.full((3, 4, 4), -1000.0)
    values[1] = 40.0
    volume = load_volume(series_writer(tmp_path, values, modality="CT"))
    assert volume.units == "HU"
    assert volume.pet is None
    assert np.array_equal(volume.array, values)


def test_nm_multiframe_spect(tmp_path: Path, nm_writer) -> None:
    counts = _ramp((5, 4, 6))
    volume = load_volume(nm_writer(tmp_path / "spect.dcm", counts))
    assert volume.modality == "NM"
    assert volume.units == "CNTS"
    assert np.array_equal(volume.array, counts)
    assert volume.origin_mm == pytest.approx((-100.0, -120.0, -50.0))
    assert volume.spacing_mm == pytest.approx((4.8, 4.8, 4.8))
    assert volume.acquisition_duration_s == pytest.approx(1200.0)
    assert volume.acquisition_datetime is not None


def test_nifti_volume_keeps_lps_geometry(tmp_path: Path) -> None:
    image = sitk.GetImageFromArray(_ramp((3, 4, 5)))
    image.SetOrigin((1.0, 2.0, 3.0))
    image.SetSpacing((2.0, 2.5, 3.0))
    sitk.WriteImage(image, str(tmp_path / "adc.nii.gz"))
    volume = load_volume(tmp_path / "adc.nii.gz", units="mm2/s")
    assert volume.units == "mm2/s"
    assert volume.origin_mm == pytest.approx((1.0, 2.0, 3.0))
    assert np.array_equal(volume.array, _ramp((3, 4, 5)))


def test_series_ref_and_folder_give_the_same_volume(tmp_path: Path, series_writer) -> None:
    series_writer(tmp_path, _ramp((3, 3, 3)))
    (ref,) = scan_folder(tmp_path).series
    assert np.array_equal(load_volume(ref).array, load_volume(tmp_path).array)


def test_dro_rescale_slope_series(dro_dir: Path) -> None:
    volume = load_volume(dro_dir / "DRO_1_0" / "PT")
    slopes = {
        float(pydicom.dcmread(p, stop_before_pixels=True).RescaleSlope)
        for p in (dro_dir / "DRO_1_0" / "PT").iterdir()
    }
    assert len(slopes) > 1
    assert sorted(np.unique(volume.array).tolist()) == [0.0, 720.0, 3600.0, 14400.0]
    assert volume.shape == (20, 256, 256)


@pytest.mark.parametrize("modality", ["PET", "CT", "MR_T1"])
def test_sts_series_share_one_frame_of_reference(sts_dir: Path, modality: str) -> None:
    volume = load_volume(sts_dir / "STS_001" / modality / "dicom" / "image")
    pet = load_volume(sts_dir / "STS_001" / "PET" / "dicom" / "image")
    assert volume.frame_of_reference_uid == pet.frame_of_reference_uid
    assert volume.shape[0] == 59
    assert volume.spacing_mm[2] == pytest.approx(3.27, abs=1e-3)


def test_enhanced_multiframe_pet(tmp_path: Path, series_writer) -> None:
    import warnings

    import highdicom as hd

    values = _ramp((4, 3, 5))
    files = series_writer(tmp_path / "single", values, slopes=[1.0, 2.0, 1.0, 0.5], shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enhanced = hd.legacy.LegacyConvertedEnhancedPETImage(
            legacy_datasets=[pydicom.dcmread(f) for f in files],
            series_instance_uid=hd.UID(),
            series_number=3,
            sop_instance_uid=hd.UID(),
            instance_number=1,
        )
        enhanced.save_as(tmp_path / "enhanced.dcm")
    volume = load_volume(tmp_path / "enhanced.dcm")
    assert volume.shape == (4, 3, 5)
    assert np.allclose(volume.array, values)
    assert volume.spacing_mm == pytest.approx((4.0, 4.0, 4.0))
    assert volume.units == "BQML"
    assert any("multi-frame" in note for note in volume.notes)
    assert np.allclose(compute_suv(volume).volume.array, values / 3600.0, rtol=1e-4)
