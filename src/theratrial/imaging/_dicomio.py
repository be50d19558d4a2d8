"""Reading DICOM files and header values with clear errors (private helpers).

pydicom may warn on odd files (bad VR, invalid values); those warnings are caught here and
never reach the caller, so that a test run with warnings-as-errors stays green and a CLI
user sees one line, not a traceback.

pydicom keeps each element as raw bytes until it is first accessed. :func:`get_floats` and
:func:`get_uid` read numeric (DS, IS; PS3.5 6.2) and UID values straight from those bytes
(backslash-separated ASCII, PS3.5 6.4), so a loader that needs a few values of every slice,
or the tens of thousands of (3006,0050) Contour Data numbers of a structure set, does not
build one validated Python object per value.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.multival import MultiValue
from pydicom.valuerep import DA, DT, TM

from theratrial.errors import DicomError, DicomHeaderError

__all__ = [
    "combine_date_time",
    "get_float",
    "get_floats",
    "get_number",
    "get_str",
    "get_uid",
    "parse_da",
    "parse_dt",
    "parse_tm",
    "raw_value",
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


def read_dataset(
    path: Path, *, header_only: bool = False, defer_size: int | None = None
) -> Dataset:
    """Read one DICOM file; raise :class:`DicomError` naming the file if it is not DICOM.

    Files without the 128-byte preamble are accepted when they parse as DICOM and carry a
    SOP Class UID (0008,0016). Values longer than ``defer_size`` bytes (large pixel data)
    are left on disk and read when first used.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=header_only, defer_size=defer_size)
            except InvalidDicomError:
                ds = pydicom.dcmread(
                    path, stop_before_pixels=header_only, defer_size=defer_size, force=True
                )
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


_TEXT_NUMBER_VRS = frozenset({None, "DS", "IS"})


def get_floats(ds: Dataset, tag: int) -> NDArray[np.float64] | None:
    """Every value of a numeric attribute as float64; ``None`` when absent or empty.

    Decimal (DS) and integer (IS) strings still held as raw bytes are split on the
    backslash and parsed by NumPy in one call; attributes already converted by pydicom (or
    of a binary VR) are read from their values.

    Raises
    ------
    ValueError
        When a value is not a number.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.ImagePositionPatient = [-10, "2.5", 3]
    >>> get_floats(ds, 0x00200032).tolist()
    [-10.0, 2.5, 3.0]
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        element = ds.get_item(tag)
        if element is None:
            return None
        if isinstance(element, RawDataElement) and element.VR in _TEXT_NUMBER_VRS:
            raw = element.value
            if raw is None or not raw.strip(b" \x00"):
                return None
            return np.array(raw.strip(b" \x00").split(b"\\"), dtype=np.float64)
        value: Any = ds[tag].value
    if value is None or (isinstance(value, str | bytes) and not value.strip()):
        return None
    values = list(value) if isinstance(value, list | tuple | MultiValue) else [value]
    return np.array([float(v) for v in values], dtype=np.float64)


def get_uid(ds: Dataset, tag: int) -> str | None:
    """A UID (or other plain ASCII text value) without padding; ``None`` when absent or empty.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.SeriesInstanceUID = "1.2.3"
    >>> get_uid(ds, 0x0020000E), get_uid(ds, 0x00200052)
    ('1.2.3', None)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        element = ds.get_item(tag)
        if element is None:
            return None
        if isinstance(element, RawDataElement) and isinstance(element.value, bytes):
            text = element.value.decode("ascii", errors="replace").strip(" \x00")
        else:
            value = ds[tag].value
            text = "" if value is None else str(value).strip(" \x00")
    return text or None


def raw_value(ds: Dataset, tag: int) -> object:
    """The element's value as stored (raw bytes until pydicom converts it), for equality."""
    element = ds.get_item(tag)
    return None if element is None else element.value


def get_number(ds: Dataset, tag: int, keyword: str, path: Path, default: float) -> float:
    try:
        values = get_floats(ds, tag)
    except (TypeError, ValueError) as exc:
        raise DicomError(
            "value is not a number",
            file=path,
            field=tag_label(keyword),
            hint="correct the header attribute",
        ) from exc
    return default if values is None or values.size == 0 else float(values[0])


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
