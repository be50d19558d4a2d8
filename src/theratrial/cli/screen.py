"""``theratrial screen``: a patient against one trial or all bundled trials."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import typer
from rich.table import Table

from theratrial.cli._common import (
    STATUS_STYLE,
    VERDICT_STYLE,
    console,
    exit_with_error,
    handle_errors,
    print_json,
    print_table,
)
from theratrial.eligibility import Patient, Screening, find_trials, load_patient, screen
from theratrial.eligibility.screening_doc import screening_as_dict
from theratrial.errors import InputError
from theratrial.protocol import bundled_protocols, find_protocol
from theratrial.store import connect, save_screenings, session_scope
from theratrial.store.db import ENV_VAR

__all__ = ["register", "screening_json"]

screening_json = screening_as_dict
"""The JSON form of a screening (:func:`theratrial.eligibility.screening_doc.screening_as_dict`)."""


def _print_table(s: Screening) -> None:
    table = Table(
        title=f"{s.patient_id} × {s.trial_id} on {s.screening_date}: "
        f"[{VERDICT_STYLE[s.verdict.value]}]{s.verdict.value}[/]"
    )
    for col in ("criterion", "", "status", "requirement", "reason"):
        table.add_column(col, overflow="fold")
    for c in s.criteria:
        style = STATUS_STYLE[c.status.value]
        table.add_row(c.id, c.section[:3], f"[{style}]{c.status.value}[/]", c.label, c.reason)
    print_table(table)
    if s.cohorts:
        console.print(f"cohorts: {', '.join(s.cohorts)}")
    for note in s.assumptions:
        console.print(f"[dim]assumption: {note}[/]")


def _patients(path: Path) -> list[tuple[Path, Patient]]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in {".json", ".yaml", ".yml"})
        if not files:
            raise InputError("no patient records (.json, .yaml) in this folder", file=path)
        return [(f, load_patient(f)) for f in files]
    return [(path, load_patient(path))]


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Name the patient file in an input error found while screening it (a lab's unit...)."""
    try:
        yield
    except InputError as exc:
        if exc.file is None:
            exc.file = str(path)
        raise


def screen_command(
    patient: Path = typer.Argument(..., help="Patient record (JSON/YAML) or a folder of them."),
    trial: str | None = typer.Option(
        None, "--trial", help="Trial id, registry id or protocol file."
    ),
    all_trials: bool = typer.Option(
        False, "--all", help="Screen against every bundled trial, ranked."
    ),
    on: str | None = typer.Option(
        None, "--date", help="Screening date (YYYY-MM-DD); default: the record's."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Store results in this database (SQLAlchemy URL or SQLite file)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Screen a patient against a trial (--trial) or all bundled trials (--all)."""
    with handle_errors():
        if (trial is None) == (not all_trials):
            exit_with_error("give either --trial ID or --all")
        when = None
        if on is not None:
            try:
                when = dt.date.fromisoformat(on)
            except ValueError:
                exit_with_error(f"--date {on!r} is not a date (fix: write it as YYYY-MM-DD)")
        records = _patients(patient)
        patients = [p for _, p in records]
        protocols = bundled_protocols() if all_trials else [find_protocol(trial or "")]
        today = dt.date.today()
        results: list[Screening] = []
        for path, p in records:
            day = when or p.screening_date or today
            with _naming(path):
                found = (
                    find_trials(p, protocols, on=day)
                    if all_trials
                    else [screen(p, protocols[0], on=day)]
                )
            if when is None and p.screening_date is None:
                note = f"the record has no screening_date; screened as of today ({today})"
                found = [replace(s, assumptions=(note, *s.assumptions)) for s in found]
            results.extend(found)
        if db is not None or os.environ.get(ENV_VAR):
            engine = connect(db)
            with session_scope(engine) as session:
                save_screenings(
                    session,
                    results,
                    protocols,
                    sites={p.patient_id: p.site for p in patients if p.site},
                )
        if json_out:
            payload = [screening_json(s) for s in results]
            print_json(payload[0] if len(payload) == 1 and not all_trials else payload)
            return
        for s in results:
            _print_table(s)
        if all_trials:
            ranking = Table(title="Trial finder")
            for col in (
                "rank",
                "patient",
                "trial",
                "verdict",
                "met",
                "not met",
                "unknown",
                "review",
            ):
                ranking.add_column(col)
            for i, s in enumerate(results, start=1):
                c = screening_json(s)["counts"]
                ranking.add_row(
                    str(i),
                    s.patient_id,
                    s.trial_id,
                    f"[{VERDICT_STYLE[s.verdict.value]}]{s.verdict.value}[/]",
                    str(c["met"]),
                    str(c["not_met"]),
                    str(c["unknown"]),
                    str(c["needs_review"]),
                )
            print_table(ranking)


def register(app: typer.Typer) -> None:
    """Add ``screen`` to the top-level app."""
    app.command("screen")(screen_command)
