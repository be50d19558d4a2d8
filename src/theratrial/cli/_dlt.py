"""``theratrial dlt add`` and ``theratrial dlt import``: DLT observations into the store.

One observation per patient and cycle: ``dlt add`` and ``dlt import`` refuse a repeated or
contradicting one (in the file, or against the store) unless ``--correct --reason TEXT``
replaces the stored observation, keeping the previous values and the reason. Patient ids
follow the one pseudonym rule (:func:`theratrial.ids.check_pseudonym`), checked on the
value as given. A record is checked as :class:`~theratrial.design.DltRecord` reads it
(CTCAE v5 grades 1-5, a DLT needs its event term) before anything is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import typer

from theratrial.cli._common import DB_OPTION, console, handle_errors
from theratrial.design.escalation_plan import check_correction as _check_correction
from theratrial.design.escalation_plan import (
    check_dlt_ids,
    escalation_ids,
    level_values,
    validate_dlt_record,
)
from theratrial.errors import InputError, TableError
from theratrial.ids import check_pseudonym
from theratrial.protocol import find_protocol
from theratrial.protocol.schema import Protocol
from theratrial.store import connect, register_protocol, session_scope
from theratrial.store.dlt import add_dlts

__all__ = [
    "check_correction",
    "check_ids",
    "dlt_app",
    "level_values",
    "parse_date",
    "validate_record",
]

check_ids = check_dlt_ids
validate_record = validate_dlt_record


def check_correction(correct: bool, reason: str | None) -> None:
    """``--correct`` needs ``--reason`` and the other way round."""
    _check_correction(correct, reason, correct_field="--correct", reason_field="--reason")


dlt_app = typer.Typer(help="Record dose-limiting toxicity observations.", no_args_is_help=True)


@dlt_app.command("add")
def add_command(
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    patient: str = typer.Option(..., "--patient", help="Pseudonymous patient id."),
    cohort: str = typer.Option(
        ..., "--cohort", help="Escalation cohort id (see `theratrial trials --json`)."
    ),
    cycle: int = typer.Option(1, "--cycle", min=1, help="Cycle number (1-based)."),
    level: str = typer.Option(..., "--level", help="Dose level id, e.g. DL1."),
    dlt: bool = typer.Option(False, "--dlt/--no-dlt", help="Whether a DLT occurred."),
    event: str | None = typer.Option(None, "--event", help="CTCAE term of the event."),
    grade: int | None = typer.Option(None, "--grade", min=1, max=5, help="CTCAE grade."),
    onset: str | None = typer.Option(None, "--onset", help="Onset date YYYY-MM-DD."),
    outside_window: bool = typer.Option(
        False, "--outside-window", help="The event fell outside the DLT window."
    ),
    administered: str | None = typer.Option(
        None, "--administered", help="Date of this cycle's administration, YYYY-MM-DD."
    ),
    correct: bool = typer.Option(
        False, "--correct", help="Replace the stored observation of this patient and cycle."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why (required with --correct)."),
    db: str | None = DB_OPTION,
) -> None:
    """Record one DLT-evaluable observation (one per patient and cycle)."""
    with handle_errors():
        check_pseudonym(patient, field="--patient")
        protocol = find_protocol(trial)
        check_ids(protocol, cohort, level, where="--")
        check_correction(correct, reason)
        onset_date = parse_date(onset, field="--onset") if onset else None
        administered_date = (
            parse_date(administered, field="--administered") if administered else None
        )
        values: dict[str, Any] = {
            "patient_id": patient,
            "cohort_id": cohort,
            "cycle": cycle,
            "dose_level": level,
            "dlt": dlt,
            "event": event.strip() if event and event.strip() else None,
            "grade": grade,
            "onset_date": onset_date,
            "administered_date": administered_date,
            "within_dlt_window": not outside_window,
        }
        options = {
            "patient_id": "--patient",
            "onset_date": "--onset",
            "patient_id/cycle": "--patient/--cycle",
            "reason": "--reason",
        }
        try:
            validate_record(values, level_values(protocol)[level])
            with session_scope(connect(db)) as session:
                register_protocol(session, protocol)
                done = add_dlts(
                    session,
                    trial_id=protocol.id,
                    records=[{**values, "line": None}],
                    correct=correct,
                    reason=reason,
                )
        except InputError as exc:
            field = options.get(exc.field or "", f"--{exc.field}")
            raise InputError(exc.message, field=field, hint=exc.hint) from None
        verb = "corrected" if done.corrected else "unchanged" if done.unchanged else "recorded"
        console.print(
            f"{verb} {'a DLT' if dlt else 'no DLT'}: patient {values['patient_id']}, "
            f"cycle {cycle}, {level}, cohort {cohort}"
            + (f" (reason: {reason})" if done.corrected else "")
        )


def parse_date(text: str, *, field: str, row: int | None = None) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise TableError(
            f"{text!r} is not a date", field=field, line=row, hint="write YYYY-MM-DD"
        ) from None


_TRUE = {"1", "true", "yes", "y", "dlt"}
_FALSE = {"0", "false", "no", "n", ""}


@dlt_app.command("import")
def import_command(
    file: Path = typer.Argument(
        ...,
        help="CSV with patient_id,cohort,cycle,dose_level,dlt "
        "[,event,grade,onset_date,administered_date,within_dlt_window].",
    ),
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    correct: bool = typer.Option(
        False, "--correct", help="Rows replace the stored observations of their patient and cycle."
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why (required with --correct)."),
    db: str | None = DB_OPTION,
) -> None:
    """Import DLT observations from a CSV file in one transaction (all rows or none).

    One row per patient and cycle: a repeated or contradicting row, or a row for a patient
    and cycle already stored, is refused with both rows named, unless --correct --reason.
    """
    with handle_errors():
        protocol = find_protocol(trial)
        check_correction(correct, reason)
        parsed = _read_dlt_csv(file, protocol)
        try:
            with session_scope(connect(db)) as session:
                register_protocol(session, protocol)
                done = add_dlts(
                    session, trial_id=protocol.id, records=parsed, correct=correct, reason=reason
                )
        except InputError as exc:
            if exc.file is not None or exc.line is None:
                raise
            raise TableError(
                exc.message, file=file, line=exc.line, field=exc.field, hint=exc.hint
            ) from None
        extra = []
        if done.corrected:
            extra.append(f"corrected {done.corrected} stored (reason: {reason})")
        if done.unchanged:
            extra.append(f"{done.unchanged} already stored as given")
        console.print(
            f"imported {done.inserted} DLT observations for {protocol.id}"
            + (f"; {'; '.join(extra)}" if extra else "")
        )


def _read_dlt_csv(file: Path, protocol: Protocol) -> list[dict[str, Any]]:
    """Parse and check every row (file and row named on error); nothing is stored here."""
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        required = {"patient_id", "cohort", "cycle", "dose_level", "dlt"}
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise TableError(
                f"missing columns {sorted(missing)}",
                file=file,
                line=1,
                hint="the header needs patient_id,cohort,cycle,dose_level,dlt",
            )
        rows = list(reader)
    parsed: list[dict[str, Any]] = []
    levels = level_values(protocol)
    known = escalation_ids(protocol)
    for i, row in enumerate(rows, start=2):
        try:
            check_pseudonym(row["patient_id"], field="patient_id", file=file)
            check_ids(protocol, row["cohort"], row["dose_level"], where="", known=known)
        except InputError as exc:
            raise TableError(
                exc.message, file=file, line=i, field=exc.field, hint=exc.hint
            ) from None
        flag = (row["dlt"] or "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise TableError(
                f"dlt must be yes/no, got {row['dlt']!r}", file=file, line=i, field="dlt"
            )
        try:
            cycle = int(row["cycle"])
            grade = int(row["grade"]) if row.get("grade") else None
        except ValueError:
            raise TableError(
                "cycle and grade must be whole numbers", file=file, line=i, field="cycle/grade"
            ) from None
        window = (row.get("within_dlt_window") or "true").strip().lower() not in _FALSE - {""}
        values: dict[str, Any] = {
            "patient_id": row["patient_id"],
            "cohort_id": row["cohort"],
            "cycle": cycle,
            "dose_level": row["dose_level"],
            "dlt": flag in _TRUE,
            "event": (row.get("event") or "").strip() or None,
            "grade": grade,
            "within_dlt_window": window,
            "onset_date": parse_date(row["onset_date"], field="onset_date", row=i)
            if row.get("onset_date")
            else None,
            "administered_date": parse_date(
                row["administered_date"], field="administered_date", row=i
            )
            if row.get("administered_date")
            else None,
            "line": i,
        }
        try:
            validate_record(values, levels[row["dose_level"]])
        except InputError as exc:
            raise TableError(
                exc.message, file=file, line=i, field=exc.field, hint=exc.hint
            ) from None
        parsed.append(values)
    return parsed
