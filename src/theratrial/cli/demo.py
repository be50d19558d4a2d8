"""``theratrial demo``: the main job on the embedded default (SQLite + bundled data)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from theratrial.cli._common import console, handle_errors
from theratrial.eligibility import Patient, Screening, parse_patient, screen
from theratrial.protocol import bundled_protocols
from theratrial.store import connect, save_screenings, screening_summary, session_scope

__all__ = ["bundled_patients", "register"]

_VERDICT_STYLE = {"eligible": "green", "ineligible": "red", "incomplete": "yellow"}


def bundled_patients() -> list[Patient]:
    """The example patients shipped in ``theratrial/data/patients``."""
    folder = resources.files("theratrial") / "data" / "patients"
    records = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml", ".json")):
            records.append(parse_patient(entry.read_text(encoding="utf-8"), source=entry.name))
    return records


def demo(
    out: Path = typer.Option(
        Path("demo-output"), "--out", help="Folder for the SQLite file and outputs."
    ),
) -> None:
    """Screen the bundled example patients against every bundled trial and store the results."""
    with handle_errors():
        out.mkdir(parents=True, exist_ok=True)
        db_path = out / "theratrial.sqlite"
        db_path.unlink(missing_ok=True)
        protocols = bundled_protocols()
        patients = bundled_patients()
        results: list[Screening] = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("screening", total=len(patients) * len(protocols))
            for patient in patients:
                for protocol in protocols:
                    results.append(screen(patient, protocol))
                    progress.advance(task)
        engine = connect(f"sqlite:///{db_path}")
        with session_scope(engine) as session:
            save_screenings(
                session,
                results,
                protocols,
                sites={p.patient_id: p.site for p in patients if p.site},
            )
        with session_scope(engine) as session:
            summary = screening_summary(session)

        table = Table(
            title=f"Screening: {len(patients)} example patients × {len(protocols)} trials"
        )
        table.add_column("patient")
        for p in protocols:
            table.add_column(f"{p.id}\n{p.short_title}", overflow="fold")
        by_key = {(s.patient_id, s.trial_id): s for s in results}
        for patient in patients:
            cells = []
            for p in protocols:
                s = by_key[(patient.patient_id, p.id)]
                cells.append(f"[{_VERDICT_STYLE[s.verdict.value]}]{s.verdict.value}[/]")
            table.add_row(patient.patient_id, *cells)
        console.print(table)
        totals = Table(title="Stored screenings by trial and verdict")
        for col in ("trial", "verdict", "screenings"):
            totals.add_column(col)
        for trial_id, verdict, n in summary:
            totals.add_row(trial_id, verdict, str(n))
        console.print(totals)
        console.print(f"Results stored in {db_path} (SQLite).")


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the top-level app."""
    app.command("demo")(demo)
