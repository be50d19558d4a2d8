"""De-identification on ingest: DICOM PS3.15 Annex E with the options a quantitative trial needs.

Applies the Basic Application Level Confidentiality Profile (PS3.15 E.2, action table E.1-1,
see :mod:`theratrial.pacs._profile`) with the Retain Longitudinal Temporal Information with
Modified Dates Option (E.3.6), the Retain Patient Characteristics Option (E.3.8) and a
documented Retain Safe Private allow-list (E.3.10):

- Patient's Name (0010,0010) and Patient ID (0010,0020) become the pseudonym.
- UIDs (action U) are replaced by ``2.25.<int>`` UIDs derived with HMAC-SHA256 from a trial
  secret: the same input UID gives the same output UID within the trial, so a study's series,
  its frame of reference and the references of an RTSTRUCT or SEG stay consistent.
- Every date (DA, DT, anywhere in the data set, sequences included) moves by one whole number
  of days per pseudonym; times of day are unchanged, so every time difference is kept.
- Sex, age, size and weight are kept (SUV needs them); private attributes are removed except
  :data:`~theratrial.pacs._profile.SAFE_PRIVATE`.
- An instance whose Burned In Annotation (0028,0301) is ``YES`` is refused.
- Patient Identity Removed (0012,0062) = YES, De-identification Method (0012,0063) and its
  Code Sequence (0012,0064: DCM 113100, 113107, 113108, 113111) and Longitudinal Temporal
  Information Modified (0028,0303) = MODIFIED record what was done.
"""

from __future__ import annotations

import hashlib
import hmac
import warnings
from dataclasses import dataclass
from datetime import date, timedelta

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from theratrial.errors import DicomHeaderError, ParameterError
from theratrial.pacs._profile import (
    PATIENT_CHARACTERISTICS,
    SAFE_PRIVATE,
    action_table,
    masked_actions,
)

__all__ = ["DeidSettings", "deidentify_dataset", "remap_uid", "shift_date_text"]

_METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    ("113108", "Retain Patient Characteristics Option"),
    ("113111", "Retain Safe Private Option"),
)
_DUMMY = {
    "AE": "ANON",
    "AS": "000Y",
    "CS": "ANON",
    "DS": "0",
    "IS": "0",
    "LO": "ANON",
    "LT": "ANON",
    "PN": "ANON",
    "SH": "ANON",
    "ST": "ANON",
    "UC": "ANON",
    "UT": "ANON",
}
_KEEP_ALWAYS = frozenset({0x00100010, 0x00100020})  # set to the pseudonym
_BIRTH = frozenset({0x00100030, 0x00100032})  # emptied: age is kept instead (E.3.8)


@dataclass(frozen=True, slots=True)
class DeidSettings:
    """What a de-identification needs, fixed for one pseudonym.

    Parameters
    ----------
    pseudonym
        The trial's pseudonymous patient id, written to (0010,0010) and (0010,0020).
    date_shift_days
        Whole days added to every date (negative moves dates back).
    uid_secret
        The trial's secret (bytes) from which replacement UIDs are derived.
    """

    pseudonym: str
    date_shift_days: int
    uid_secret: bytes


def remap_uid(uid: str, secret: bytes) -> str:
    """The replacement of ``uid``: ``2.25.`` and 128 bits of HMAC-SHA256(secret, uid).

    PS3.5 B.2 (UUID-derived UIDs). Deterministic for a given secret.

    Examples
    --------
    >>> a = remap_uid("1.2.3", b"k")
    >>> a == remap_uid("1.2.3", b"k"), a.startswith("2.25."), len(a) <= 64
    (True, True, True)
    >>> a == remap_uid("1.2.3", b"other")
    False
    """
    digest = hmac.new(secret, uid.strip().encode("ascii", "replace"), hashlib.sha256).digest()
    return f"2.25.{int.from_bytes(digest[:16], 'big')}"


def shift_date_text(value: str, days: int, *, vr: str) -> str:
    """Shift a DA (YYYYMMDD) or DT (YYYYMMDD...) value by whole days; the rest is kept.

    Examples
    --------
    >>> shift_date_text("20250101", -10, vr="DA")
    '20241222'
    >>> shift_date_text("20250301103000.5+0100", -1, vr="DT")
    '20250228103000.5+0100'
    """
    text = value.strip()
    if len(text) < 8 or not text[:8].isdigit():
        if vr == "DT" and len(text) in (4, 6) and text.isdigit():
            return text  # year or year-month precision: nothing finer to shift
        return ""
    day = date(int(text[:4]), int(text[4:6]), int(text[6:8])) + timedelta(days=days)
    return day.strftime("%Y%m%d") + text[8:]


def _masked_action(tag: int) -> str | None:
    for value, mask, action in masked_actions():
        if tag & mask == value:
            return action
    return None


def _private_rule(ds: Dataset, tag: int) -> str | None:
    group, element = tag >> 16, tag & 0xFFFF
    if element < 0x1000:
        return None
    block, offset = element >> 8, element & 0xFF
    rule = SAFE_PRIVATE.get((group, offset))
    if rule is None:
        return None
    creator_tag = (group << 16) | block
    creator = ds.get(creator_tag)
    if creator is None:
        return rule[1] if block == 0x10 else None
    return rule[1] if str(creator.value).strip() == rule[0] else None


def _shift_element(elem: DataElement, days: int) -> None:
    if elem.VR not in ("DA", "DT") or elem.value in (None, ""):
        return
    if elem.VM > 1:
        elem.value = [shift_date_text(str(v), days, vr=elem.VR) for v in elem.value]
    else:
        elem.value = shift_date_text(str(elem.value), days, vr=elem.VR)


def _dummy(elem: DataElement, settings: DeidSettings) -> None:
    if elem.VR == "UI":
        elem.value = remap_uid(str(elem.value), settings.uid_secret) if elem.value else ""
    elif elem.VR in ("DA", "DT"):
        _shift_element(elem, settings.date_shift_days)
    elif elem.VR == "TM":
        pass  # times of day are kept (whole-day shift)
    elif elem.VR == "SQ":
        elem.value = Sequence()
    else:
        elem.value = _DUMMY.get(elem.VR)


def _apply(ds: Dataset, settings: DeidSettings, table: dict[int, str], *, top: bool) -> None:
    private_keep: set[int] = set()
    for tag in list(ds.keys()):
        elem = ds[tag]
        tag_int = int(tag)
        if tag.is_private:
            if tag.is_private_creator:
                continue
            rule = _private_rule(ds, tag_int)
            if rule is None:
                del ds[tag]
                continue
            private_keep.add((tag_int & 0xFFFF0000) | ((tag_int & 0xFF00) >> 8))
            if rule == "shift":
                _shift_private(elem, settings.date_shift_days)
            continue
        action = table.get(tag_int) or _masked_action(tag_int)
        if top and tag_int in _KEEP_ALWAYS:
            elem.value = settings.pseudonym
            continue
        if tag_int in _BIRTH:
            elem.value = None
            continue
        if action is None or tag_int in PATIENT_CHARACTERISTICS:
            if elem.VR in ("DA", "DT"):
                _shift_element(elem, settings.date_shift_days)
            elif elem.VR == "SQ":
                for item in elem.value:
                    _apply(item, settings, table, top=False)
            continue
        if elem.VR in ("DA", "DT", "TM"):
            _dummy(elem, settings)  # E.3.6: modified (shifted) rather than removed
        elif action == "U":
            _dummy(elem, settings)
        elif action == "X/Z/U*" and elem.VR == "SQ":
            for item in elem.value:
                _apply(item, settings, table, top=False)
        elif action == "X":
            del ds[tag]
        elif (action.startswith("X/Z") and action != "X/Z/D") or action == "Z":
            elem.value = Sequence() if elem.VR == "SQ" else None
        else:  # D, Z/D, X/D, X/Z/D: a dummy value of the same VR
            _dummy(elem, settings)
    for tag in list(ds.keys()):
        if tag.is_private and tag.is_private_creator and int(tag) not in private_keep:
            del ds[tag]


def _shift_private(elem: DataElement, days: int) -> None:
    value = elem.value.decode("ascii", "replace") if isinstance(elem.value, bytes) else elem.value
    text = str(value).strip().rstrip("\x00")
    shifted = shift_date_text(text, days, vr="DT")
    elem.value = shifted.encode("ascii") if isinstance(elem.value, bytes) else shifted


def deidentify_dataset(ds: Dataset, settings: DeidSettings, *, file: str | None = None) -> None:
    """De-identify one data set in place (see the module docstring for what is done).

    Raises
    ------
    DicomHeaderError
        When Burned In Annotation (0028,0301) is YES: the pixels themselves may identify the
        patient and no pixel cleaning is done here.
    ParameterError
        When the pseudonym is empty.

    Examples
    --------
    >>> from pydicom.dataset import Dataset
    >>> ds = Dataset()
    >>> ds.PatientName, ds.PatientID, ds.PatientWeight = "Doe^Jane", "MRN123", 71.5
    >>> ds.StudyDate, ds.StudyTime, ds.InstitutionName = "20250110", "101500", "Hospital"
    >>> ds.SOPInstanceUID = "1.2.3.4"
    >>> deidentify_dataset(ds, DeidSettings("NET-001", -30, b"secret"))
    >>> ds.PatientName, ds.PatientID, float(ds.PatientWeight), ds.StudyDate, ds.StudyTime
    ('NET-001', 'NET-001', 71.5, '20241211', '101500')
    >>> ds.InstitutionName, ds.SOPInstanceUID == remap_uid("1.2.3.4", b"secret")
    ('ANON', True)
    """
    if not settings.pseudonym.strip():
        raise ParameterError(
            "the pseudonym is empty", field="--pseudonym", hint="give the trial's patient id"
        )
    burned = str(ds.get("BurnedInAnnotation", "")).strip().upper()
    if burned == "YES":
        raise DicomHeaderError(
            "the instance has burned-in annotation: its pixels may identify the patient",
            file=file,
            field="BurnedInAnnotation (0028,0301)",
            hint="leave this instance out, or clean its pixels before de-identification",
        )
    with warnings.catch_warnings():
        # source values that break their VR's length rules are the source's, not ours
        warnings.simplefilter("ignore", UserWarning)
        _apply(ds, settings, action_table(), top=True)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "PS3.15 E.1-1 basic, options 113107 113108 113111"
    codes = Sequence()
    for value, meaning in _METHOD_CODES:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = codes
    ds.LongitudinalTemporalInformationModified = "MODIFIED"
