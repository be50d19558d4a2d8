"""Repositories for imaging results, treatment cycles and dosimetry.

The functions take plain values (or the science packages' frozen results, unpacked by the
caller) and work inside the caller's transaction. The DLT records live in
:mod:`theratrial.store.dlt`; their names are re-exported here, where they were first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.errors import InputError
from theratrial.store.dlt import DltCount, DltImport, add_dlt, add_dlts, dlt_counts, dlt_rows
from theratrial.store.models_clinical import (
    CycleRow,
    DoseResultRow,
    ImagingSeriesRow,
    ImagingStudyRow,
    MeasurementRow,
    TimeActivityRow,
    VoiRow,
)
from theratrial.store.repository import (
    _trial,
    enrolment_of,
    find_patient,
    get_or_create_patient,
    stored_protocol,
)
from theratrial.treatment.plausibility import (
    CycleRecord,
    RegionDose,
    check_cycle_doses,
    check_cycle_record,
)

__all__ = [
    "DltCount",
    "DltImport",
    "VoiRecord",
    "add_dlt",
    "add_dlts",
    "cycles_of",
    "dlt_counts",
    "dlt_rows",
    "record_cycle",
    "save_dose_results",
    "save_series_vois",
    "save_time_activity",
]


@dataclass(frozen=True, slots=True)
class VoiRecord:
    """A VOI to store: name, kind (organ/lesion), source file, and measurements.

    ``measurements`` maps a quantity name (``suv_max``, ``volume_ml``...) to
    ``(value, unit)``.
    """

    name: str
    kind: str
    source: str | None
    measurements: Mapping[str, tuple[float | None, str | None]]


def save_series_vois(
    session: Session,
    *,
    patient_id: str | None,
    study_uid: str,
    study_date: date | None,
    series_uid: str,
    modality: str,
    units: str | None,
    quantity: str | None,
    conventions: Sequence[str],
    vois: Iterable[VoiRecord],
    frame_of_reference_uid: str | None = None,
    description: str | None = None,
) -> ImagingSeriesRow:
    """Store (or replace) the VOIs and measurements of one series."""
    patient = get_or_create_patient(session, patient_id) if patient_id else None
    study = session.scalar(select(ImagingStudyRow).where(ImagingStudyRow.study_uid == study_uid))
    if study is None:
        study = ImagingStudyRow(
            study_uid=study_uid,
            study_date=study_date,
            patient_pk=patient.id if patient else None,
        )
        session.add(study)
        session.flush()
    series = session.scalar(
        select(ImagingSeriesRow).where(ImagingSeriesRow.series_uid == series_uid)
    )
    if series is not None:
        session.delete(series)
        session.flush()
    series = ImagingSeriesRow(
        study_pk=study.id,
        series_uid=series_uid,
        modality=modality,
        units=units,
        quantity=quantity,
        conventions=list(conventions),
        frame_of_reference_uid=frame_of_reference_uid,
        description=description,
        vois=[
            VoiRow(
                name=v.name,
                kind=v.kind,
                source=v.source,
                measurements=[
                    MeasurementRow(quantity=q, value=val, unit=unit)
                    for q, (val, unit) in v.measurements.items()
                ],
            )
            for v in vois
        ],
    )
    session.add(series)
    session.flush()
    return series


def record_cycle(
    session: Session,
    *,
    patient_id: str,
    trial_id: str,
    cycle_number: int,
    nuclide: str,
    activity_mbq: float,
    administered_at: datetime | None = None,
    dose_level: str | None = None,
    weight_kg: float | None = None,
    today: date | None = None,
) -> CycleRow:
    """Store one administration; re-recording the same cycle replaces it.

    The record must be physically plausible under the trial's stored protocol
    (:func:`theratrial.treatment.check_cycle_record`): an activity at most the prescribed
    one plus the dispensing tolerance, a date not after ``today`` (default: the system
    date) nor before the patient's first eligible screening for the trial.

    Raises
    ------
    InputError
        A bad or implausible field (``activity_mbq``, ``administered_at``, ...), the limit
        named; nothing is stored.
    """
    if not (math.isfinite(activity_mbq) and activity_mbq > 0):
        raise InputError(
            f"administered activity must be positive, got {activity_mbq} MBq", field="activity_mbq"
        )
    if cycle_number < 1:
        raise InputError(f"cycle numbers start at 1, got {cycle_number}", field="cycle_number")
    if weight_kg is not None and not (math.isfinite(weight_kg) and weight_kg > 0):
        raise InputError(f"body weight must be positive, got {weight_kg} kg", field="weight_kg")
    trial = _trial(session, trial_id)
    protocol = stored_protocol(session, trial_id)
    if protocol is not None:
        record = CycleRecord(
            cycle_number,
            activity_mbq,
            administered_at.date() if administered_at is not None else None,
            weight_kg,
            dose_level,
        )
        screened = enrolment_of(session, patient_id=patient_id, trial_id=trial_id)
        try:
            check_cycle_record(
                protocol,
                record,
                today=today or date.today(),
                screening_date=screened.eligible_since,
            )
        except InputError as exc:
            if exc.field == "administered_on":
                exc.field = "administered_at"
            raise
    patient = get_or_create_patient(session, patient_id)
    old = session.scalar(
        select(CycleRow).where(
            CycleRow.patient_pk == patient.id,
            CycleRow.trial_pk == trial.id,
            CycleRow.cycle_number == cycle_number,
        )
    )
    if old is not None:
        session.delete(old)
        session.flush()
    row = CycleRow(
        patient_pk=patient.id,
        trial_pk=trial.id,
        cycle_number=cycle_number,
        nuclide=nuclide,
        activity_mbq=activity_mbq,
        administered_at=administered_at,
        dose_level=dose_level,
        weight_kg=weight_kg,
    )
    session.add(row)
    session.flush()
    return row


def save_time_activity(
    session: Session, cycle: CycleRow, points: Iterable[tuple[str, float, float]]
) -> None:
    """Store (region, time_h, activity_mbq) points of a cycle."""
    for region, time_h, activity in points:
        session.add(
            TimeActivityRow(cycle_pk=cycle.id, region=region, time_h=time_h, activity_mbq=activity)
        )
    session.flush()


_FIT_REPORT_KEYS = (
    "nuclide",
    "parameter_se",
    "aicc",
    "fallback",
    "tia_se_mbq_h",
    "s_value_method",
    "dose_gy_per_gbq",
    "alpha_dose_gy",
    "electron_dose_gy",
    "rbe_alpha",
    "residue_fraction",
    "voxel_dose_gy",
)
"""Entries of a region's dosimetry record kept verbatim as its fit report."""


_NON_NEGATIVE = ("tia_mbq_h", "mass_g", "dose_gy", "rbe_weighted_dose_gy", "bed_gy", "eqd2_gy")
_POSITIVE = ("alpha_beta_gy", "repair_half_time_h", "effective_half_life_h")


def _check_dose_record(record: Mapping[str, Any], index: int) -> None:
    """Refuse a dose record whose numbers cannot be physical (nothing is stored then)."""
    for key in (*_NON_NEGATIVE, *_POSITIVE):
        value = record.get(key)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InputError(f"{key} must be a number, got {value!r}", field=f"[{index}].{key}")
        if value < 0 or (key in _POSITIVE and value == 0):
            raise InputError(
                f"{key} must be {'positive' if key in _POSITIVE else '>= 0'}, got {value}",
                field=f"[{index}].{key}",
            )


def save_dose_results(
    session: Session, cycle: CycleRow, results: Iterable[Mapping[str, Any]]
) -> list[DoseResultRow]:
    """Store per-region dosimetry results of a cycle (keys as in the dosimetry JSON).

    Every record is checked first: numbers that cannot be physical, and an absorbed dose
    above the physical ceiling of the cycle's administered activity
    (:func:`theratrial.treatment.check_cycle_doses`), refuse the lot.
    """
    records = list(results)
    for i, r in enumerate(records):
        _check_dose_record(r, i)
    check_cycle_doses(
        cycle.nuclide,
        cycle.activity_mbq,
        [
            RegionDose(str(r.get("region")), float(r.get("dose_gy") or 0.0), r.get("mass_g"))
            for r in records
        ],
    )
    rows = []
    for r in records:
        row = DoseResultRow(
            cycle_pk=cycle.id,
            region=str(r["region"]),
            model=str(r.get("model", "")),
            parameters=dict(r.get("parameters") or {}),
            tia_mbq_h=r.get("tia_mbq_h"),
            mass_g=r.get("mass_g"),
            dose_gy=r.get("dose_gy"),
            rbe_weighted_dose_gy=r.get("rbe_weighted_dose_gy"),
            bed_gy=r.get("bed_gy"),
            eqd2_gy=r.get("eqd2_gy"),
            alpha_beta_gy=r.get("alpha_beta_gy"),
            repair_half_time_h=r.get("repair_half_time_h"),
            effective_half_life_h=r.get("effective_half_life_h"),
            s_value_mgy_per_mbq_h=r.get("s_value_mgy_per_mbq_h"),
            s_value_source=r.get("s_value_source"),
            fit_report={k: r[k] for k in _FIT_REPORT_KEYS if k in r},
            warnings=list(r.get("warnings") or []),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def cycles_of(session: Session, *, patient_id: str, trial_id: str) -> list[CycleRow]:
    """The recorded cycles of a patient in a trial, in cycle order, with their doses.

    Reads only: an unknown patient has no cycles (and is not created).
    """
    trial = _trial(session, trial_id)
    patient = find_patient(session, patient_id)
    if patient is None:
        return []
    stmt = (
        select(CycleRow)
        .where(CycleRow.patient_pk == patient.id, CycleRow.trial_pk == trial.id)
        .order_by(CycleRow.cycle_number)
    )
    return list(session.scalars(stmt))
