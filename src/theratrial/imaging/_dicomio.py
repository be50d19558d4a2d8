"""Reading DICOM files and header values with clear errors (private helpers).

pydicom may warn on odd files (bad VR, invalid values); those warnings are caught here and
never reach the caller, so that a test run with warnings-as-errors stays green and a CLI
user sees one line, not a traceback.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.valuerep import DA, DT, TM

from theratrial.errors import DicomError, DicomHeaderError

__all__ = [
    "combine_date_time",
    "get_float",
    "get_str",
    "parse_da",
    "parse_dt",
    "parse_tm",
    "read_dataset",
    "seconds_between",
    "tag_label",
]

_TAGS: dict[str, str] = {
    "PatientWeight": "(0010,1030)",
    "PatientSize": "(0010,1020)",
    "PatientSex": "(0010,0040)",
    "Units": "(0054,1001)",
    "SUVType": "(0054,1006)",
    "DecayCorrection": "(0054,1102)",
    "RadionuclideTotalDose": "(0018,1074)",
    "RadionuclideHalfLife": "(0018,1075)",
    "RadiopharmaceuticalStartTime": "(0018,1072)",
    "RadiopharmaceuticalStartDateTime": "(0018,1078)",
    "SeriesDate": "(0008,0021)",
    "SeriesTime": "(0008,0031)",
    "AcquisitionDate": "(0008,0022)",
    "AcquisitionTime": "(0008,0032)",
    "AcquisitionDateTime": "(0008,002A)",
    "ActualFrameDuration": "(0018,1242)",
    "FrameReferenceTime": "(0054,1300)",
    "RescaleSlope": "(0028,1053)",
    "RescaleIntercept": "(0028,1052)",
    "ImagePositionPatient": "(0020,0032)",
    "ImageOrientationPatient": "(0020,0037)",
    "PixelSpacing": "(0028,0030)",
    "FrameOfReferenceUID": "(0020,0052)",
    "SeriesInstanceUID": "(0020,000E)",
    "SOPInstanceUID": "(0008,0018)",
    "Modality": "(0008,0060)",
    "DiffusionBValue": "(0018,9087)",
    "SpacingBetweenSlices": "(0018,0088)",
    "SliceThickness": "(0018,0050)",
}


def tag_label(keyword: str) -> str:
    """``Keyword (gggg,eeee)`` for error messages (the keyword alone if the tag is unknown)."""
    tag = _TAGS.get(keyword)
    return f"{keyword} {tag}" if tag else keyword


def read_dataset(path: Path, *, header_only: bool = False) -> Dataset:
    """Read one DICOM file; raise :class:`DicomError` naming the file if it is not DICOM.

    Files without the 128-byte preamble are accepted when they parse as DICOM and carry a
    SOP Class UID (0008,0016).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=header_only)
            except InvalidDicomError:
                ds = pydicom.dcmread(path, stop_before_pixels=header_only, force=True)
                if "SOPClassUID" not in ds:
                    raise
    except InvalidDicomError as exc:
        raise DicomError(
            "not a DICOM file", file=path, hint="remove it or point to the DICOM files only"
        ) from exc
    except (OSError, ValueError, KeyError, EOFError, TypeError, AttributeError) as exc:
        if isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError):
            raise
        raise DicomError(
            f"unreadable or corrupt DICOM file ({type(exc).__name__})",
            file=path,
            hint="re-export the series from the PACS or scanner",
        ) from exc
    return ds


def get_str(ds: Dataset, keyword: str) -> str | None:
    """A header attribute as a stripped string, ``None`` when absent or empty."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = ds.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def get_float(ds: Dataset, keyword: str, *, file: Path | str | None = None) -> float | None:
    """A numeric header attribute as a float; ``None`` when absent or empty.

    Raises
    ------
    DicomHeaderError
        When the attribute is present but not a number.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = ds.get(keyword)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, list | tuple | MultiValue):
            value = value[0]
        return float(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise DicomHeaderError(
            f"value {value!r} is not a number",
            file=file,
            field=tag_label(keyword),
            hint="correct the header attribute or pass the value explicitly",
        ) from exc


def _clean(text: str) -> str:
    return text.strip().replace(":", "") if ":" in text and len(text) <= 15 else text.strip()


def parse_da(text: str | None) -> date | None:
    """Parse a DICOM DA (``YYYYMMDD``) value; ``None`` when absent or unreadable."""
    if not text:
        return None
    try:
        value = DA(text.strip().replace(".", "").replace("-", ""))
    except (ValueError, TypeError):
        return None
    return date(value.year, value.month, value.day) if value is not None else None


def parse_tm(text: str | None) -> time | None:
    """Parse a DICOM TM (``HHMMSS.FFFFFF``, also ``HH:MM:SS``) value; ``None`` if unreadable."""
    if not text:
        return None
    try:
        value = TM(_clean(text))
    except (ValueError, TypeError):
        return None
    if value is None:
        return None
    return time(value.hour, value.minute, value.second, value.microsecond)


def parse_dt(text: str | None) -> datetime | None:
    """Parse a DICOM DT value as a naive local date-time; ``None`` if absent or unreadable.

    A UTC offset, when present, is dropped: every time in one study shares the scanner's
    local clock, which is what decay intervals need.
    """
    if not text:
        return None
    try:
        value = DT(text.strip())
    except (ValueError, TypeError):
        return None
    if value is None:
        return None
    return datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def combine_date_time(day: date | None, moment: time | None) -> datetime | None:
    """``datetime.combine`` that passes ``None`` through."""
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment)


def seconds_between(later: datetime, earlier: datetime) -> float:
    """Seconds from ``earlier`` to ``later`` (negative when ``later`` is earlier)."""
    delta: timedelta = later - earlier
    return delta.total_seconds()
