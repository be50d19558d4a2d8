"""Repositories for imaging results, treatment cycles, dosimetry and DLT records.

The functions take plain values (or the science packages' frozen results, unpacked by the
caller) and work inside the caller's transaction.
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
from theratrial.store.models import TrialRow
from theratrial.store.models_clinical import (
    CycleRow,
    DltRow,
    DoseResultRow,
    ImagingSeriesRow,
    ImagingStudyRow,
    MeasurementRow,
    TimeActivityRow,
    VoiRow,
)
from theratrial.store.repository import (
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


def _trial(session: Session, trial_id: str) -> TrialRow:
    trial = session.scalar(select(TrialRow).where(TrialRow.trial_id == trial_id))
    if trial is None:
        raise InputError(
            f"trial {trial_id!r} is not in the database",
            field="trial",
            hint="screen a patient for it first, or register the protocol",
        )
    return trial


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


_DLT_FIELDS = (
    "cohort_id",
    "dose_level",
    "dlt",
    "event",
    "grade",
    "onset_date",
    "within_dlt_window",
    "administered_date",
)
"""The values of a DLT observation that a correction may change (kept in its history)."""
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class DltImport:
    """What :func:`add_dlts` did: rows inserted, stored rows corrected, rows left as stored."""

    inserted: int
    corrected: int
    unchanged: int


def _describe(values: Mapping[str, Any]) -> str:
    what = f"DLT {values['event']}" if values["dlt"] else "no DLT"
    return f"{values['dose_level']}, {what}, cohort {values['cohort_id']}"


def _check_dlt_values(values: Mapping[str, Any], line: int | None) -> None:
    if values["cycle"] < 1:
        raise InputError(
            f"cycle numbers start at 1, got {values['cycle']}", field="cycle", line=line
        )
    grade = values.get("grade")
    if grade is not None and not 1 <= grade <= 5:
        raise InputError(f"CTCAE grades run 1-5, got {grade}", field="grade", line=line)
    if not str(values["cohort_id"]).strip() or not str(values["dose_level"]).strip():
        raise InputError(
            "a DLT record needs its cohort and dose level", field="cohort/dose_level", line=line
        )


def _patient_ids(session: Session, pseudonyms: Sequence[str]) -> dict[str, int]:
    """Primary keys of the patients, creating the missing ones in one statement."""
    from sqlalchemy import insert

    from theratrial.store.models import PatientRow
    from theratrial.store.repository import _check_pseudonym

    wanted = sorted(set(pseudonyms))
    for p in wanted:
        _check_pseudonym(p)
    found: dict[str, int] = {}
    for lo in range(0, len(wanted), _CHUNK):
        part = wanted[lo : lo + _CHUNK]
        stmt = select(PatientRow.pseudonym, PatientRow.id).where(PatientRow.pseudonym.in_(part))
        found.update({p: int(i) for p, i in session.execute(stmt).all()})
    new = [p for p in wanted if p not in found]
    if new:
        session.execute(insert(PatientRow), [{"pseudonym": p} for p in new])
        for lo in range(0, len(new), _CHUNK):
            part = new[lo : lo + _CHUNK]
            stmt = select(PatientRow.pseudonym, PatientRow.id).where(PatientRow.pseudonym.in_(part))
            found.update({p: int(i) for p, i in session.execute(stmt).all()})
    return found


def add_dlts(
    session: Session,
    *,
    trial_id: str,
    records: Sequence[Mapping[str, Any]],
    correct: bool = False,
    reason: str | None = None,
    now: datetime | None = None,
) -> DltImport:
    """Store many DLT observations at once, inside the caller's transaction.

    Each record maps ``patient_id``, ``cohort_id``, ``cycle``, ``dose_level``, ``dlt`` and
    optionally ``event``, ``grade``, ``onset_date``, ``administered_date``,
    ``within_dlt_window`` (default true) and ``line`` (its row in the source file, for
    messages). There is one observation per patient and cycle: two records for the same
    patient and cycle are refused (repeated or contradicting, both rows named), and so is
    a record for a patient and cycle already stored (the stored record named) — unless
    ``correct`` is set with a ``reason``: the stored record then takes the new values, and
    its previous values, the reason and the time are kept in its ``corrections`` history.
    Patients are resolved in one query and created in one statement, the records inserted
    in one executemany; on any error nothing is stored (the caller rolls back).

    Raises
    ------
    InputError
        A bad field, a duplicate or a conflict (``line`` set to the record's row).
    """
    if correct and not (reason and reason.strip()):
        raise InputError(
            "a correction needs a reason",
            field="reason",
            hint="say why the stored observation is corrected (--reason TEXT)",
        )
    trial = _trial(session, trial_id)
    seen: dict[tuple[str, int], Mapping[str, Any]] = {}
    for k, values in enumerate(records, start=1):
        line = values.get("line", k)
        _check_dlt_values(values, line)
        key = (str(values["patient_id"]), int(values["cycle"]))
        first = seen.get(key)
        if first is not None:
            same = all(first.get(f) == values.get(f) for f in _DLT_FIELDS)
            verb = "repeats" if same else "contradicts"
            raise InputError(
                f"{verb} row {first.get('line')} for patient {key[0]}, cycle {key[1]} "
                f"(row {first.get('line')}: {_describe(first)}; this row: {_describe(values)})",
                field="patient_id/cycle",
                line=line,
                hint="keep one row per patient and cycle; to change a stored observation "
                "import the corrected row with --correct --reason",
            )
        seen[key] = values
    patients = _patient_ids(session, [k[0] for k in seen])
    stored: dict[tuple[int, int], DltRow] = {}
    pks = sorted(set(patients.values()))
    for lo in range(0, len(pks), _CHUNK):
        stmt = select(DltRow).where(
            DltRow.trial_pk == trial.id, DltRow.patient_pk.in_(pks[lo : lo + _CHUNK])
        )
        for row in session.scalars(stmt):
            stored.setdefault((row.patient_pk, row.cycle), row)
    from datetime import UTC

    stamp = (now or datetime.now(UTC)).isoformat()
    new_rows: list[dict[str, Any]] = []
    corrected = unchanged = 0
    for (pid, cycle), values in seen.items():
        row_values = {f: values.get(f) for f in _DLT_FIELDS}
        if row_values["within_dlt_window"] is None:
            row_values["within_dlt_window"] = True
        old = stored.get((patients[pid], cycle))
        if old is None:
            new_rows.append(
                {"patient_pk": patients[pid], "trial_pk": trial.id, "cycle": cycle, **row_values}
            )
            continue
        previous = {f: getattr(old, f) for f in _DLT_FIELDS}
        if not correct:
            raise InputError(
                f"patient {pid}, cycle {cycle} is already stored as record #{old.id} "
                f"({_describe(previous)})",
                field="patient_id/cycle",
                line=values.get("line"),
                hint="the observation is stored once; to replace it give --correct --reason TEXT",
            )
        if previous == row_values:
            unchanged += 1
            continue
        history = list(old.corrections or [])
        history.append(
            {
                "at": stamp,
                "reason": reason,
                "previous": {
                    k: v.isoformat() if isinstance(v, date) else v for k, v in previous.items()
                },
            }
        )
        for f, v in row_values.items():
            setattr(old, f, v)
        old.correction_reason = reason
        old.corrections = history
        corrected += 1
    if new_rows:
        from sqlalchemy import insert

        session.execute(insert(DltRow), new_rows)
    session.flush()
    return DltImport(inserted=len(new_rows), corrected=corrected, unchanged=unchanged)


def add_dlt(
    session: Session,
    *,
    patient_id: str,
    trial_id: str,
    cohort_id: str,
    cycle: int,
    dose_level: str,
    dlt: bool,
    within_dlt_window: bool = True,
    event: str | None = None,
    grade: int | None = None,
    onset_date: date | None = None,
    administered_date: date | None = None,
    correct: bool = False,
    reason: str | None = None,
) -> DltRow:
    """Record one DLT-evaluable observation (``dlt`` False: evaluable without a DLT).

    A second observation for the same patient and cycle is refused unless ``correct``
    with a ``reason`` (see :func:`add_dlts`).
    """
    values = {
        "patient_id": patient_id,
        "cohort_id": cohort_id,
        "cycle": cycle,
        "dose_level": dose_level,
        "dlt": dlt,
        "event": event,
        "grade": grade,
        "onset_date": onset_date,
        "administered_date": administered_date,
        "within_dlt_window": within_dlt_window,
        "line": None,
    }
    add_dlts(session, trial_id=trial_id, records=[values], correct=correct, reason=reason)
    patient = get_or_create_patient(session, patient_id)
    trial = _trial(session, trial_id)
    row = session.scalar(
        select(DltRow).where(
            DltRow.trial_pk == trial.id, DltRow.patient_pk == patient.id, DltRow.cycle == cycle
        )
    )
    assert row is not None
    return row


@dataclass(frozen=True, slots=True)
class DltCount:
    """Patients treated and patients with a DLT at one dose level of one cohort."""

    cohort_id: str
    dose_level: str
    n: int
    dlt: int


def dlt_counts(session: Session, *, trial_id: str) -> list[DltCount]:
    """Per cohort and dose level: evaluable patients and patients with a DLT.

    A patient counts once per level (a DLT in any cycle inside the DLT window counts).
    """
    trial = _trial(session, trial_id)
    rows = session.scalars(select(DltRow).where(DltRow.trial_pk == trial.id)).all()
    patients: dict[tuple[str, str], dict[int, bool]] = {}
    for r in rows:
        key = (r.cohort_id, r.dose_level)
        had = patients.setdefault(key, {}).get(r.patient_pk, False)
        patients[key][r.patient_pk] = had or (r.dlt and r.within_dlt_window)
    return [
        DltCount(cohort, level, len(pts), sum(pts.values()))
        for (cohort, level), pts in sorted(patients.items())
    ]


def dlt_rows(session: Session, *, trial_id: str) -> list[tuple[str, DltRow]]:
    """Every DLT record of a trial with the patient's pseudonym, in insertion order."""
    from theratrial.store.models import PatientRow

    trial = _trial(session, trial_id)
    stmt = (
        select(PatientRow.pseudonym, DltRow)
        .join(PatientRow, DltRow.patient_pk == PatientRow.id)
        .where(DltRow.trial_pk == trial.id)
        .order_by(DltRow.id)
    )
    return [(pseudonym, row) for pseudonym, row in session.execute(stmt).all()]
