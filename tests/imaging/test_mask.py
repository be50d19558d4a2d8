"""Masks: RTSTRUCT rasterisation on any grid, DICOM SEG, NIfTI, resampling, FoR checks."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk  # noqa: N813
from pydicom.sr.codedict import codes

from theratrial.errors import MaskError
from theratrial.imaging import (
    Grid,
    Mask,
    load_mask,
    load_masks,
    load_volume,
    region_kind,
    resample_mask,
)


@pytest.fixture
def pet(tmp_path: Path, series_writer):
    """A 20 x 40 x 40 PET, 2 mm voxels, with its files."""
    files = series_writer(tmp_path / "pet", np.ones((20, 40, 40)), spacing_mm=(2.0, 2.0, 2.0))
    return load_volume(files), files


def _disc_contours(circle_contour, z_values, radius=15.0):
    return [circle_contour((40.0, 40.0), radius, z, n=180) for z in z_values]


def test_circle_is_rasterised_with_its_area(tmp_path: Path, pet, rtstruct_writer, circle_contour):
    volume, _ = pet
    contours = _disc_contours(circle_contour, [10.0, 12.0, 14.0, 16.0])
    path = rtstruct_writer(
        tmp_path / "rs.dcm",
        {"lesion_1": contours},
        frame_of_reference_uid=volume.frame_of_reference_uid,
    )
    mask = load_mask(path, reference=volume)
    assert mask.name == "lesion_1"
    assert mask.kind == "lesion"
    assert mask.array.sum(axis=(1, 2)).nonzero()[0].tolist() == [5, 6, 7, 8]
    expected_ml = 4 * math.pi * 15.0**2 * 2.0 / 1000.0
    assert mask.volume_ml == pytest.approx(expected_ml, rel=0.03)


def test_inner_contour_is_a_hole(tmp_path: Path, pet, rtstruct_writer, circle_contour) -> None:
    volume, _ = pet
    ring = [
        circle_contour((40.0, 40.0), 15.0, 10.0, 180),
        circle_contour((40.0, 40.0), 8.0, 10.0, 180),
    ]
    path = rtstruct_writer(
        tmp_path / "rs.dcm", {"ring": ring}, frame_of_reference_uid=volume.frame_of_reference_uid
    )
    mask = load_mask(path, reference=volume)
    assert not mask.array[5, 20, 20]
    expected = math.pi * (15.0**2 - 8.0**2) * 2.0 / 1000.0
    assert mask.volume_ml == pytest.approx(expected, rel=0.05)


def test_finer_grid_is_filled_between_contour_planes(
    tmp_path: Path, series_writer, rtstruct_writer, circle_contour
) -> None:
    frame = "1.2.826.0.1.3680043.8.498.1"
    fine = load_volume(
        series_writer(tmp_path / "fine", np.ones((40, 40, 40)), spacing_mm=(2.0, 2.0, 1.0),
                      frame_of_reference_uid=frame)
    )  # fmt: skip
    contours = _disc_contours(circle_contour, [10.0, 14.0, 18.0])  # 4 mm apart
    path = rtstruct_writer(tmp_path / "rs.dcm", {"liver": contours}, frame_of_reference_uid=frame)
    mask = load_mask(path, reference=fine)
    slices = mask.array.sum(axis=(1, 2)).nonzero()[0]
    assert slices.min() == 8
    assert slices.max() == 19
    assert mask.volume_ml == pytest.approx(3 * math.pi * 15.0**2 * 4.0 / 1000.0, rel=0.05)


def test_oblique_grid_gets_the_contours_resampled(
    tmp_path: Path, rtstruct_writer, circle_contour
) -> None:
    angle = math.radians(30.0)
    rotation = (math.cos(angle), 0.0, math.sin(angle), 0.0, 1.0, 0.0, -math.sin(angle), 0.0,
                math.cos(angle))  # fmt: skip
    grid = Grid((40, 40, 40), (-40.0, 0.0, -40.0), (2.0, 2.0, 2.0), rotation, "1.2.3.4")
    from theratrial.imaging import Volume

    volume = Volume(np.ones(grid.shape), grid, "CT", "HU")
    contours = [circle_contour((10.0, 40.0), 12.0, z, n=180) for z in np.arange(-10.0, 12.0, 2.0)]
    path = rtstruct_writer(tmp_path / "rs.dcm", {"gtv": contours}, frame_of_reference_uid="1.2.3.4")
    mask = load_mask(path, reference=volume)
    expected = math.pi * 12.0**2 * 22.0 / 1000.0
    assert mask.volume_ml == pytest.approx(expected, rel=0.1)


def test_other_frame_of_reference_is_refused(tmp_path: Path, pet, rtstruct_writer, circle_contour):
    volume, _ = pet
    path = rtstruct_writer(
        tmp_path / "rs.dcm", {"liver": _disc_contours(circle_contour, [10.0])},
        frame_of_reference_uid="9.9.9",
    )  # fmt: skip
    with pytest.raises(MaskError) as info:
        load_mask(path, reference=volume)
    assert info.value.field == "FrameOfReferenceUID (0020,0052)"
    assert str(path) in str(info.value)


def test_roi_is_chosen_by_name(tmp_path: Path, pet, rtstruct_writer, circle_contour) -> None:
    volume, _ = pet
    rois = {
        "GTV_Mass_PET": _disc_contours(circle_contour, [10.0], 5.0),
        "liver": _disc_contours(circle_contour, [20.0], 10.0),
    }
    path = rtstruct_writer(
        tmp_path / "rs.dcm", rois, frame_of_reference_uid=volume.frame_of_reference_uid
    )
    assert load_mask(path, reference=volume, roi="gtv_mass").name == "GTV_Mass_PET"
    assert load_mask(path, reference=volume, roi="LIVER").name == "liver"
    with pytest.raises(MaskError, match="2 regions"):
        load_mask(path, reference=volume)
    with pytest.raises(MaskError, match="no single region named 'kidney'"):
        load_mask(path, reference=volume, roi="kidney")
    assert [m.name for m in load_masks(path, reference=volume)] == ["GTV_Mass_PET", "liver"]


def test_contour_outside_the_image_is_an_error(
    tmp_path: Path, pet, rtstruct_writer, circle_contour
):
    volume, _ = pet
    far = [circle_contour((400.0, 400.0), 5.0, 10.0)]
    path = rtstruct_writer(
        tmp_path / "rs.dcm", {"x": far}, frame_of_reference_uid=volume.frame_of_reference_uid
    )
    with pytest.raises(MaskError, match="no voxel"):
        load_mask(path, reference=volume)


def test_nifti_mask_on_another_grid_is_resampled(tmp_path: Path, pet) -> None:
    volume, _ = pet
    array = np.zeros((40, 80, 80), np.uint8)
    array[10:20, 20:60, 20:60] = 1  # 1 mm voxels: 10 x 40 x 40 mm
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((1.0, 1.0, 1.0))
    image.SetOrigin((-0.5, -0.5, -0.5))
    sitk.WriteImage(image, str(tmp_path / "liver.nii.gz"))
    mask = load_mask(tmp_path / "liver.nii.gz", reference=volume)
    assert mask.name == "liver"
    assert mask.grid.matches(volume.grid)
    assert mask.volume_ml == pytest.approx(16.0, rel=0.1)
    assert any("resampled" in note for note in mask.notes)


def test_nifti_label_map_region_is_chosen_by_label_value(tmp_path: Path, pet) -> None:
    volume, _ = pet
    labels = np.zeros(volume.shape, np.uint8)
    labels[2:4, 5:10, 5:10] = 1  # 50 voxels of 8 uL
    labels[10:12, 20:30, 20:30] = 2  # 200 voxels
    image = sitk.GetImageFromArray(labels)
    image.SetSpacing((2.0, 2.0, 2.0))
    sitk.WriteImage(image, str(tmp_path / "organs.nii.gz"))
    path = tmp_path / "organs.nii.gz"
    both = load_mask(path, reference=volume)
    assert both.n_voxels == 250
    assert any("all non-zero voxels" in note for note in both.notes)
    assert load_mask(path, reference=volume, roi="organs").n_voxels == 250  # the file's name
    two = load_mask(path, reference=volume, roi="2")
    assert (two.name, two.n_voxels) == ("organs_2", 200)
    assert load_mask(path, reference=volume, roi="1").n_voxels == 50
    for missing in ("3", "liver"):  # never silently the union of every label
        with pytest.raises(MaskError, match="no region") as err:
            load_mask(path, reference=volume, roi=missing)
        assert err.value.field == "roi"


def test_resample_between_frames_is_refused(pet) -> None:
    volume, _ = pet
    other = Grid(volume.shape, volume.origin_mm, volume.spacing_mm, volume.direction, "5.5.5")
    with pytest.raises(MaskError, match="different frame of reference"):
        resample_mask(Mask(np.ones(volume.shape, bool), other, "liver"), volume)


def test_dicom_seg_segments_are_loaded(tmp_path: Path, series_writer) -> None:
    files = series_writer(tmp_path / "ct", np.zeros((6, 16, 16)), modality="CT", shuffle=False)
    volume = load_volume(files)
    sources = [pydicom.dcmread(f) for f in files]
    labels = np.zeros((6, 16, 16), np.uint8)
    labels[1:4, 2:8, 2:8] = 1
    labels[2:5, 10:14, 10:14] = 2
    algorithm = hd.AlgorithmIdentificationSequence(
        name="test", version="1", family=codes.DCM.ArtificialIntelligence
    )
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=number,
            segment_label=label,
            segmented_property_category=codes.SCT.Organ,
            segmented_property_type=codes.SCT.Liver,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=algorithm,
        )
        for number, label in ((1, "liver"), (2, "lesion_01"))
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg = hd.seg.Segmentation(
            source_images=sources,
            pixel_array=labels,
            segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
            segment_descriptions=descriptions,
            series_instance_uid=hd.UID(),
            series_number=2,
            sop_instance_uid=hd.UID(),
            instance_number=1,
            manufacturer="test",
            manufacturer_model_name="test",
            software_versions="1",
            device_serial_number="1",
        )
        seg.save_as(tmp_path / "seg.dcm")
    lesion = load_mask(tmp_path / "seg.dcm", reference=volume, roi="lesion_01")
    assert np.array_equal(lesion.array, labels == 2)
    regions = load_masks(tmp_path / "seg.dcm", reference=volume)
    assert [(m.name, m.kind, m.n_voxels) for m in regions] == [
        ("liver", "organ", 108),
        ("lesion_01", "lesion", 48),
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("liver", "organ"), ("Spleen", "organ"), ("kidney_left", "organ"), ("lesion_01", "lesion"),
     ("Tumour2", "lesion"), ("tumor", "lesion"), ("GTV_Mass", "lesion"), ("met_liver_3", "lesion"),
     ("les_1", "lesion"), ("bone_marrow", "organ")],
)  # fmt: skip
def test_region_kind_by_name(name: str, kind: str) -> None:
    assert region_kind(name) == kind


def test_dro_rtstruct_lies_inside_the_nifti_object(dro_dir: Path) -> None:
    volume = load_volume(dro_dir / "DRO_0_0" / "PT")
    contour = load_mask(dro_dir / "DRO_0_0" / "RS" / "RS_dro_0_0.dcm", reference=volume)
    nifti = load_mask(dro_dir / "DRO_0_0" / "mask" / "DRO_mask.nii.gz", reference=volume)
    assert nifti.n_voxels == int(np.count_nonzero(volume.array))
    assert not np.any(contour.array & ~nifti.array)
    assert contour.n_voxels > 0.8 * nifti.n_voxels


@pytest.mark.parametrize("how", ["cut_gzip", "short_data_gz", "short_data_nii"])
def test_truncated_nifti_mask_is_an_error_not_half_a_mask(tmp_path: Path, pet, how: str) -> None:
    """A .nii.gz cut in half used to load as the top half of the mask."""
    import gzip

    volume, _ = pet
    array = np.ones((20, 40, 40), np.uint8)
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((2.0, 2.0, 2.0))
    whole = tmp_path / "whole.nii.gz"
    sitk.WriteImage(image, str(whole))
    assert load_mask(whole, reference=volume).n_voxels == array.size
    data = whole.read_bytes()
    raw = gzip.decompress(data)
    if how == "cut_gzip":
        broken, payload = tmp_path / "liver.nii.gz", data[: len(data) // 2]
    elif how == "short_data_gz":
        broken, payload = tmp_path / "liver.nii.gz", gzip.compress(raw[: len(raw) // 2])
    else:
        broken, payload = tmp_path / "liver.nii", raw[: len(raw) // 2]
    broken.write_bytes(payload)
    with pytest.raises(MaskError, match="truncated") as info:
        load_mask(broken, reference=volume)
    assert info.value.file == str(broken)
    with pytest.raises(MaskError, match="truncated"):
        load_masks(tmp_path / "liver.nii.gz" if how != "short_data_nii" else broken,
                   reference=volume)  # fmt: skip
