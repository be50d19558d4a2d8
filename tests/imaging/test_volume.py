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


def _rewrite(files: list[Path], change) -> None:  # type: ignore[no-untyped-def]
    for index, path in enumerate(files):
        ds = pydicom.dcmread(path)
        change(index, ds)
        ds.save_as(path)


def _sitk_series(files: list[Path]) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    ordered = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(files[0].parent))
    reader.SetFileNames(ordered)
    reader.SetOutputPixelType(sitk.sitkFloat64)
    return reader.Execute()


def _oblique(index: int, ds: pydicom.Dataset) -> None:
    c, s = np.cos(0.3), np.sin(0.3)
    z = int(ds.InstanceNumber) - 1
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, c, s]
    ds.ImagePositionPatient = [10.0, -20.0 + 3.3 * z * -s, 5.0 + 3.3 * z * c]


def _rows_up(index: int, ds: pydicom.Dataset) -> None:
    ds.ImageOrientationPatient = [1, 0, 0, 0, -1, 0]


def _intercepts(index: int, ds: pydicom.Dataset) -> None:
    ds.RescaleIntercept = -7.5 * index


@pytest.mark.parametrize("change", [None, _oblique, _rows_up, _intercepts])
def test_volume_matches_simpleitk_series_reader(tmp_path: Path, series_writer, change) -> None:
    """Geometry and values agree with an independent reader (ITK/GDCM) for any orientation."""
    values = _ramp((5, 4, 6))
    files = series_writer(tmp_path, values, slopes=[0.5, 1.0, 2.0, 4.0, 0.25], spacing_mm=(2, 3, 4))
    if change is not None:
        _rewrite(files, change)
    volume = load_volume(tmp_path)
    reference = _sitk_series(files)
    assert volume.origin_mm == pytest.approx(reference.GetOrigin(), abs=1e-6)
    assert volume.spacing_mm == pytest.approx(reference.GetSpacing(), abs=1e-6)
    assert volume.direction == pytest.approx(reference.GetDirection(), abs=1e-6)
    assert np.allclose(volume.array, sitk.GetArrayFromImage(reference), rtol=0, atol=1e-9)


def test_bits_above_bits_stored_are_handled_as_pydicom_does(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path, _ramp((3, 4, 4)) - 200.0, shuffle=False)

    def twelve_bits(index: int, ds: pydicom.Dataset) -> None:
        ds.BitsStored, ds.HighBit = 12, 11
        raw = np.frombuffer(ds.PixelData, "<u2").copy()
        raw[0] |= 0xF000 if index == 0 else 0  # garbage above bit 11 (sign bits for int16)
        ds.PixelData = raw.tobytes()

    _rewrite(files, twelve_bits)
    for signed in (1, 0):
        _rewrite(files, lambda i, ds, s=signed: setattr(ds, "PixelRepresentation", s))
        expected = [pydicom.dcmread(f).pixel_array.astype(float) for f in files]
        assert np.array_equal(load_volume(files).array, np.stack(expected))


def test_compressed_slices_give_the_same_volume(tmp_path: Path, series_writer) -> None:
    from pydicom.uid import RLELossless

    values = _ramp((3, 4, 5))
    files = series_writer(tmp_path, values, slopes=[1.0, 2.0, 0.5], shuffle=False)
    native = load_volume(files).array
    _rewrite(files, lambda i, ds: ds.compress(RLELossless))
    assert np.array_equal(load_volume(files).array, native)


def test_large_pixel_data_is_read_when_first_used(tmp_path: Path, series_writer) -> None:
    values = _ramp((3, 384, 384)) % 3000.0  # 288 KiB a slice: left on disk by the scan
    files = series_writer(tmp_path, values, shuffle=False)
    (ref,) = scan_folder(tmp_path).series
    assert np.array_equal(load_volume(ref).array, values)
    (ref,) = scan_folder(tmp_path).series
    files[1].unlink()
    with pytest.raises(DicomError, match="pixel data") as info:
        load_volume(ref)
    assert info.value.file == str(files[1])


def _pixel_spacing(index: int, ds: pydicom.Dataset) -> None:
    if index == 2:
        ds.PixelSpacing = [4.0, 4.5]


def _sheared(index: int, ds: pydicom.Dataset) -> None:
    ds.ImagePositionPatient = [0.8 * index, 0.0, 4.0 * index]


def _no_frame(index: int, ds: pydicom.Dataset) -> None:
    del ds.FrameOfReferenceUID


def _other_series(index: int, ds: pydicom.Dataset) -> None:
    if index == 3:
        ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.1"


@pytest.mark.parametrize(
    ("change", "field", "odd"),
    [
        (_pixel_spacing, "PixelSpacing (0028,0030)", 2),
        (_sheared, "ImagePositionPatient (0020,0032)", 1),
        (_no_frame, "FrameOfReferenceUID (0020,0052)", 0),
        (_other_series, "SeriesInstanceUID (0020,000E)", 3),
    ],
)
def test_series_checks_name_the_odd_file_and_field(
    tmp_path: Path, series_writer, change, field: str, odd: int
) -> None:
    files = series_writer(tmp_path, np.ones((4, 3, 3)), shuffle=False)
    _rewrite(files, change)
    with pytest.raises(SeriesGeometryError) as info:
        load_volume(files)
    assert info.value.field == field
    assert info.value.file == str(files[odd])
