"""Masks: NIfTI files and the DICOM SEG agree with each other and with the truth."""

from __future__ import annotations

import highdicom as hd
import nibabel as nib
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk  # noqa: N813

from theratrial.phantoms import PatientFiles


def _nifti(files: PatientFiles, name: str) -> np.ndarray:
    return np.asarray(nib.load(files.masks[name]).dataobj).transpose(2, 1, 0) > 0


def test_one_nifti_per_region_on_the_ct_grid(realistic_patient: PatientFiles) -> None:
    truth = realistic_patient.truth
    assert set(realistic_patient.masks) == set(truth["regions"])
    img = sitk.ReadImage(str(realistic_patient.masks["liver"]))
    assert img.GetOrigin() == pytest.approx(truth["grid"]["origin_xyz_mm"], abs=1e-3)
    assert img.GetSpacing() == pytest.approx(truth["grid"]["spacing_xyz_mm"], abs=1e-4)
    vv = truth["grid"]["voxel_volume_ml"]
    for name, region in truth["regions"].items():
        mask = _nifti(realistic_patient, name)
        assert mask.any(), name
        assert mask.sum() * vv == pytest.approx(region["mask_volume_ml"])
    # masks are disjoint: every voxel carries at most one label
    total = sum(_nifti(realistic_patient, n).astype(int) for n in truth["regions"])
    assert int(np.max(total)) == 1


def test_big_organ_masks_match_the_analytic_volume(realistic_patient: PatientFiles) -> None:
    for name in ("liver", "spleen", "brain", "lung_left"):
        region = realistic_patient.truth["regions"][name]
        assert region["mask_volume_ml"] == pytest.approx(region["volume_ml"], rel=0.05)
        assert region["grid_volume_ml"] == pytest.approx(region["volume_ml"], rel=0.03)


def test_seg_has_one_segment_per_region_matching_the_nifti(
    realistic_patient: PatientFiles,
) -> None:
    seg = hd.seg.segread(realistic_patient.seg_path)
    labels = realistic_patient.truth["masks"]["labels"]
    described = {d.segment_label: d.segment_number for d in seg.SegmentSequence}
    assert described == labels
    ct_uids = [
        pydicom.dcmread(p).SOPInstanceUID
        for p in sorted(realistic_patient.series["ct"].glob("*.dcm"))
    ]
    ds = pydicom.dcmread(realistic_patient.seg_path)
    assert ds.FrameOfReferenceUID == realistic_patient.truth["frame_of_reference_uid"]
    for name in ("liver", "kidney_left", "pituitary"):
        number = labels[name]
        volume = seg.get_volume(segment_numbers=[number], combine_segments=False)
        arr = volume.array[..., 0] > 0
        # highdicom may order the frames along -z or +z; compare the counts and slices
        nifti = _nifti(realistic_patient, name)
        assert int(arr.sum()) == int(nifti.sum()), name
    assert len(ct_uids) == realistic_patient.truth["grid"]["shape_zyx"][0]
