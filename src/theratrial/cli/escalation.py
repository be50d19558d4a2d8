"""``theratrial dlt`` (record DLT observations) and ``theratrial escalation``.

Escalation reads the protocol's escalation cohorts, their dose levels and start level, and
the DLT records stored for the trial, and asks the chosen design for one decision per
cohort: each cohort is escalated independently, as NCT06732505 requires.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from theratrial.cli._common import DB_OPTION, console, handle_errors, print_json
from theratrial.cli.design import _floats, decision_json
from theratrial.design import CohortPlan, DltRecord, create_design, decide_per_cohort
from theratrial.errors import InputError, TableError
from theratrial.protocol import find_protocol
from theratrial.protocol.schema import Protocol
from theratrial.store import connect, register_protocol, session_scope
from theratrial.store.clinical import add_dlt, dlt_rows

__all__ = ["register"]

dlt_app = typer.Typer(help="Record dose-limiting toxicity observations.", no_args_is_help=True)


def _level_values(protocol: Protocol) -> dict[str, float]:
    if protocol.dosing is None:
        raise InputError(f"trial {protocol.id} has no dose levels", field="trial")
    return {
        lv.id: float(
            lv.activity_kbq_per_kg if lv.activity_kbq_per_kg is not None else lv.activity_gbq or 0
        )
        for lv in protocol.dosing.levels
    }


def _check_ids(protocol: Protocol, cohort: str, level: str, *, where: str) -> None:
    cohorts = [c.id for c in protocol.cohorts if c.phase == "escalation"] or [
        c.id for c in protocol.cohorts
    ]
    if cohort not in cohorts:
        raise TableError(
            f"unknown cohort {cohort!r}", field=f"{where}cohort", hint=f"use one of {cohorts}"
        )
    levels = list(_level_values(protocol))
    if level not in levels:
        raise TableError(
            f"unknown dose level {level!r}", field=f"{where}dose_level", hint=f"use one of {levels}"
        )


def _validate_record(values: dict[str, Any], level_value: float) -> None:
    """Check a DLT observation before it is stored, as :class:`DltRecord` will read it.

    A record that the escalation cannot read later (a DLT without an event term, a grade
    outside 1-5, an empty patient id) is refused now instead of blocking every later
    ``theratrial escalation`` of the trial.
    """
    DltRecord(
        values["patient_id"],
        values["cycle"],
        level_value,
        event=values["event"],
        grade=values["grade"],
        onset_date=values["onset_date"],
        is_dlt=values["dlt"],
        within_dlt_window=values["within_dlt_window"],
    )


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
    db: str | None = DB_OPTION,
) -> None:
    """Record one DLT-evaluable observation."""
    with handle_errors():
        protocol = find_protocol(trial)
        _check_ids(protocol, cohort, level, where="--")
        onset_date = _date(onset, field="--onset") if onset else None
        values: dict[str, Any] = {
            "patient_id": patient.strip(),
            "cohort_id": cohort,
            "cycle": cycle,
            "dose_level": level,
            "dlt": dlt,
            "event": event.strip() if event and event.strip() else None,
            "grade": grade,
            "onset_date": onset_date,
            "within_dlt_window": not outside_window,
        }
        try:
            _validate_record(values, _level_values(protocol)[level])
        except InputError as exc:
            options = {"patient_id": "--patient", "onset_date": "--onset"}
            field = options.get(exc.field or "", f"--{exc.field}")
            raise InputError(exc.message, field=field, hint=exc.hint) from None
        with session_scope(connect(db)) as session:
            register_protocol(session, protocol)
            add_dlt(session, trial_id=protocol.id, **values)
        console.print(
            f"recorded {'a DLT' if dlt else 'no DLT'}: cycle {cycle}, {level}, cohort {cohort}"
        )


def _date(text: str, *, field: str, row: int | None = None) -> dt.date:
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
        "[,event,grade,onset_date,within_dlt_window].",
    ),
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    db: str | None = DB_OPTION,
) -> None:
    """Import DLT observations from a CSV file in one transaction (all rows or none)."""
    with handle_errors():
        protocol = find_protocol(trial)
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
        levels = _level_values(protocol)
        for i, row in enumerate(rows, start=2):
            try:
                _check_ids(protocol, row["cohort"], row["dose_level"], where="")
            except InputError as exc:
                raise TableError(
                    exc.message, file=file, line=i, field=exc.field, hint=exc.hint
                ) from None
            flag = row["dlt"].strip().lower()
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
            values = {
                "patient_id": (row["patient_id"] or "").strip(),
                "cohort_id": row["cohort"],
                "cycle": cycle,
                "dose_level": row["dose_level"],
                "dlt": flag in _TRUE,
                "event": (row.get("event") or "").strip() or None,
                "grade": grade,
                "within_dlt_window": window,
                "onset_date": _date(row["onset_date"], field="onset_date", row=i)
                if row.get("onset_date")
                else None,
            }
            try:
                _validate_record(values, levels[row["dose_level"]])
            except InputError as exc:
                raise TableError(
                    exc.message, file=file, line=i, field=exc.field, hint=exc.hint
                ) from None
            parsed.append(values)
        with session_scope(connect(db)) as session:
            register_protocol(session, protocol)
            for values in parsed:
                add_dlt(session, trial_id=protocol.id, **values)
        console.print(f"imported {len(parsed)} DLT observations for {protocol.id}")


def escalation_command(
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    design: str = typer.Option("boin", "--design", help="boin, crm, mtpi2, i3+3 or 3+3."),
    target: float = typer.Option(0.25, "--target", help="Target DLT probability."),
    skeleton: str | None = typer.Option(None, "--skeleton", help="CRM skeleton, comma-separated."),
    db: str | None = DB_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Next-cohort decision for every escalation cohort of a trial, from the stored DLT records."""
    with handle_errors():
        protocol = find_protocol(trial)
        values = _level_values(protocol)
        cohorts = [c for c in protocol.cohorts if c.phase == "escalation"]
        if not cohorts:
            raise InputError(f"trial {protocol.id} has no escalation cohorts", field="trial")
        start_id = protocol.dosing.start_level if protocol.dosing else None
        plans = []
        for c in cohorts:
            levels = sorted(values[lv] for lv in (c.dose_levels or list(values)))
            start = values[start_id] if start_id in values else levels[0]
            plans.append(CohortPlan(c.id, tuple(levels), start))
        with session_scope(connect(db)) as session:
            register_protocol(session, protocol)
            stored = dlt_rows(session, trial_id=protocol.id)
        records: dict[str, list[DltRecord]] = {}
        for pseudonym, row in stored:
            records.setdefault(row.cohort_id, []).append(
                DltRecord(
                    pseudonym,
                    row.cycle,
                    values[row.dose_level],
                    event=row.event,
                    grade=row.grade,
                    onset_date=row.onset_date,
                    is_dlt=row.dlt,
                    within_dlt_window=row.within_dlt_window,
                )
            )
        skel = _floats(skeleton, "--skeleton") if skeleton else None
        chosen = create_design(design, target=target, skeleton=skel)
        decisions = decide_per_cohort(chosen, plans, records)
        unit = "kBq/kg" if protocol.dosing and protocol.dosing.rule == "per_weight" else "GBq"
        by_value = {v: k for k, v in values.items()}
        payload = []
        for plan in plans:
            d = decisions[plan.cohort_id]
            item = {
                "cohort": plan.cohort_id,
                **decision_json(d.decision, d.data, plan.start_level, unit),
            }
            item["next_level_id"] = (
                by_value.get(d.decision.next_level) if d.decision.next_level is not None else None
            )
            payload.append(item)
        if json_out:
            print_json({"trial_id": protocol.id, "cohorts": payload})
            return
        table = Table(
            title=f"{protocol.id}: next cohort per escalation cohort ({design}, target {target:g})"
        )
        for col in ("cohort", "treated (n/DLT per level)", "decision", "next level", "reason"):
            table.add_column(col, overflow="fold")
        for item in payload:
            counts = ", ".join(f"{e['level']:g}: {e['n']}/{e['dlt']}" for e in item["estimates"])
            nxt = (
                "-"
                if item["next_level"] is None
                else f"{item['next_level']:g} {unit} ({item['next_level_id']})"
            )
            table.add_row(item["cohort"], counts, item["decision"], nxt, item["reason"])
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``dlt`` and ``escalation`` to the top-level app."""
    app.add_typer(dlt_app, name="dlt")
    app.command("escalation")(escalation_command)
