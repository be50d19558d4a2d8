"""Region masks as a DICOM Segmentation (PS3.3 A.51) referencing the source series.

Built with highdicom (:class:`highdicom.seg.Segmentation`, BINARY): one segment per region,
Segment Label = region name, Segment Number in the given order; frames follow the source
images, one per slice of the single-frame series the masks were measured on. Segmented
property codes are SNOMED CT (PS3.16 CID 7150/7151): organs by name where the name is known,
"Tissue" otherwise; lesions are "Morphologically Altered Structure" / "Neoplasm".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from theratrial.errors import DicomError
from theratrial.imaging.grid import Grid

__all__ = ["SegmentRegion", "build_segmentation", "region_codes", "slice_order"]

_SCT = "SCT"
ANATOMICAL_STRUCTURE = Code("91723000", _SCT, "Anatomical Structure")
ALTERED_STRUCTURE = Code("49755003", _SCT, "Morphologically Altered Structure")
NEOPLASM = Code("108369006", _SCT, "Neoplasm")
TISSUE = Code("85756007", _SCT, "Tissue")
ORGAN_CODES: dict[str, Code] = {
    "body": Code("38266002", _SCT, "Entire body"),
    "brain": Code("12738006", _SCT, "Brain"),
    "lung": Code("39607008", _SCT, "Lung"),
    "liver": Code("10200004", _SCT, "Liver"),
    "spleen": Code("78961009", _SCT, "Spleen"),
    "kidney": Code("64033007", _SCT, "Kidney"),
    "adrenal": Code("23451007", _SCT, "Adrenal gland"),
    "bladder": Code("89837001", _SCT, "Urinary bladder"),
    "bone_marrow": Code("14016003", _SCT, "Bone marrow"),
    "parotid": Code("45289007", _SCT, "Parotid gland"),
    "submandibular": Code("54019009", _SCT, "Submandibular gland"),
    "pituitary": Code("56329008", _SCT, "Pituitary gland"),
}


@dataclass(frozen=True, slots=True)
class SegmentRegion:
    """One region to write: its name, ``organ`` or ``lesion``, and a boolean ``(z, y, x)`` mask."""

    name: str
    kind: str
    array: NDArray[np.bool_]


def region_codes(name: str, kind: str) -> tuple[Code, Code]:
    """Segmented Property Category and Type codes (SNOMED CT) of a region.

    Examples
    --------
    >>> [c.meaning for c in region_codes("kidney_left", "organ")]
    ['Anatomical Structure', 'Kidney']
    >>> [c.value for c in region_codes("lesion_liver_01", "lesion")]
    ['49755003', '108369006']
    """
    if kind == "lesion":
        return ALTERED_STRUCTURE, NEOPLASM
    key = name.lower()
    for stem, code in ORGAN_CODES.items():
        if key == stem or key.startswith(f"{stem}_"):
            return ANATOMICAL_STRUCTURE, code
    return ANATOMICAL_STRUCTURE, TISSUE


def slice_order(datasets: Sequence[Dataset], grid: Grid) -> list[int]:
    """The grid slice index (z) of each single-frame source image, from (0020,0032).

    Raises
    ------
    DicomError
        When an image is multi-frame or does not lie on a slice of ``grid``.
    """
    order: list[int] = []
    for ds in datasets:
        if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 or "ImagePositionPatient" not in ds:
            raise DicomError(
                "export writes SEG for single-frame image series only",
                file=str(getattr(ds, "filename", "") or ds.get("SeriesInstanceUID", "")),
                hint="export the study's PET (or another single-frame) series",
            )
        index = grid.physical_to_index([[float(v) for v in ds.ImagePositionPatient]])[0]
        z = round(float(index[2]))
        if abs(index[2] - z) > 1e-3 or abs(index[0]) > 1e-3 or abs(index[1]) > 1e-3:
            raise DicomError(
                "an image of the series does not lie on the volume's grid",
                file=str(getattr(ds, "filename", "")),
                hint="check (0020,0032) Image Position Patient of the series",
            )
        order.append(z)
    if sorted(order) != list(range(grid.shape[0])):
        raise DicomError(
            f"the series has {len(order)} images for {grid.shape[0]} slices",
            file=str(getattr(datasets[0], "filename", "")) if datasets else "",
            hint="give a complete series (one image per slice)",
        )
    return order


def build_segmentation(
    source_images: Sequence[Dataset],
    grid: Grid,
    regions: Sequence[SegmentRegion],
    *,
    series_uid: str,
    sop_uid: str,
    series_number: int = 900,
    software_version: str = "theratrial",
) -> Dataset:
    """A BINARY DICOM SEG of ``regions`` (masks on ``grid``) over the source images.

    Segment ``i + 1`` is ``regions[i]``. Empty frames are kept so that every segment has
    the source's full slice stack (an empty region reads back as an empty mask).
    """
    import highdicom as hd

    if not regions:
        raise DicomError("no region to segment", hint="give a folder with at least one mask")
    order = slice_order(source_images, grid)
    stack = np.stack([r.array for r in regions], axis=-1).astype(bool)  # z, y, x, segment
    pixels = stack[order]
    descriptions = []
    for number, region in enumerate(regions, start=1):
        category, kind = region_codes(region.name, region.kind)
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=region.name,
                segmented_property_category=category,
                segmented_property_type=kind,
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
                tracking_id=region.name,
                tracking_uid=hd.UID(),
            )
        )
    seg: Dataset = hd.seg.Segmentation(
        source_images=list(source_images),
        pixel_array=pixels,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=series_uid,
        series_number=series_number,
        sop_instance_uid=sop_uid,
        instance_number=1,
        manufacturer="theratrial",
        manufacturer_model_name="theratrial export",
        software_versions=software_version,
        device_serial_number="0",
        omit_empty_frames=False,
        series_description="theratrial masks",
    )
    return seg
