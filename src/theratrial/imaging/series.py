"""Discovery of DICOM studies and series in a folder tree.

Files may sit in any folder layout and any order, series may be mixed in one folder, and
non-image objects (RTSTRUCT, SEG, SR, ...) or non-DICOM files may be present. Files are
grouped by (0020,000E) Series Instance UID; each group is classified by
(0008,0016) SOP Class UID and (0008,0060) Modality (DICOM PS3.4 Annex B, storage classes).

Each file is read once: the scan parses the whole file (values over 256 KiB, such as the
pixel data of large matrices, stay on disk until first used) and each :class:`SeriesRef`
keeps its datasets, so :func:`~theratrial.imaging.load_volume` does not read a header again.
A caller that will load only some of the series (the dosimetry pipeline loads the SPECT and
one CT, never the PET) may scan with ``pixels=False``: each file's header is read without
its pixel data and the references carry no datasets, so a series is read in full only when
it is loaded (its files then read twice, the other series' files once, headers only).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = (Path(tmp) / "notes.txt").write_text("not DICOM")
...     inventory = scan_folder(tmp)
>>> len(inventory.series), inventory.skipped[0].reason
(0, 'not a DICOM file')
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from theratrial.errors import DicomError

__all__ = ["Inventory", "SeriesRef", "SkippedFile", "discover", "scan_folder"]

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
_IMAGE_MODALITIES = frozenset({"CT", "MR", "PT", "NM", "ST"})
_HEADER_TAGS = [
    "SOPClassUID",
    "SOPInstanceUID",
    "Modality",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SeriesDescription",
    "SeriesNumber",
    "FrameOfReferenceUID",
    "NumberOfFrames",
    "StudyDate",
]
_DEFER_BYTES = 256 * 1024
"""Values longer than this are read from disk when first used, not during the scan."""
_NOT_DICOM = (InvalidDicomError, OSError, ValueError, EOFError, KeyError, TypeError)


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """One DICOM series (or one non-image object series) found on disk.

    Attributes
    ----------
    series_uid, study_uid
        (0020,000E) Series and (0020,000D) Study Instance UIDs.
    modality
        (0008,0060), e.g. ``PT``, ``NM``, ``CT``, ``MR``, ``RTSTRUCT``, ``SEG``.
    kind
        ``"image"``, ``"rtstruct"``, ``"seg"`` or ``"other"``.
    sop_class_uid
        (0008,0016) of the first file.
    description
        (0008,103E) Series Description ("" when absent).
    series_number
        (0020,0011), when present.
    frame_of_reference_uid
        (0020,0052) ("" when absent at the top level, as in RTSTRUCT).
    files
        The series' files, sorted by path.
    n_frames
        Total number of frames (single-frame files count one each).
    study_date
        (0008,0020), as stored.
    datasets
        The files' datasets as read by the scan, aligned with ``files`` (``None`` for a file
        whose body could not be parsed; the loader reads it again and reports why). Empty
        for a reference built by hand. Not part of equality.
    """

    series_uid: str
    study_uid: str
    modality: str
    kind: str
    sop_class_uid: str
    description: str
    series_number: int | None
    frame_of_reference_uid: str
    files: tuple[Path, ...]
    n_frames: int
    study_date: str = ""
    datasets: tuple[Dataset | None, ...] = field(default=(), compare=False, repr=False)

    @property
    def folder(self) -> Path:
        """The deepest folder that holds all the series' files."""
        return Path(os.path.commonpath([str(f.parent) for f in self.files]))


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that discovery could not use, and why."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class Inventory:
    """What a folder scan found: DICOM series, NIfTI files and the files it skipped."""

    root: Path
    series: tuple[SeriesRef, ...]
    nifti: tuple[Path, ...]
    skipped: tuple[SkippedFile, ...]

    def images(self) -> tuple[SeriesRef, ...]:
        """The image series only (no RTSTRUCT, SEG or other objects)."""
        return tuple(s for s in self.series if s.kind == "image")


def _kind(sop_class: str, modality: str) -> str:
    if sop_class == RTSTRUCT_SOP_CLASS or modality == "RTSTRUCT":
        return "rtstruct"
    if sop_class == SEG_SOP_CLASS or modality == "SEG":
        return "seg"
    if modality in _IMAGE_MODALITIES:
        return "image"
    return "other"


def _is_nifti(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".nii", ".nii.gz"))


def _walk(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise FileNotFoundError(2, "No such file or directory", str(root))
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder) / f for f in sorted(files) if not f.startswith("."))
    return found


def scan_folder(
    root: str | Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    pixels: bool = True,
) -> Inventory:
    """Find every DICOM series and NIfTI file under ``root`` (a folder or one file).

    Each file is read once and its dataset kept on its :class:`SeriesRef` (values over
    256 KiB, such as large pixel data, are read when first used). Files that are not DICOM
    are listed in ``Inventory.skipped`` with the reason, never raised.

    Parameters
    ----------
    root
        Folder to search recursively (hidden files and folders are ignored), or one file.
    progress
        Called as ``progress(done, total)`` after each file.
    pixels
        ``True`` (default): read each file whole (pixel data over 256 KiB deferred) and
        keep its dataset. ``False``: read only the header elements discovery needs, stopping
        before (7FE0,0010) Pixel Data; the references then hold no datasets, and
        :func:`~theratrial.imaging.load_volume` reads the files of a series it loads.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     scan_folder(tmp, pixels=False).series
    ()
    """
    base = Path(root)
    paths = _walk(base)
    groups: dict[str, list[tuple[Path, Dataset, Dataset | None]]] = {}
    nifti: list[Path] = []
    skipped: list[SkippedFile] = []
    for number, path in enumerate(paths, start=1):
        if _is_nifti(path):
            nifti.append(path)
        else:
            head, full = _read(path) if pixels else (_read_header(path), None)
            if head is None:
                skipped.append(SkippedFile(path, "not a DICOM file"))
            else:
                uid = str(head.get("SeriesInstanceUID", "") or "")
                if not uid or "SOPClassUID" not in head:
                    skipped.append(SkippedFile(path, "DICOM file without a series or SOP class"))
                else:
                    groups.setdefault(uid, []).append((path, head, full))
        if progress is not None:
            progress(number, len(paths))
    series = [_series_ref(uid, members, keep=pixels) for uid, members in groups.items()]
    series.sort(key=lambda s: (s.study_uid, s.kind != "image", s.modality, s.series_number or 0))
    return Inventory(base, tuple(series), tuple(nifti), tuple(skipped))


def _read(path: Path) -> tuple[Dataset | None, Dataset | None]:
    """(header, whole dataset) of one file; the whole is ``None`` when only a header parses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, defer_size=_DEFER_BYTES)
        except _NOT_DICOM:
            pass
        else:
            return ds, ds
    return _read_header(path), None


def _read_header(path: Path) -> Dataset | None:
    """The discovery elements of one file's header, never its pixel data (None: not DICOM)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
        except _NOT_DICOM:
            return None


def _series_ref(
    uid: str, members: list[tuple[Path, Dataset, Dataset | None]], *, keep: bool = True
) -> SeriesRef:
    members.sort(key=lambda m: str(m[0]))
    first = members[0][1]
    modality = str(first.get("Modality", "") or "").upper()
    sop_class = str(first.get("SOPClassUID", ""))
    frames = 0
    for _, ds, _ in members:
        try:
            frames += max(1, int(ds.get("NumberOfFrames", 1) or 1))
        except (TypeError, ValueError):
            frames += 1
    number = first.get("SeriesNumber")
    try:
        series_number = int(number) if number not in (None, "") else None
    except (TypeError, ValueError):
        series_number = None
    return SeriesRef(
        series_uid=uid,
        study_uid=str(first.get("StudyInstanceUID", "") or ""),
        modality=modality,
        kind=_kind(sop_class, modality),
        sop_class_uid=sop_class,
        description=str(first.get("SeriesDescription", "") or ""),
        series_number=series_number,
        frame_of_reference_uid=str(first.get("FrameOfReferenceUID", "") or ""),
        files=tuple(m[0] for m in members),
        n_frames=frames,
        study_date=str(first.get("StudyDate", "") or ""),
        datasets=tuple(m[2] for m in members) if keep else (),
    )


def discover(root: str | Path) -> list[SeriesRef]:
    """Every DICOM series under ``root``, images first within each study.

    A convenience over :func:`scan_folder` that drops the skipped files and NIfTI list.
    """
    return list(scan_folder(root).series)


def single_image_series(root: str | Path) -> SeriesRef:
    """The one image series under ``root``; a clear error when there are none or several."""
    images = scan_folder(root).images()
    if not images:
        raise DicomError(
            "no DICOM image series found", file=root, hint="point to a folder of DICOM images"
        )
    if len(images) > 1:
        listing = ", ".join(
            f"{s.modality} '{s.description}' ({len(s.files)} files)" for s in images
        )
        raise DicomError(
            f"{len(images)} image series found ({listing})",
            file=root,
            hint="point to the folder of one series",
        )
    return images[0]
