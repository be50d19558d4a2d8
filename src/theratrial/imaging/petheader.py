"""The header facts of a PET or NM series that SUV and activity quantification need.

Read once when a series is loaded, so that SUV can be computed (and explained) without
going back to the files. Per-slice values are in the volume's slice (z) order.

Attributes are taken from these DICOM tags (PS3.3 C.8.9.1 PET Series, C.8.9.4 PET Image,
C.8.4.10 NM Isotope; QIBA vendor-neutral SUV pseudo-code, 2018):
(0054,1001) Units, (0054,1006) SUV Type, (0054,1102) Decay Correction,
(0028,0051) Corrected Image, (0010,1030) Patient's Weight, (0010,1020) Patient's Size,
(0010,0040) Patient's Sex, and in (0054,0016) Radiopharmaceutical Information Sequence:
(0018,1074) Radionuclide Total Dose, (0018,1075) Radionuclide Half Life,
(0018,1072) Radiopharmaceutical Start Time, (0018,1078) Radiopharmaceutical Start DateTime,
(0054,0300) Radionuclide Code Sequence; per slice (0008,0022/0032) Acquisition Date/Time,
(0018,1242) Actual Frame Duration, (0054,1300) Frame Reference Time; private
(0009,100D) GE scan date-time, (7053,1000) Philips SUV scale factor and
(7053,1009) Philips activity concentration scale factor.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydicom.dataset import Dataset

from theratrial.imaging._dicomio import (
    combine_date_time,
    get_float,
    get_str,
    parse_da,
    parse_dt,
    parse_tm,
)

__all__ = ["PetHeader", "read_pet_header"]

_CODE_VALUES = {
    "C-111A1": "F-18",
    "C-131A3": "Ga-68",
    "C-131A1": "Ga-66",
    "C-105A1": "C-11",
    "C-107A1": "N-13",
    "C-B1038": "O-15",
    "C-159A2": "Rb-82",
    "C-163AA": "Tc-99m",
    "C-145A4": "In-111",
    "C-114B5": "Lu-177",
}
"""Radionuclide Code Values (SNOMED-RT) of DICOM CID 4020/18 for the common tracers."""

_ELEMENTS = {
    "fluorine": "F",
    "gallium": "Ga",
    "lutetium": "Lu",
    "copper": "Cu",
    "zirconium": "Zr",
    "technetium": "Tc",
    "indium": "In",
    "iodine": "I",
    "yttrium": "Y",
    "actinium": "Ac",
    "carbon": "C",
    "nitrogen": "N",
    "oxygen": "O",
    "rubidium": "Rb",
    "terbium": "Tb",
    "lead": "Pb",
    "bismuth": "Bi",
    "scandium": "Sc",
    "thallium": "Tl",
}


@dataclass(frozen=True, slots=True, eq=False)
class PetHeader:
    """Quantification facts of a PET (or NM/SPECT) series, as stored in its header.

    Values are as stored (no unit fixing): ``injected_dose_raw`` is in Bq by the standard but
    may be in MBq in the wild; :func:`theratrial.imaging.compute_suv` decides and says so.

    Attributes
    ----------
    units
        (0054,1001) Units: BQML, GML, CM2ML, CNTS, ... ("" when absent).
    suv_type
        (0054,1006) SUV Type (BW, LBMJAMES128, IBW, BSA, ...), ``None`` when absent.
    decay_correction
        (0054,1102) Decay Correction: START, ADMIN or NONE.
    corrected_image
        (0028,0051) Corrected Image values (DECY, ATTN, ...).
    patient_weight_raw, patient_size_raw, patient_sex
        (0010,1030) kg, (0010,1020) m, (0010,0040) as stored.
    injected_dose_raw
        (0018,1074) Radionuclide Total Dose as stored (Bq by the standard).
    half_life_s
        (0018,1075) Radionuclide Half Life, s.
    radionuclide
        Canonical name decoded from (0054,0300) Code Meaning, e.g. ``"F-18"``.
    radionuclide_code
        Canonical name of the (0054,0300) Code Value (SNOMED, DICOM CID 4020), when known.
    radiopharmaceutical
        (0018,0031) Radiopharmaceutical.
    injection_datetime
        (0018,1078) when present, else ``None``.
    injection_time_only
        (0018,1072) date-less start time, when (0018,1078) is absent.
    series_datetime
        (0008,0021) + (0008,0031).
    ge_scan_datetime
        GE private (0009,100D) scan date-time.
    acquisition_datetimes, frame_durations_ms, frame_reference_times_ms
        Per slice: (0008,002A) or (0008,0022)+(0008,0032); (0018,1242); (0054,1300).
    philips_suv_factors, philips_activity_factors
        Per slice: (7053,1000) and (7053,1009).
    manufacturer
        (0008,0070).
    """

    units: str
    suv_type: str | None
    decay_correction: str | None
    corrected_image: tuple[str, ...]
    patient_weight_raw: float | None
    patient_size_raw: float | None
    patient_sex: str | None
    injected_dose_raw: float | None
    half_life_s: float | None
    radionuclide: str | None
    radionuclide_code: str | None
    radiopharmaceutical: str | None
    injection_datetime: datetime | None
    injection_time_only: str | None
    series_datetime: datetime | None
    ge_scan_datetime: datetime | None
    acquisition_datetimes: tuple[datetime | None, ...]
    frame_durations_ms: tuple[float | None, ...]
    frame_reference_times_ms: tuple[float | None, ...]
    philips_suv_factors: tuple[float | None, ...]
    philips_activity_factors: tuple[float | None, ...]
    manufacturer: str | None

    @property
    def earliest_acquisition(self) -> datetime | None:
        """Earliest per-slice acquisition date-time, ``None`` when no slice has one."""
        known = [t for t in self.acquisition_datetimes if t is not None]
        return min(known) if known else None


def _private_float(ds: Dataset, group: int, element: int) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elem = ds.get((group, element))
        if elem is None:
            return None
        value = elem.value
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="ignore").strip("\x00 ")
    try:
        return float(value[0] if isinstance(value, list | tuple) else value)
    except (TypeError, ValueError, IndexError):
        return None


def _private_text(ds: Dataset, group: int, element: int) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elem = ds.get((group, element))
        if elem is None:
            return None
        value = elem.value
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="ignore")
    text = str(value).strip("\x00 ")
    return text or None


def radionuclide_name(code_meaning: str | None) -> str | None:
    """Decode a radionuclide code meaning such as ``^18^Fluorine`` into ``F-18``.

    Examples
    --------
    >>> radionuclide_name("^18^Fluorine"), radionuclide_name("^177^Lutetium")
    ('F-18', 'Lu-177')
    >>> radionuclide_name("Gallium^68")
    'Ga-68'
    """
    if not code_meaning:
        return None
    mass = re.search(r"(\d{1,3})(m?)", code_meaning)
    words = re.findall(r"[A-Za-z]{3,}", code_meaning)
    if mass is None or not words:
        return None
    symbol = _ELEMENTS.get(words[0].lower())
    return f"{symbol}-{int(mass.group(1))}{mass.group(2)}" if symbol else None


def _slice_acquisition(ds: Dataset) -> datetime | None:
    full = parse_dt(get_str(ds, "AcquisitionDateTime"))
    if full is not None:
        return full
    day = parse_da(get_str(ds, "AcquisitionDate")) or parse_da(get_str(ds, "SeriesDate"))
    return combine_date_time(day, parse_tm(get_str(ds, "AcquisitionTime")))


def read_pet_header(datasets: Sequence[Dataset]) -> PetHeader:
    """Collect the quantification facts from the datasets of one series, in slice order."""
    first = datasets[0]
    radiopharm = first.get("RadiopharmaceuticalInformationSequence")
    item = radiopharm[0] if radiopharm else Dataset()
    code_seq = item.get("RadionuclideCodeSequence")
    code_meaning = get_str(code_seq[0], "CodeMeaning") if code_seq else None
    code_value = get_str(code_seq[0], "CodeValue") if code_seq else None
    corrected = first.get("CorrectedImage") or ()
    if isinstance(corrected, str):
        corrected = (corrected,)
    series_day = parse_da(get_str(first, "SeriesDate"))
    ge_scan = _private_text(first, 0x0009, 0x100D)
    return PetHeader(
        units=(get_str(first, "Units") or "").upper(),
        suv_type=(get_str(first, "SUVType") or None),
        decay_correction=(get_str(first, "DecayCorrection") or None),
        corrected_image=tuple(str(v).upper() for v in corrected),
        patient_weight_raw=get_float(first, "PatientWeight"),
        patient_size_raw=get_float(first, "PatientSize"),
        patient_sex=(get_str(first, "PatientSex") or None),
        injected_dose_raw=get_float(item, "RadionuclideTotalDose"),
        half_life_s=get_float(item, "RadionuclideHalfLife"),
        radionuclide=radionuclide_name(code_meaning),
        radionuclide_code=_CODE_VALUES.get((code_value or "").upper()),
        radiopharmaceutical=get_str(item, "Radiopharmaceutical"),
        injection_datetime=parse_dt(get_str(item, "RadiopharmaceuticalStartDateTime")),
        injection_time_only=get_str(item, "RadiopharmaceuticalStartTime"),
        series_datetime=combine_date_time(series_day, parse_tm(get_str(first, "SeriesTime"))),
        ge_scan_datetime=parse_dt(ge_scan) if ge_scan else None,
        acquisition_datetimes=tuple(_slice_acquisition(ds) for ds in datasets),
        frame_durations_ms=tuple(get_float(ds, "ActualFrameDuration") for ds in datasets),
        frame_reference_times_ms=tuple(get_float(ds, "FrameReferenceTime") for ds in datasets),
        philips_suv_factors=tuple(_private_float(ds, 0x7053, 0x1000) for ds in datasets),
        philips_activity_factors=tuple(_private_float(ds, 0x7053, 0x1009) for ds in datasets),
        manufacturer=get_str(first, "Manufacturer"),
    )
