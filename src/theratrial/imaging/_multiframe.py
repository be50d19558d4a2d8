"""Reading multi-frame DICOM images and NIfTI files into arrays and grids (private).

- NM Image Storage (reconstructed SPECT, one frame per slice): geometry from GDCM via
  SimpleITK (the header only, not the pixels a second time), which reads (0054,0022)
  Detector Information Sequence (Image Position and Orientation of the first frame) and
  (0018,0088) Spacing Between Slices (PS3.3 C.8.4.9);
  pixel values from pydicom with (0028,1053) Rescale Slope and (0028,1052) Intercept.
- Enhanced and legacy-converted multi-frame images: :meth:`highdicom.Image.get_volume`,
  which applies the per-frame pixel value transformations and sorts the frames.
- NIfTI: SimpleITK, which converts the NIfTI RAS affine into DICOM LPS.
- Single-frame slices of a series: :func:`stored_frames` decodes uncompressed monochrome
  pixel data with NumPy as pydicom's ``pixel_array`` does (bits above (0028,0101) Bits
  Stored masked, signed values sign-extended); compressed or unusual layouts go through
  pydicom. :func:`modality_values` applies the modality LUT of each slice (PS3.3 C.11.1):
  ``stored x (0028,1053) Rescale Slope + (0028,1052) Rescale Intercept``, or a Modality
  LUT Sequence through pydicom.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_modality_lut

from theratrial.errors import DicomError, SeriesGeometryError
from theratrial.imaging._dicomio import get_float, get_number, get_str, raw_value
from theratrial.imaging._sitk import sitk
from theratrial.imaging.grid import Grid, ascending_slices, grid_from_affine, shape3

__all__ = [
    "NM_SOP_CLASS",
    "header_view",
    "modality_values",
    "read_enhanced",
    "read_nifti",
    "read_nm",
    "stored_frames",
]

NM_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.20"
_PIXEL_DATA = 0x7FE00010
_SLOPE, _INTERCEPT, _MODALITY_LUT = 0x00281053, 0x00281052, 0x00283000
_TRANSFER_SYNTAX = 0x00020010
_LAYOUT_TAGS = (0x00280002, 0x00280008, 0x00280100, 0x00280101, 0x00280103)
"""Samples per Pixel, Number of Frames, Bits Allocated, Bits Stored, Pixel Representation
(PS3.3 C.7.6.3); Rows and Columns are checked with the geometry."""


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
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader.ReadImageInformation()  # the geometry only: pixels come from pydicom
    except RuntimeError as exc:
        raise DicomError(f"cannot read NM geometry: {exc}", file=path) from exc
    frame_uid = get_str(ds, "FrameOfReferenceUID") or ""
    grid = Grid.from_sitk(reader, frame_of_reference_uid=frame_uid)
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


def read_nifti(path: Path, *, stored: bool = False) -> tuple[NDArray[Any], Grid]:
    """Array (z, y, x) and grid of a 3-D NIfTI file (a 4-D file with one volume is accepted).

    The array is float64, or with ``stored`` the file's own data type (masks: labels are
    compared, not computed with, so no float copy is made).
    """
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
    array = sitk.GetArrayFromImage(image)
    return (array if stored else array.astype(np.float64)), Grid.from_sitk(image)


def _layout_key(ds: Dataset) -> tuple[object, ...]:
    """Stored form of the attributes that fix how pixel data are laid out."""
    meta = getattr(ds, "file_meta", None)
    syntax = None if meta is None else raw_value(meta, _TRANSFER_SYNTAX)
    return (syntax, *(raw_value(ds, tag) for tag in _LAYOUT_TAGS))


def _native_layout(ds: Dataset, rows: int, cols: int) -> tuple[str, int, int] | None:
    """(NumPy dtype, bits stored, bytes) of uncompressed monochrome pixel data, else None."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None or syntax.is_compressed:
        return None
    try:
        allocated = int(ds.BitsAllocated)
        stored = int(ds.get("BitsStored", allocated) or allocated)
        signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (AttributeError, TypeError, ValueError):
        return None
    if samples != 1 or frames != 1 or allocated not in (8, 16, 32) or not 0 < stored <= allocated:
        return None
    order = "<" if syntax.is_little_endian else ">"
    dtype = f"{order}{'i' if signed else 'u'}{allocated // 8}"
    return dtype, stored, rows * cols * allocated // 8


def _native_frame(
    ds: Dataset, path: Path, layout: tuple[str, int, int], rows: int, cols: int
) -> NDArray[Any]:
    """Stored values of one uncompressed slice, as pydicom's ``pixel_array`` gives them."""
    dtype, bits_stored, nbytes = layout
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = raw_value(ds, _PIXEL_DATA)  # read now if deferred by the folder scan
    except (OSError, ValueError, EOFError) as exc:
        raise DicomError(
            f"cannot read the pixel data ({type(exc).__name__})",
            file=path,
            field="PixelData (7FE0,0010)",
            hint="the file changed or vanished since the folder was scanned; scan it again",
        ) from exc
    if not isinstance(data, bytes) or len(data) < nbytes:
        raise DicomError(
            f"pixel data is truncated ({len(data) if isinstance(data, bytes) else 0} of "
            f"{nbytes} bytes)",
            file=path,
            field="PixelData (7FE0,0010)",
            hint="the file is corrupt: re-export it",
        )
    frame: NDArray[Any] = np.frombuffer(data, dtype=dtype, count=rows * cols).reshape(rows, cols)
    shift = frame.dtype.itemsize * 8 - bits_stored
    if shift and frame.dtype.kind == "u":
        frame = frame & np.array((1 << bits_stored) - 1, dtype=frame.dtype)
    elif shift:
        frame = (frame << shift) >> shift
    return frame


def _decoded_frame(ds: Dataset, path: Path) -> NDArray[Any]:
    """Stored values of one single-frame slice decoded by pydicom (compressed, colour...)."""
    if int(ds.get("NumberOfFrames", 1) or 1) > 1:
        raise SeriesGeometryError(
            "multi-frame file in a series of single-frame images",
            file=path,
            field="NumberOfFrames (0028,0008)",
            hint="load the multi-frame file on its own",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = np.asarray(ds.pixel_array)
    except (ValueError, TypeError, AttributeError, KeyError, RuntimeError, OSError) as exc:
        raise DicomError(
            f"cannot decode the pixel data ({exc})",
            file=path,
            field="PixelData (7FE0,0010)",
            hint="re-export the series uncompressed",
        ) from exc
    return frame[..., 0] if frame.ndim == 3 else frame


def stored_frames(
    datasets: list[Dataset], paths: list[Path], rows: int, cols: int
) -> list[NDArray[Any]]:
    """Stored values of every slice (rows x columns each)."""
    key = _layout_key(datasets[0])  # before _native_layout converts the first's values
    layout = _native_layout(datasets[0], rows, cols)
    frames = []
    for ds, path in zip(datasets, paths, strict=True):
        same = layout is not None and (
            _layout_key(ds) == key or _native_layout(ds, rows, cols) == layout
        )
        if same and layout is not None:
            frame = _native_frame(ds, path, layout, rows, cols)
        else:
            frame = _decoded_frame(ds, path)
        if frame.shape != (rows, cols):
            raise SeriesGeometryError(
                f"pixel data of shape {frame.shape} in a {rows}x{cols} series",
                file=path,
                hint="the series mixes image sizes; remove the odd images",
            )
        frames.append(frame)
    return frames


def modality_values(
    frames: list[NDArray[Any]], datasets: list[Dataset], paths: list[Path]
) -> NDArray[np.float64]:
    """The modality LUT of each slice: stored x slope + intercept, LUT sequences by pydicom."""
    rows, cols = frames[0].shape
    out = np.empty((len(frames), rows, cols), dtype=np.float64)
    for index, (frame, ds, path) in enumerate(zip(frames, datasets, paths, strict=True)):
        if _MODALITY_LUT in ds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[index] = apply_modality_lut(frame, ds)
            continue
        slope = get_number(ds, _SLOPE, "RescaleSlope", path, 1.0)
        intercept = get_number(ds, _INTERCEPT, "RescaleIntercept", path, 0.0)
        if slope != 1.0:
            np.multiply(frame, slope, out=out[index])
        else:
            out[index] = frame
        if intercept != 0.0:
            out[index] += intercept
    return out
