"""Tolerant reader of RECIST assessment records (JSON-like dicts) into an Assessment.

Accepted shape (every alternative key is listed in :func:`assessment_from_dict`)::

    {"baseline_date": "2024-01-05",            # optional: start of treatment
     "time_points": [                          # the first one is the baseline
        {"date": "2024-01-05",
         "tumour_markers_normal": true,        # optional
         "lesions": [
            {"id": "L1", "organ": "liver", "nodal": false, "measurement_mm": 23,
             "target": true, "new": false, "status": "present"}]}]}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from theratrial.errors import PatientRecordError
from theratrial.response.assessment import (
    TOO_SMALL_MM,
    Assessment,
    LesionObservation,
    LesionStatus,
    TimePoint,
)

__all__ = ["assessment_from_dict"]

_TP_KEYS = ("time_points", "timepoints", "assessments", "visits", "scans")
_DATE_KEYS = ("date", "assessment_date", "scan_date", "visit_date")
_REF_KEYS = ("baseline_date", "reference_date", "treatment_start_date", "start_date")
_ID_KEYS = ("id", "lesion_id", "lesion", "name")
_ORGAN_KEYS = ("organ", "site", "location")
_NODAL_KEYS = ("nodal", "is_nodal", "lymph_node", "is_node", "node")
_MEAS_KEYS = ("measurement_mm", "diameter_mm", "size_mm", "measurement", "diameter")
_TARGET_KEYS = ("target", "is_target")
_NEW_KEYS = ("new", "is_new")
_MARKER_KEYS = ("tumour_markers_normal", "tumor_markers_normal", "markers_normal")
_STATUS_ALIASES: dict[str, LesionStatus] = {
    "present": LesionStatus.PRESENT,
    "persisting": LesionStatus.PRESENT,
    "measured": LesionStatus.PRESENT,
    "non-cr/non-pd": LesionStatus.PRESENT,
    "absent": LesionStatus.ABSENT,
    "disappeared": LesionStatus.ABSENT,
    "resolved": LesionStatus.ABSENT,
    "normal": LesionStatus.ABSENT,
    "cr": LesionStatus.ABSENT,
    "too_small": LesionStatus.TOO_SMALL,
    "too small": LesionStatus.TOO_SMALL,
    "too small to measure": LesionStatus.TOO_SMALL,
    "tstm": LesionStatus.TOO_SMALL,
    "unequivocal_progression": LesionStatus.UNEQUIVOCAL_PROGRESSION,
    "unequivocal progression": LesionStatus.UNEQUIVOCAL_PROGRESSION,
    "progression": LesionStatus.UNEQUIVOCAL_PROGRESSION,
    "pd": LesionStatus.UNEQUIVOCAL_PROGRESSION,
    "not_evaluated": LesionStatus.NOT_EVALUATED,
    "not evaluated": LesionStatus.NOT_EVALUATED,
    "not_assessed": LesionStatus.NOT_EVALUATED,
    "not assessed": LesionStatus.NOT_EVALUATED,
    "ne": LesionStatus.NOT_EVALUATED,
    "missing": LesionStatus.NOT_EVALUATED,
    "unknown": LesionStatus.NOT_EVALUATED,
}
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _first(mapping: Mapping[str, Any], keys: Sequence[str]) -> tuple[str | None, Any]:
    for key in keys:
        if key in mapping:
            return key, mapping[key]
    return None, None


def _err(message: str, field: str, file: str | None, hint: str) -> PatientRecordError:
    return PatientRecordError(message, file=file, field=field, hint=hint)


def _as_bool(value: Any, field: str, file: str | None) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _err(f"expected true or false, got {value!r}", field, file, "write true or false")


def _as_date(value: Any, field: str, file: str | None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise _err(f"expected a date, got {value!r}", field, file, "write the date as YYYY-MM-DD")


def _measurement(value: Any, field: str, file: str | None) -> tuple[float | None, str | None]:
    """A number, a list of fragment diameters (summed), a status word, or None."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise _err("expected a diameter in mm, got a boolean", field, file, "write a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, list) and value:
        parts = [_measurement(v, f"{field}[{i}]", file)[0] for i, v in enumerate(value)]
        if any(p is None for p in parts):
            raise _err("a fragment has no diameter", field, file, "give every fragment in mm")
        number = math.fsum(p for p in parts if p is not None)
    elif isinstance(value, str):
        word = value.strip().lower()
        if word in _STATUS_ALIASES:
            return None, word
        try:
            number = float(word.removesuffix("mm").strip())
        except ValueError:
            raise _err(
                f"expected a diameter in mm, got {value!r}",
                field,
                file,
                "write a number in mm, null if not assessed, or 'too_small'",
            ) from None
    else:
        raise _err(f"expected a diameter in mm, got {value!r}", field, file, "write a number")
    if not math.isfinite(number) or number < 0:
        raise _err(f"diameter must be >= 0 mm, got {number}", field, file, "fix the diameter")
    return number, None


def _status(word: Any, field: str, file: str | None) -> LesionStatus | None:
    if word is None:
        return None
    key = str(word).strip().lower()
    if key not in _STATUS_ALIASES:
        allowed = ", ".join(s.value for s in LesionStatus)
        raise _err(f"unknown lesion status {word!r}", field, file, f"use one of {allowed}")
    return _STATUS_ALIASES[key]


def _lesion(
    raw: Any, where: str, file: str | None, known: dict[str, LesionObservation]
) -> LesionObservation:
    if not isinstance(raw, Mapping):
        raise _err("a lesion must be an object", where, file, 'write {"id": ..., ...}')
    _, lesion_id = _first(raw, _ID_KEYS)
    if lesion_id is None or str(lesion_id).strip() == "":
        raise _err("lesion has no id", f"{where}.id", file, "give every lesion an id")
    _, organ = _first(raw, _ORGAN_KEYS)
    earlier = known.get(str(lesion_id).strip())
    if organ is None and earlier is not None:
        organ = earlier.organ
    organ_text = "" if organ is None else str(organ)
    nkey, nodal_raw = _first(raw, _NODAL_KEYS)
    nodal = _as_bool(nodal_raw, f"{where}.{nkey}", file)
    if nodal is None and earlier is not None:
        nodal = earlier.nodal
    if nodal is None:
        lowered = organ_text.lower()
        nodal = "node" in lowered or "lymph" in lowered
    mkey, meas_raw = _first(raw, _MEAS_KEYS)
    if mkey is None:
        # Axis-specific fields: short axis for nodes, long axis otherwise.
        axis_keys = ("short_axis_mm", "long_axis_mm") if nodal else ("long_axis_mm",)
        mkey, meas_raw = _first(raw, axis_keys)
    measurement, word = _measurement(meas_raw, f"{where}.{mkey or 'measurement_mm'}", file)
    stated = raw.get("status")
    status = _status(stated if stated is not None else word, f"{where}.status", file)
    tkey, target_raw = _first(raw, _TARGET_KEYS)
    new_key, new_raw = _first(raw, _NEW_KEYS)
    equivocal = False
    if isinstance(new_raw, str) and new_raw.strip().lower() == "equivocal":
        new, equivocal = True, True
    else:
        new = bool(_as_bool(new_raw, f"{where}.{new_key}", file))
    equivocal = equivocal or bool(_as_bool(raw.get("equivocal"), f"{where}.equivocal", file))
    target = _as_bool(target_raw, f"{where}.{tkey}", file)
    lesion_type = raw.get("type")
    if target is None and isinstance(lesion_type, str):
        kind = lesion_type.strip().lower().replace("_", "-")
        target = (
            True if kind == "target" else False if kind in ("non-target", "nontarget") else None
        )
        new = new or kind == "new"
    if status is LesionStatus.TOO_SMALL and measurement is None:
        measurement = TOO_SMALL_MM
    if status is LesionStatus.ABSENT and measurement is None:
        measurement = 0.0
    if status is LesionStatus.NOT_EVALUATED:
        measurement = None
    method = raw.get("method", raw.get("modality"))
    if method is None and earlier is not None:
        method = earlier.method
    return LesionObservation(
        lesion_id=str(lesion_id).strip(),
        organ=organ_text,
        nodal=nodal,
        measurement_mm=measurement,
        status=status,
        target=target,
        new=new,
        equivocal=equivocal,
        method=None if method is None else str(method).strip().lower(),
    )


def _time_point(
    raw: Any, where: str, file: str | None, known: dict[str, LesionObservation]
) -> TimePoint:
    if not isinstance(raw, Mapping):
        raise _err("a time point must be an object", where, file, 'write {"date": ..., ...}')
    dkey, when = _first(raw, _DATE_KEYS)
    if when is None:
        raise _err("time point has no date", f"{where}.date", file, "add a YYYY-MM-DD date")
    tp_date = _as_date(when, f"{where}.{dkey}", file)
    lesions_raw = raw.get("lesions", [])
    if lesions_raw is None:
        lesions_raw = []
    if not isinstance(lesions_raw, list):
        raise _err("lesions must be a list", f"{where}.lesions", file, "write a JSON list")
    lesions = tuple(
        _lesion(item, f"{where}.lesions[{i}]", file, known) for i, item in enumerate(lesions_raw)
    )
    seen: set[str] = set()
    for i, lesion in enumerate(lesions):
        if lesion.lesion_id in seen:
            raise _err(
                f"lesion id {lesion.lesion_id!r} appears twice",
                f"{where}.lesions[{i}].id",
                file,
                "give each lesion one entry per time point",
            )
        seen.add(lesion.lesion_id)
    mkey, markers = _first(raw, _MARKER_KEYS)
    not_done = _as_bool(raw.get("not_done"), f"{where}.not_done", file)
    return TimePoint(
        date=tp_date,
        lesions=lesions,
        tumour_markers_normal=_as_bool(markers, f"{where}.{mkey}", file),
        not_done=bool(not_done),
    )


def assessment_from_dict(data: Any, *, file: str | None = None) -> Assessment:
    """Build an :class:`Assessment` from parsed JSON, tolerating common variants.

    Parameters
    ----------
    data
        A dict with ``time_points`` (also ``timepoints``, ``assessments``, ``visits``,
        ``scans``) or directly the list of time points. Optional ``baseline_date`` (also
        ``reference_date``, ``treatment_start_date``, ``start_date``): the date from which
        the minimum duration of stable disease is counted (default: the first time point).
        Each time point: ``date`` (``assessment_date``, ``scan_date``, ``visit_date``;
        ISO 8601), ``lesions`` (list), optional ``tumour_markers_normal`` and ``not_done``.
        Each lesion: ``id`` (``lesion_id``, ``name``), ``organ`` (``site``, ``location``),
        ``nodal`` (inferred from an organ naming a node or lymph when absent); a lesion
        seen before inherits its organ, nodal flag and method when they are not repeated;
        ``measurement_mm`` (``diameter_mm``, ``size_mm``; ``short_axis_mm`` for nodes /
        ``long_axis_mm``; a list of fragment diameters is summed; ``null`` = not assessed;
        a word such as ``"too_small"`` or ``"absent"`` acts as the status), ``target``
        (``is_target``, or ``"type": "target" | "non-target" | "new"``), ``new`` (true,
        false or ``"equivocal"``), ``status`` (present, absent, too_small,
        unequivocal_progression, not_evaluated, and aliases such as TSTM, NE, CR, PD),
        ``method`` (ct, mri, xray, caliper).
    file
        Name of the source file, quoted in error messages.

    Returns
    -------
    Assessment

    Raises
    ------
    PatientRecordError
        A missing date, an unknown status, a negative diameter, a duplicated lesion id,
        dates out of order... The field is named as a dotted path.

    Examples
    --------
    >>> a = assessment_from_dict({"time_points": [
    ...     {"date": "2024-01-05", "lesions": [{"id": "L1", "organ": "liver",
    ...                                         "measurement_mm": 30}]},
    ...     {"date": "2024-03-01", "lesions": [{"id": "L1", "measurement_mm": "too small"}]}]})
    >>> a.time_points[1].lesions[0].measurement_mm
    5.0
    """
    ref_raw: Any = None
    ref_key: str | None = None
    if isinstance(data, Mapping):
        ref_key, ref_raw = _first(data, _REF_KEYS)
        key, tps_raw = _first(data, _TP_KEYS)
        if key is None:
            raise _err(
                "no time points found",
                "time_points",
                file,
                'put the assessments in a list under "time_points"',
            )
    else:
        key, tps_raw = "time_points", data
    if not isinstance(tps_raw, list) or not tps_raw:
        raise _err("time points must be a non-empty list", str(key), file, "list the time points")
    known: dict[str, LesionObservation] = {}
    parsed: list[TimePoint] = []
    for i, item in enumerate(tps_raw):
        parsed.append(_time_point(item, f"{key}[{i}]", file, known))
        for lesion in parsed[-1].lesions:
            known.setdefault(lesion.lesion_id, lesion)
    time_points = tuple(parsed)
    for i in range(1, len(time_points)):
        if time_points[i].date <= time_points[i - 1].date:
            raise _err(
                f"date {time_points[i].date} is not after the previous time point's "
                f"{time_points[i - 1].date}",
                f"{key}[{i}].date",
                file,
                "list the time points in date order, baseline first, one per date",
            )
    for i, lesion in enumerate(time_points[0].lesions):
        if lesion.new:
            raise _err(
                f"lesion {lesion.lesion_id!r} is marked new at baseline",
                f"{key}[0].lesions[{i}].new",
                file,
                "a lesion seen at baseline is not new; remove the flag",
            )
    reference = None if ref_raw is None else _as_date(ref_raw, str(ref_key), file)
    if reference is not None and len(time_points) > 1 and reference >= time_points[1].date:
        raise _err(
            f"reference date {reference} is not before the first follow-up",
            str(ref_key),
            file,
            "give the start of treatment, before the first follow-up scan",
        )
    return Assessment(time_points=time_points, reference_date=reference)
