"""De-identify a folder of DICOM files into a new folder, all or nothing.

Every DICOM file under the source folder is de-identified with :func:`~theratrial.pacs.deid.
deidentify_dataset` and written as ``DST/<new Series Instance UID>/<new SOP Instance UID>.dcm``
(source folder and file names may carry identifiers, so none is reused). The output is built
in a hidden sibling folder and renamed into place at the end: a failure (an unreadable
instance, a file of another patient, burned-in annotation) leaves no destination at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from theratrial.errors import DicomError, DicomHeaderError, InputError
from theratrial.pacs.deid import DeidSettings, deidentify_dataset

__all__ = ["DeidReport", "deidentify_folder", "dicom_files", "source_patient_id"]


@dataclass(frozen=True, slots=True)
class DeidReport:
    """What :func:`deidentify_folder` wrote: counts and the files left aside."""

    pseudonym: str
    date_shift_days: int
    instances: int
    series: int
    skipped_non_dicom: tuple[str, ...]
    out_dir: Path


def _read(path: Path, *, header_only: bool) -> Dataset | None:
    try:
        return pydicom.dcmread(path, stop_before_pixels=header_only)
    except InvalidDicomError:
        if path.suffix.lower() == ".dcm":
            raise DicomError(
                "not a readable DICOM file",
                file=path,
                hint="remove or replace the malformed instance; nothing was written",
            ) from None
        return None
    except Exception as exc:  # pydicom raises many kinds on truncated files
        raise DicomError(
            f"unreadable DICOM file ({exc.__class__.__name__}: {exc})",
            file=path,
            hint="remove or replace the malformed instance; nothing was written",
        ) from exc


def dicom_files(src: Path) -> tuple[list[tuple[Path, Dataset]], list[Path]]:
    """The DICOM files (with headers) and the other files under ``src``, in name order."""
    found: list[tuple[Path, Dataset]] = []
    other: list[Path] = []
    for path in sorted(p for p in src.rglob("*") if p.is_file() and not p.name.startswith(".")):
        ds = _read(path, header_only=True)
        if ds is None:
            other.append(path)
        else:
            found.append((path, ds))
    return found, other


def source_patient_id(files: list[tuple[Path, Dataset]], *, src: Path) -> str:
    """The one Patient ID (0010,0020) of ``files``.

    Raises
    ------
    InputError
        When there is no DICOM file, or files of more than one patient.
    """
    if not files:
        raise InputError("no DICOM file found", file=src, hint="give the folder of one study")
    first_path, first = files[0]
    wanted = str(first.get("PatientID", "")).strip()
    for path, ds in files[1:]:
        if str(ds.get("PatientID", "")).strip() != wanted:
            raise DicomHeaderError(
                f"this instance belongs to another patient than {first_path.name}",
                file=path,
                field="PatientID (0010,0020)",
                hint="de-identify one patient per run; move the other patient's files out",
            )
    return wanted


def deidentify_folder(src: str | Path, dst: str | Path, settings: DeidSettings) -> DeidReport:
    """De-identify every DICOM file under ``src`` into the new folder ``dst``.

    Raises
    ------
    InputError
        ``dst`` exists and is not empty, or ``src`` holds no DICOM file or several patients.
    DicomError
        A malformed instance or one with burned-in annotation (nothing is written).
    """
    src, dst = Path(src), Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise InputError(
            "the destination exists and is not empty", file=dst, hint="give a new folder"
        )
    files, other = dicom_files(src)
    source_patient_id(files, src=src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dst.name}.partial-", dir=dst.parent))
    series: set[str] = set()
    try:
        for path, _header in files:
            ds = _read(path, header_only=False)
            assert ds is not None
            deidentify_dataset(ds, settings, file=str(path))
            series_uid, sop_uid = str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)
            if "MediaStorageSOPInstanceUID" in ds.file_meta:
                ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
            folder = work / series_uid
            folder.mkdir(exist_ok=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # the source's own VR flaws
                ds.save_as(folder / f"{sop_uid}.dcm", enforce_file_format=True)
            series.add(series_uid)
        if dst.exists():
            dst.rmdir()
        os.replace(work, dst)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return DeidReport(
        pseudonym=settings.pseudonym,
        date_shift_days=settings.date_shift_days,
        instances=len(files),
        series=len(series),
        skipped_non_dicom=tuple(str(p.relative_to(src)) for p in other),
        out_dir=dst,
    )
