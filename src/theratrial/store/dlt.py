"""DLT observations of dose escalation: one per patient and cycle, corrections kept.

:func:`add_dlts` stores many observations in one transaction (a CSV import), refusing a
repeated or contradicting record unless it is a correction with a reason, whose previous
values are kept in the row's history; :func:`dlt_rows` and :func:`dlt_counts` read them
back for the escalation decision (:func:`theratrial.design.decide_per_cohort`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from theratrial.errors import InputError
from theratrial.store.models import PatientRow
from theratrial.store.models_clinical import DltRow
from theratrial.store.repository import _check_pseudonym, _trial, get_or_create_patient

__all__ = ["DltCount", "DltImport", "add_dlt", "add_dlts", "dlt_counts", "dlt_rows"]


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
    trial = _trial(session, trial_id)
    stmt = (
        select(PatientRow.pseudonym, DltRow)
        .join(PatientRow, DltRow.patient_pk == PatientRow.id)
        .where(DltRow.trial_pk == trial.id)
        .order_by(DltRow.id)
    )
    return [(pseudonym, row) for pseudonym, row in session.execute(stmt).all()]
