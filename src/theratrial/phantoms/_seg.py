"""Region masks as NIfTI files (nibabel) and as one DICOM Segmentation (highdicom).

NIfTI: ``<region>.nii.gz``, uint8 0/1, data ``mask.transpose(2, 1, 0)`` (x, y, z) with
the RAS affine of :meth:`theratrial.phantoms.grid.Grid.nifti_affine`.
SEG: Segmentation Storage (1.2.840.10008.5.1.4.1.1.66.4), BINARY, one segment per region
whose Segment Number equals the region's label in the truth file, Segment Label the
region name, referencing the CT slices (same frame of reference).
"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import nibabel as nib
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from theratrial import __version__
from theratrial.phantoms.grid import Grid

__all__ = ["write_nifti_masks", "write_seg"]

_ORGAN_CATEGORY = Code("123037004", "SCT", "Anatomical Structure")
_LESION_CATEGORY = Code("49755003", "SCT", "Morphologically Altered Structure")
_TYPES = {
    "body": Code("38266002", "SCT", "Entire body"),
    "brain": Code("12738006", "SCT", "Brain"),
    "lung": Code("39607008", "SCT", "Lung"),
    "liver": Code("10200004", "SCT", "Liver"),
    "spleen": Code("78961009", "SCT", "Spleen"),
    "kidney": Code("64033007", "SCT", "Kidney"),
    "adrenal": Code("23451007", "SCT", "Adrenal gland"),
    "pituitary": Code("56329008", "SCT", "Pituitary"),
    "parotid": Code("45289007", "SCT", "Parotid gland"),
    "submandibular": Code("54019009", "SCT", "Submandibular gland"),
    "bone_marrow": Code("14016003", "SCT", "Bone marrow"),
    "bladder": Code("89837001", "SCT", "Urinary bladder"),
}
_LESION_TYPE = Code("108369006", "SCT", "Neoplasm")


def write_nifti_masks(
    folder: Path, masks: dict[str, NDArray[np.bool_]], grid: Grid
) -> dict[str, Path]:
    """Write one ``<region>.nii.gz`` per mask; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    affine = grid.nifti_affine()
    paths: dict[str, Path] = {}
    for name, mask in masks.items():
        img = nib.Nifti1Image(  # type: ignore[no-untyped-call]
            mask.astype(np.uint8).transpose(2, 1, 0), affine
        )
        img.header.set_xyzt_units("mm")  # type: ignore[no-untyped-call]
        img.header.set_qform(affine, code=1)  # type: ignore[no-untyped-call]
        img.header.set_sform(affine, code=1)  # type: ignore[no-untyped-call]
        path = folder / f"{name}.nii.gz"
        nib.save(img, path)
        paths[name] = path
    return paths


def write_seg(
    path: Path,
    labels: NDArray[np.uint16],
    segments: list[tuple[int, str, str, str]],
    ct_datasets: list[Dataset],
    *,
    series_uid: str,
    sop_uid: str,
) -> None:
    """Write the label map as a BINARY DICOM SEG.

    ``segments`` lists ``(number, name, region type, kind)`` with numbers 1..N matching
    the values of ``labels`` (0 = background); ``ct_datasets`` are in slice order.
    """
    descriptions = []
    for number, name, rtype, kind in segments:
        lesion = kind == "lesion"
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=name,
                segmented_property_category=_LESION_CATEGORY if lesion else _ORGAN_CATEGORY,
                segmented_property_type=_LESION_TYPE if lesion else _TYPES[rtype],
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
                tracking_id=name,
                tracking_uid=f"{series_uid}.{number}",
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    seg = hd.seg.Segmentation(
        source_images=ct_datasets,
        pixel_array=labels,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=series_uid,
        series_number=90,
        sop_instance_uid=sop_uid,
        instance_number=1,
        manufacturer="theratrial",
        manufacturer_model_name="virtual patient",
        software_versions=__version__,
        device_serial_number="0",
        content_label="REGIONS",
        content_description="organ and lesion masks of a virtual patient",
    )
    seg.save_as(path)
