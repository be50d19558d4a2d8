"""Masks (VOIs) from RTSTRUCT, DICOM SEG and NIfTI, on the grid of a reference image.

Every mask is returned on the grid of the ``reference`` volume it will measure. Masks on
another grid of the same frame of reference ((0020,0052) Frame of Reference UID) are
resampled (SimpleITK; linear interpolation of the mask's occupancy, kept where >= 0.5), so a
CT organ mask can measure a PET image. A mask on a different frame of reference is refused.

Region names say what a mask is: names starting with ``lesion``, ``tumour``/``tumor``,
``gtv``, ``met`` (metastasis) or ``les_`` are lesions; every other name is an organ
(case-insensitive; see :func:`region_kind`). In a masks folder, a NIfTI file is one region
named by its file name (``liver.nii.gz`` -> ``liver``), an RTSTRUCT gives one region per
ROI and a DICOM SEG one region per segment (named by (0062,0005) Segment Label). A NIfTI
must be whole: its gzip stream complete (CRC and length, RFC 1952) and at least
``vox_offset`` + the voxel bytes its header's ``dim`` and ``bitpix`` announce.

Examples
--------
>>> region_kind("Lesion_01"), region_kind("GTV_Mass"), region_kind("liver")
('lesion', 'lesion', 'organ')
"""

from __future__ import annotations

import gzip
import math
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import highdicom as hd
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from theratrial.errors import MaskError
from theratrial.imaging._assemble import grid_from_affine, shape3
from theratrial.imaging._dicomio import get_str, read_dataset
from theratrial.imaging._multiframe import read_nifti
from theratrial.imaging._rtstruct import rasterise_contours, read_rtstruct_rois
from theratrial.imaging._sitk import sitk
from theratrial.imaging.grid import Grid
from theratrial.imaging.series import RTSTRUCT_SOP_CLASS, SEG_SOP_CLASS, scan_folder
from theratrial.imaging.volume import Volume

__all__ = ["Mask", "load_mask", "load_masks", "region_kind", "resample_mask"]

LESION_PREFIXES = ("lesion", "les_", "tumour", "tumor", "gtv", "met")
_FOR_FIELD = "FrameOfReferenceUID (0020,0052)"


def region_kind(name: str) -> str:
    """``"lesion"`` for lesion-like names (see module docstring), else ``"organ"``."""
    return "lesion" if name.strip().lower().startswith(LESION_PREFIXES) else "organ"


@dataclass(frozen=True, slots=True, eq=False)
class Mask:
    """A boolean VOI on a voxel grid.

    Attributes
    ----------
    array
        Boolean array ``(z, y, x)``.
    grid
        The grid it lies on (the reference image's grid after loading).
    name
        Region name (ROI name, segment label or NIfTI file stem).
    source
        File it came from, when any.
    notes
        What loading did (resampled from another grid, frame of reference unknown, ...).
    """

    array: NDArray[np.bool_]
    grid: Grid
    name: str
    source: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """``"lesion"`` or ``"organ"``, from the name."""
        return region_kind(self.name)

    @property
    def n_voxels(self) -> int:
        """Number of voxels in the mask."""
        return int(np.count_nonzero(self.array))

    @property
    def volume_ml(self) -> float:
        """Mask volume in mL (voxel count x voxel volume)."""
        return self.n_voxels * self.grid.voxel_volume_ml


def _check_frame(frame_uid: str, reference: Volume, source: Path | None) -> list[str]:
    if not frame_uid or not reference.frame_of_reference_uid:
        return ["frame of reference not checked (unknown on one side)"]
    if frame_uid != reference.frame_of_reference_uid:
        raise MaskError(
            "mask and image are on different frames of reference",
            file=source,
            field=_FOR_FIELD,
            hint="use a mask drawn on this patient's images of the same scan session",
        )
    return []


def resample_mask(mask: Mask, reference: Volume | Grid) -> Mask:
    """The mask on another grid of the same frame of reference.

    Occupancy is interpolated linearly (SimpleITK) and voxels with occupancy >= 0.5 kept.

    Raises
    ------
    MaskError
        Different frames of reference.
    """
    grid = reference.grid if isinstance(reference, Volume) else reference
    if (
        mask.grid.frame_of_reference_uid
        and grid.frame_of_reference_uid
        and mask.grid.frame_of_reference_uid != grid.frame_of_reference_uid
    ):
        raise MaskError(
            f"mask {mask.name!r} is on a different frame of reference than the image",
            file=mask.source,
            field=_FOR_FIELD,
            hint="masks can only move between grids of one frame of reference",
        )
    if mask.grid.matches(grid):
        return Mask(mask.array.copy(), grid, mask.name, mask.source, mask.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moving = mask.grid.to_sitk(mask.array.astype(np.float32))
        out = sitk.Resample(moving, grid.to_sitk(), sitk.Transform(), sitk.sitkLinear, 0.0)
    array = sitk.GetArrayFromImage(out) >= 0.5
    note = f"resampled from a {mask.grid.shape} grid onto the {grid.shape} image grid"
    return Mask(array, grid, mask.name, mask.source, (*mask.notes, note))


def _finish(
    array: NDArray[np.bool_], grid: Grid, name: str, path: Path, notes: list[str], reference: Volume
) -> Mask:
    mask = Mask(array, grid, name, path, tuple(notes))
    placed = (
        resample_mask(mask, reference)
        if not grid.matches(reference.grid)
        else Mask(array, reference.grid, name, path, tuple(notes))
    )
    if placed.n_voxels == 0:
        raise MaskError(
            f"region {name!r} has no voxel on the image grid",
            file=path,
            hint="check that the mask belongs to this image (field of view, patient)",
        )
    return placed


def _nifti_name(path: Path) -> str:
    name = path.name
    for suffix in (".nii.gz", ".nii"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _nifti_bytes_needed(head: bytes) -> int | None:
    """vox_offset + voxel bytes announced by a NIfTI-1 or NIfTI-2 header (None: unknown)."""
    for order in ("<", ">"):
        sizeof_hdr = struct.unpack(order + "i", head[:4])[0] if len(head) >= 4 else 0
        if sizeof_hdr == 348 and len(head) >= 348:
            dims = struct.unpack(order + "8h", head[40:56])
            bitpix = struct.unpack(order + "h", head[72:74])[0]
            offset = int(struct.unpack(order + "f", head[108:112])[0])
        elif sizeof_hdr == 540 and len(head) >= 540:
            bitpix = struct.unpack(order + "h", head[14:16])[0]
            dims = struct.unpack(order + "8q", head[16:80])
            offset = struct.unpack(order + "q", head[168:176])[0]
        else:
            continue
        if not 1 <= dims[0] <= 7 or bitpix <= 0:
            return None
        voxels = math.prod(max(int(d), 1) for d in dims[1 : dims[0] + 1])
        return int((offset or sizeof_hdr) + voxels * bitpix // 8)
    return None


def _check_nifti_whole(path: Path) -> None:
    """Refuse a NIfTI whose gzip stream or voxel data stops short (names the file)."""
    try:
        if path.name.lower().endswith(".gz"):
            size, head = 0, b""
            with gzip.open(path, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    if len(head) < 540:
                        head += chunk[: 540 - len(head)]
                    size += len(chunk)
        else:
            size = path.stat().st_size
            with path.open("rb") as stream:
                head = stream.read(540)
    except (EOFError, OSError, zlib.error) as exc:
        raise MaskError(
            f"the NIfTI file is truncated or corrupt ({exc})",
            file=path,
            hint="copy or export the mask again; a partial file is never read as a mask",
        ) from exc
    needed = _nifti_bytes_needed(head)
    if needed is not None and size < needed:
        raise MaskError(
            f"the NIfTI file is truncated: {size} bytes of data, its header announces {needed}",
            file=path,
            field="dim/bitpix/vox_offset (NIfTI header)",
            hint="copy or export the mask again; a partial file is never read as a mask",
        )


def _load_nifti(path: Path, reference: Volume, roi: str | None = None) -> Mask:
    _check_nifti_whole(path)
    values, grid = read_nifti(path, stored=True)
    labels = np.unique(values[values != 0]).astype(np.float64)  # the label values as numbers
    notes = ["NIfTI carries no frame of reference: assumed to be the image's"]
    grid = grid.with_frame_of_reference(reference.frame_of_reference_uid)
    name = _nifti_name(path)
    if roi is not None and roi.strip().lower() != name.lower():
        # a label map: the ROI is one label value
        try:
            label = float(roi)
        except ValueError:
            label = math.nan
        if not np.any(labels == label):
            raise MaskError(
                f"no region {roi!r} in this NIfTI (file name {name!r}, labels "
                f"{[f'{v:g}' for v in labels.tolist()]})",
                file=path,
                field="roi",
                hint="give one of the label values, or the file name",
            )
        notes.append(f"NIfTI label {label:g} of {[f'{v:g}' for v in labels.tolist()]}")
        return _finish(values == label, grid, f"{name}_{label:g}", path, notes, reference)
    if labels.size > 1:
        notes.append(f"NIfTI holds labels {labels.tolist()}; all non-zero voxels used")
    return _finish(values != 0, grid, name, path, notes, reference)


def _pick(names: list[str], roi: str | None, path: Path) -> int:
    if roi is None:
        if len(names) == 1:
            return 0
        raise MaskError(
            f"file holds {len(names)} regions ({', '.join(names)})",
            file=path,
            hint="name one with roi= (--roi NAME)",
        )
    wanted = roi.lower()
    for rule in ("exact", "nocase", "prefix"):
        hits = [
            i
            for i, n in enumerate(names)
            if (rule == "exact" and n == roi)
            or (rule == "nocase" and n.lower() == wanted)
            or (rule == "prefix" and n.lower().startswith(wanted))
        ]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            break
    raise MaskError(
        f"no single region named {roi!r} (regions: {', '.join(names)})",
        file=path,
        field="ROIName (3006,0026)",
        hint="give the exact region name",
    )


def _seg_regions(path: Path, reference: Volume, roi: str | None, every: bool) -> list[Mask]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            seg = hd.seg.segread(str(path))
        except (ValueError, AttributeError, TypeError, KeyError) as exc:
            raise MaskError(f"unreadable DICOM SEG ({exc})", file=path) from exc
        numbers = list(seg.segment_numbers)
        names = [str(seg.get_segment_description(n).segment_label) for n in numbers]
        chosen = range(len(numbers)) if every else [_pick(names, roi, path)]
        notes = _check_frame(get_str(seg, "FrameOfReferenceUID") or "", reference, path)
        masks: list[Mask] = []
        for index in chosen:
            try:
                volume = seg.get_volume(segment_numbers=[numbers[index]], combine_segments=True)
            except (ValueError, RuntimeError) as exc:
                raise MaskError(f"SEG segment cannot form a volume ({exc})", file=path) from exc
            array = np.asarray(volume.array) > 0
            if array.ndim == 4:
                array = array[..., 0]
            grid = grid_from_affine(
                np.asarray(volume.affine),
                shape3(array),
                reference.frame_of_reference_uid,
            )
            masks.append(_finish(array, grid, names[index], path, notes, reference))
    return masks


def _rtstruct_regions(
    path: Path, ds: Dataset, reference: Volume, roi: str | None, every: bool
) -> list[Mask]:
    rois = [r for r in read_rtstruct_rois(ds, path) if r.contours]
    if not rois:
        raise MaskError("RTSTRUCT holds no closed planar contour", file=path)
    names = [r.name for r in rois]
    chosen = range(len(rois)) if every else [_pick(names, roi, path)]
    masks = []
    for index in chosen:
        item = rois[index]
        notes = _check_frame(item.frame_of_reference_uid, reference, path)
        array = rasterise_contours(item.contours, reference.grid)
        masks.append(_finish(array, reference.grid, item.name, path, notes, reference))
    return masks


def _dicom_regions(path: Path, reference: Volume, roi: str | None, every: bool) -> list[Mask]:
    # one read: large values (a SEG's pixel data) stay on disk until used
    head = read_dataset(path, defer_size=1 << 20)
    sop_class = get_str(head, "SOPClassUID") or ""
    modality = (get_str(head, "Modality") or "").upper()
    if sop_class == RTSTRUCT_SOP_CLASS or modality == "RTSTRUCT":
        return _rtstruct_regions(path, head, reference, roi, every)
    if sop_class == SEG_SOP_CLASS or modality == "SEG":
        return _seg_regions(path, reference, roi, every)
    raise MaskError(
        f"DICOM object of modality {modality or 'unknown'} is not a mask",
        file=path,
        hint="use an RTSTRUCT, a DICOM SEG or a NIfTI mask",
    )


def _is_nifti(path: Path) -> bool:
    return path.name.lower().endswith((".nii", ".nii.gz"))


def load_mask(path: str | Path, *, reference: Volume, roi: str | None = None) -> Mask:
    """Load one region from an RTSTRUCT, DICOM SEG or NIfTI file onto ``reference``'s grid.

    Parameters
    ----------
    path
        The mask file (or a folder holding exactly one mask file).
    reference
        The image the mask will measure; the mask is rasterised or resampled onto its grid.
    roi
        Region to take from a multi-region file: exact name, then case-insensitive, then a
        unique prefix (``GTV_Mass`` finds ``GTV_Mass_PET``). For a NIfTI label map, a label
        value (``"2"``: the voxels labelled 2); the file's own name, or none, takes every
        non-zero voxel.

    Raises
    ------
    MaskError
        Unknown region, several regions and no ``roi``, other frame of reference, a region
        with no voxel on the grid.
    """
    source = Path(path)
    if source.is_dir():
        regions = load_masks(source, reference=reference)
        index = _pick([m.name for m in regions], roi, source)
        return regions[index]
    if _is_nifti(source):
        return _load_nifti(source, reference, roi)
    return _dicom_regions(source, reference, roi, every=False)[0]


def load_masks(path: str | Path, *, reference: Volume) -> list[Mask]:
    """Every region in a mask file or folder (NIfTI files, RTSTRUCT ROIs, SEG segments).

    Files that are neither NIfTI nor DICOM masks are ignored; duplicate region names get a
    numeric suffix.
    """
    source = Path(path)
    masks: list[Mask] = []
    if source.is_dir():
        inventory = scan_folder(source)
        for nifti in inventory.nifti:
            masks.append(_load_nifti(nifti, reference))
        for series in inventory.series:
            if series.kind in ("rtstruct", "seg"):
                for file in series.files:
                    masks.extend(_dicom_regions(file, reference, None, every=True))
    elif _is_nifti(source):
        masks.append(_load_nifti(source, reference))
    else:
        masks.extend(_dicom_regions(source, reference, None, every=True))
    if not masks:
        raise MaskError("no mask found", file=source, hint="put NIfTI, RTSTRUCT or SEG files there")
    seen: dict[str, int] = {}
    renamed: list[Mask] = []
    for mask in masks:
        count = seen.get(mask.name, 0)
        seen[mask.name] = count + 1
        if count:
            mask = Mask(mask.array, mask.grid, f"{mask.name}_{count + 1}", mask.source, mask.notes)
        renamed.append(mask)
    return renamed
