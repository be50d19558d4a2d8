"""``theratrial cycle record`` and ``theratrial plan``: treatment across cycles.

``cycle record`` stores one administration and, optionally, its dosimetry (the JSON that
``theratrial dosimetry`` or ``dosimetry-table`` prints). ``plan`` reads the stored cycles
of a patient, sums absorbed dose and BED per organ, and prescribes the next cycle: the
protocol's activity, reduced to the largest activity that keeps every organ under the
protocol's limits (from this patient's measured dose per GBq), or stop.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from theratrial.cli._common import (
    DB_OPTION,
    console,
    handle_errors,
    output_file,
    print_json,
    print_table,
)
from theratrial.cli._cycle_dosimetry import read_dosimetry, tac_points
from theratrial.errors import InputError
from theratrial.ids import check_pseudonym
from theratrial.protocol import find_protocol
from theratrial.store import connect, register_protocol, session_scope
from theratrial.store.clinical import (
    cycles_of,
    record_cycle,
    save_dose_results,
    save_time_activity,
)
from theratrial.store.repository import enrolment_of
from theratrial.store.treatment_plans import next_cycle_plan
from theratrial.treatment import (
    CycleRecord,
    RegionDose,
    active_limits,
    check_cycle_doses,
    check_cycle_record,
    dose_level,
    require_enrolment,
)

__all__ = ["register"]

_CLI_FIELDS = {
    "activity_mbq": "--activity-mbq",
    "administered_on": "--date",
    "administered_at": "--date",
    "weight_kg": "--weight-kg",
    "dose_level": "--level",
}
"""Fields of the science and store layers, as the options of these commands name them."""


@contextmanager
def _cli_fields(*, patient: str, dosimetry: Path | None = None) -> Iterator[None]:
    """Name the command's own option in an error (``--date``, not ``administered_on``)."""
    try:
        yield
    except InputError as exc:
        if exc.field == "patient_id":
            exc.field = patient
        elif exc.field in _CLI_FIELDS:
            exc.field = _CLI_FIELDS[exc.field]
        elif exc.field and exc.field.startswith("[") and dosimetry and exc.file is None:
            exc.file = str(dosimetry)
        raise


@contextmanager
def _store(db: str | None) -> Iterator[Session]:
    """One transaction on the store, its connections closed afterwards."""
    engine = connect(db)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


cycle_app = typer.Typer(
    help="Record therapy administrations and their dosimetry.", no_args_is_help=True
)


@cycle_app.command("record")
def record_command(
    patient: str = typer.Option(..., "--patient", help="Pseudonymous patient id."),
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    cycle: int = typer.Option(..., "--cycle", min=1, help="Cycle number (1-based)."),
    activity_mbq: float = typer.Option(..., "--activity-mbq", help="Administered activity (MBq)."),
    date: str | None = typer.Option(None, "--date", help="Administration date YYYY-MM-DD."),
    level: str | None = typer.Option(None, "--level", help="Dose level id."),
    weight_kg: float | None = typer.Option(
        None, "--weight-kg", help="Body weight at this cycle (kg)."
    ),
    dosimetry: Path | None = typer.Option(
        None, "--dosimetry", help="Per-region dosimetry JSON of this cycle."
    ),
    db: str | None = DB_OPTION,
) -> None:
    """Store one administration (and its dosimetry) in one transaction.

    Refused, with the field and the limit, when physically implausible: an activity above
    the protocol's prescription plus the dispensing tolerance, a date after today or before
    the patient's eligible screening, an absorbed dose above the physical ceiling.
    """
    with handle_errors(), _cli_fields(patient="--patient", dosimetry=dosimetry):
        check_pseudonym(patient, field="--patient")
        protocol = find_protocol(trial)
        nuclide = protocol.therapy_nuclide()
        if nuclide is None:
            raise InputError(
                f"trial {protocol.id} has no therapy radiopharmaceutical", field="--trial"
            )
        if not (math.isfinite(activity_mbq) and activity_mbq > 0):
            raise InputError(
                f"administered activity must be positive, got {activity_mbq} MBq",
                field="--activity-mbq",
            )
        if weight_kg is not None and not (math.isfinite(weight_kg) and 20 <= weight_kg <= 300):
            raise InputError(
                f"body weight {weight_kg} kg is not plausible",
                field="--weight-kg",
                hint="give the weight in kg (20 to 300)",
            )
        if level is not None:
            dose_level(protocol, level)  # an unknown level fails now, not at the next plan
        when = None
        if date is not None:
            try:
                when = dt.datetime.combine(
                    dt.date.fromisoformat(date), dt.time(9, 0), tzinfo=dt.UTC
                )
            except ValueError:
                raise InputError(
                    f"{date!r} is not a date", field="--date", hint="write YYYY-MM-DD"
                ) from None
        record = CycleRecord(cycle, activity_mbq, when.date() if when else None, weight_kg, level)
        check_cycle_record(protocol, record, today=dt.date.today())
        rows, times_h = read_dosimetry(dosimetry, cycle=cycle) if dosimetry else ([], [])
        doses = [RegionDose(str(r["region"]), float(r["dose_gy"]), r.get("mass_g")) for r in rows]
        check_cycle_doses(nuclide, activity_mbq, doses)
        with _store(db) as session:
            register_protocol(session, protocol)
            row = record_cycle(
                session,
                patient_id=patient,
                trial_id=protocol.id,
                cycle_number=cycle,
                nuclide=nuclide,
                activity_mbq=activity_mbq,
                administered_at=when,
                dose_level=level,
                weight_kg=weight_kg,
            )
            save_dose_results(session, row, rows)
            save_time_activity(session, row, tac_points(rows, times_h))
        console.print(
            f"recorded cycle {cycle}: {activity_mbq:g} MBq {nuclide}, {len(rows)} dosimetry regions"
        )


def plan_command(
    patient: str = typer.Argument(..., help="Pseudonymous patient id."),
    trial: str = typer.Option(..., "--trial", help="Trial id."),
    weight_kg: float | None = typer.Option(
        None, "--weight-kg", help="Body weight now (kg); default: last cycle's."
    ),
    level: str | None = typer.Option(
        None, "--level", help="Dose level id (default: the last cycle's or the start level)."
    ),
    risk_factor: list[str] = typer.Option(
        [], "--risk-factor", help="Risk factor that switches limits, e.g. renal_risk_factors."
    ),
    db: str | None = DB_OPTION,
    plot: Path | None = typer.Option(
        None, "--plot", help="Write cumulative organ dose vs the limits across cycles (PNG)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Next-cycle prescription under the protocol's organ limits, from the stored cycles.

    Only for a patient enrolled in the trial: an eligible screening or a recorded cycle.
    """
    with handle_errors(), _cli_fields(patient="PATIENT"):
        check_pseudonym(patient, field="PATIENT_ID")
        if plot is not None:
            output_file(plot, option="--plot")
        protocol = find_protocol(trial)
        with _store(db) as session:
            register_protocol(session, protocol)
            require_enrolment(enrolment_of(session, patient_id=patient, trial_id=protocol.id))
            cycles = cycles_of(session, patient_id=patient, trial_id=protocol.id)
            plan = next_cycle_plan(
                protocol,
                patient,
                cycles,
                weight_kg=weight_kg,
                level_id=level,
                risk_factors=risk_factor,
            )
        result, history = plan.result, plan.history
        payload: dict[str, Any] = {**plan.payload, "plot": None}
        window = payload["window"]
        if plot is not None and history:
            from theratrial.report.dosimetry_plots import cumulative_dose_figure, save_figure

            limits = active_limits(protocol, risk_factors=risk_factor)
            save_figure(cumulative_dose_figure(history, limits, plan=result), plot)
            payload["plot"] = str(plot)
        elif plot is not None:
            payload["warnings"].append("no cycle dose stored yet: no figure written")
        if json_out:
            print_json(payload)
            return
        verdict = (
            "STOP"
            if result.stop
            else (
                f"give {result.recommended_activity_mbq:,.0f} MBq"
                + (" (reduced)" if result.reduced else "")
            )
        )
        console.print(
            f"[bold]{protocol.id}, patient {patient}: cycle {result.cycle} — {verdict}[/]"
        )
        if window:
            console.print(
                f"window: {window['earliest']} to {window['latest']} (nominal {window['nominal']})"
            )
        table = Table(title="Organ limits")
        for col in (
            "organ",
            "quantity",
            "cumulative",
            "limit",
            "Gy/GBq",
            "max activity (MBq)",
            "reached",
        ):
            table.add_column(col)
        for ch in payload["limits"]:
            table.add_row(
                ch["organ"],
                ch["quantity"],
                _fmt(ch["cumulative"]),
                f"{ch['limit']:g}",
                _fmt(ch["dose_gy_per_gbq"]),
                _fmt(ch["max_activity_mbq"], "{:,.0f}"),
                str(ch["reached"]),
            )
        print_table(table)
        for reason in result.reasons:
            console.print(f"- {reason}")
        for warning in payload["warnings"]:
            console.print(f"[yellow]warning:[/] {warning}")
        if payload["plot"]:
            console.print(f"figure: {payload['plot']}", highlight=False)


def _fmt(value: float | None, pattern: str = "{:.3g}") -> str:
    return "-" if value is None else pattern.format(value)


def register(app: typer.Typer) -> None:
    """Add ``cycle`` and ``plan`` to the top-level app."""
    app.add_typer(cycle_app, name="cycle")
    app.command("plan")(plan_command)
