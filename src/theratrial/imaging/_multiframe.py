"""Reading multi-frame DICOM images and NIfTI files into arrays and grids (private).

- NM Image Storage (reconstructed SPECT, one frame per slice): geometry from GDCM via
  SimpleITK, which reads (0054,0022) Detector Information Sequence (Image Position and
  Orientation of the first frame) and (0018,0088) Spacing Between Slices (PS3.3 C.8.4.9);
  pixel values from pydicom with (0028,1053) Rescale Slope and (0028,1052) Intercept.
- Enhanced and legacy-converted multi-frame images: :meth:`highdicom.Image.get_volume`,
  which applies the per-frame pixel value transformations and sorts the frames.
- NIfTI: SimpleITK, which converts the NIfTI RAS affine into DICOM LPS.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import DicomError, SeriesGeometryError
from theratrial.imaging._assemble import ascending_slices, grid_from_affine, shape3
from theratrial.imaging._dicomio import get_float, get_str
from theratrial.imaging._sitk import sitk
from theratrial.imaging.grid import Grid

__all__ = ["NM_SOP_CLASS", "header_view", "read_enhanced", "read_nifti", "read_nm"]

NM_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.20"


def read_nm(path: Path, ds: Dataset) -> tuple[NDArray[np.float64], Grid, list[str]]:
    """Array and grid of a reconstructed NM (SPECT) multi-frame file."""
    notes: list[str] = []
    image_type = [str(v).upper() for v in (ds.get("ImageType") or [])]
    if image_type and not any("TOMO" in v for v in image_type):
        raise DicomError(
            f"NM object is not a reconstructed tomographic image (Image Type {image_type})",
            file=path,
            field="ImageType (0008,0008)",
            hint="load the reconstructed SPECT (RECON TOMO), not projections or planar images",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise DicomError(f"cannot read NM geometry: {exc}", file=path) from exc
    frame_uid = get_str(ds, "FrameOfReferenceUID") or ""
    grid = Grid.from_sitk(image, frame_of_reference_uid=frame_uid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stored = np.asarray(ds.pixel_array, dtype=np.float64)
    if stored.ndim == 2:
        stored = stored[None]
    if stored.shape != grid.shape:
        raise SeriesGeometryError(
            f"pixel data shape {stored.shape} does not match the geometry {grid.shape}",
            file=path,
            field="NumberOfFrames (0028,0008)",
        )
    slope = get_float(ds, "RescaleSlope", file=path)
    intercept = get_float(ds, "RescaleIntercept", file=path)
    array = stored * (1.0 if slope is None else slope) + (0.0 if intercept is None else intercept)
    if get_float(ds, "SpacingBetweenSlices") is None:
        notes.append(
            "Spacing Between Slices (0018,0088) absent; slice spacing taken from "
            f"Slice Thickness or GDCM default ({grid.spacing_mm[2]:.3g} mm)"
        )
    return array, grid, notes


def header_view(ds: Dataset) -> Dataset:
    """The header of a multi-frame object with its shared and first-frame attributes lifted.

    Enhanced and legacy-converted objects keep Units, Decay Correction, the
    Radiopharmaceutical Information Sequence and so on inside (5200,9229) Shared and
    (5200,9230) Per-Frame Functional Groups (e.g. (0020,9171) Unassigned Shared Converted
    Attributes); top-level attributes win over lifted ones.
    """
    flat = Dataset()
    for element in ds:
        if element.tag != 0x7FE00010:
            flat.add(element)
    for keyword in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        groups = ds.get(keyword)
        if not groups:
            continue
        for element in groups[0]:
            if element.VR != "SQ" or len(element.value) != 1:
                continue
            for inner in element.value[0]:
                if inner.tag not in flat:
                    flat.add(inner)
    return flat


def read_enhanced(path: Path, ds: Dataset) -> tuple[NDArray[np.float64], Grid, list[str]]:
    """Array and grid of an enhanced or legacy-converted multi-frame image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = hd.imread(str(path))
            volume = image.get_volume(
                dtype=np.float64,
                apply_real_world_transform=False,
                apply_voi_transform=False,
                apply_presentation_lut=False,
                apply_palette_color_lut=False,
                apply_icc_profile=False,
                rtol=0.25,
            )
    except (ValueError, RuntimeError, TypeError, AttributeError, KeyError) as exc:
        raise SeriesGeometryError(
            f"cannot build a volume from the multi-frame image: {exc}",
            file=path,
            hint="the frames must form one regular 3-D stack",
        ) from exc
    array = np.asarray(volume.array, dtype=np.float64)
    if array.ndim == 4:
        array = array[..., 0]
    frame_uid = get_str(ds, "FrameOfReferenceUID") or ""
    grid = grid_from_affine(np.asarray(volume.affine), shape3(array), frame_uid)
    array, grid = ascending_slices(array, grid)
    return array, grid, ["multi-frame image: per-frame acquisition times not read"]


def read_nifti(path: Path) -> tuple[NDArray[np.float64], Grid]:
    """Array (z, y, x) and grid of a 3-D NIfTI file (a 4-D file with one volume is accepted)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise DicomError("unreadable NIfTI file", file=path, hint="check the file") from exc
    if image.GetDimension() == 4:
        size = list(image.GetSize())
        if size[3] != 1:
            raise DicomError(
                f"NIfTI holds {size[3]} volumes; one 3-D volume was expected", file=path
            )
        image = sitk.Extract(image, [*size[:3], 0], [0, 0, 0, 0])
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise DicomError("NIfTI is not a 3-D scalar image", file=path)
    array = sitk.GetArrayFromImage(image).astype(np.float64)
    return array, Grid.from_sitk(image)
