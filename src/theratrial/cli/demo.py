"""``theratrial demo``: the main job on the embedded default (SQLite + bundled data)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from theratrial.cli._common import (
    VERDICT_STYLE,
    console,
    handle_errors,
    output_folder,
    print_table,
)
from theratrial.eligibility import Patient, Screening, parse_patient, screen
from theratrial.imaging import StudyQuantification, quantify_study
from theratrial.imaging.study import pick_quantitative_series
from theratrial.phantoms import PhantomConfig, generate_cohort, screening_record
from theratrial.protocol import bundled_protocols
from theratrial.store import connect, save_screenings, screening_summary, session_scope
from theratrial.store.imaging_results import save_quantification

__all__ = ["bundled_patients", "register"]


def bundled_patients() -> list[Patient]:
    """The example patients shipped in ``theratrial/data/patients``."""
    folder = resources.files("theratrial") / "data" / "patients"
    records = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml", ".json")):
            records.append(parse_patient(entry.read_text(encoding="utf-8"), source=entry.name))
    return records


def _virtual_cohort(out: Path, n: int, grid: int, seed: int) -> tuple[list[Patient], list[Path]]:
    """Write ``n`` virtual patients (CT, 68Ga PET, SPECT, masks) and their screening records."""
    config = PhantomConfig().with_grid((grid, grid, grid)).with_therapy(cycles=1)
    shutil.rmtree(out / "virtual-cohort", ignore_errors=True)  # the demo's own output
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("writing virtual patients", total=n)
        cohort = generate_cohort(
            n,
            seed=seed,
            config=config,
            out_dir=out / "virtual-cohort",
            images=True,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    records = [Patient.model_validate(screening_record(p.truth())) for p in cohort.patients]
    dirs = [d for d in cohort.patient_dirs if d is not None]
    return records, dirs


def demo(
    out: Path = typer.Option(
        Path("demo-output"), "--out", help="Folder for the SQLite file and outputs."
    ),
    virtual: int = typer.Option(
        4, "--virtual", min=0, help="Virtual patients to generate and quantify."
    ),
    grid: int = typer.Option(
        96, "--grid", min=32, max=256, help="Voxels per side of the virtual patients."
    ),
    seed: int = typer.Option(2026, "--seed", help="Seed of the virtual cohort."),
) -> None:
    """The main job: screen the bundled and virtual patients against every bundled trial,
    quantify the virtual patients' 68Ga PET per organ and lesion, store it all in SQLite."""
    with handle_errors():
        output_folder(out, option="--out").mkdir(exist_ok=True)
        db_path = out / "theratrial.sqlite"
        db_path.unlink(missing_ok=True)
        protocols = bundled_protocols()
        patients = bundled_patients()
        virtual_patients, virtual_dirs = (
            _virtual_cohort(out, virtual, grid, seed) if virtual else ([], [])
        )
        everyone = patients + virtual_patients
        results: list[Screening] = []
        quantified: list[tuple[str, StudyQuantification]] = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("screening", total=len(everyone) * len(protocols))
            for patient in everyone:
                for protocol in protocols:
                    results.append(screen(patient, protocol))
                    progress.advance(task)
            task = progress.add_task("quantifying 68Ga PET", total=len(virtual_dirs))
            for record, folder in zip(virtual_patients, virtual_dirs, strict=True):
                pet = pick_quantitative_series(folder / "dicom" / "pet_ga68")
                quantified.append((record.patient_id, quantify_study(pet, folder / "masks")))
                progress.advance(task)
        engine = connect(f"sqlite:///{db_path}")
        with session_scope(engine) as session:
            save_screenings(
                session,
                results,
                protocols,
                sites={p.patient_id: p.site for p in everyone if p.site},
            )
            for patient_id, result in quantified:
                save_quantification(session, result, patient_id=patient_id, masks_source="masks/")
        with session_scope(engine) as session:
            summary = screening_summary(session)

        title = (
            f"Screening: {len(patients)} example + {len(virtual_patients)} virtual patients"
            f" × {len(protocols)} trials"
        )
        table = Table(title=title)
        table.add_column("patient")
        for p in protocols:
            table.add_column(f"{p.id}\n{p.short_title}", overflow="fold")
        by_key = {(s.patient_id, s.trial_id): s for s in results}
        for patient in everyone:
            cells = []
            for p in protocols:
                s = by_key[(patient.patient_id, p.id)]
                cells.append(f"[{VERDICT_STYLE[s.verdict.value]}]{s.verdict.value}[/]")
            table.add_row(patient.patient_id, *cells)
        print_table(table)
        totals = Table(title="Stored screenings by trial and verdict")
        for col in ("trial", "verdict", "screenings"):
            totals.add_column(col)
        for trial_id, verdict, n in summary:
            totals.add_row(trial_id, verdict, str(n))
        print_table(totals)
        if quantified:
            print_table(_biodistribution_table(quantified))
        console.print(
            f"Results stored in {db_path} (SQLite); virtual patients in {out / 'virtual-cohort'}."
        )


_ORGANS = ("liver", "spleen", "kidney_left", "kidney_right")


def _biodistribution_table(quantified: list[tuple[str, StudyQuantification]]) -> Table:
    table = Table(title="68Ga-DOTATATE PET of the virtual patients (SUVbw)")
    table.add_column("patient")
    for organ in ("liver", "spleen", "kidney L", "kidney R"):
        table.add_column(f"{organ}\nmean", justify="right")
    table.add_column("lesions", justify="right")
    table.add_column("lesion\nSUVmax", justify="right")
    table.add_column("T/L\nmax", justify="right")
    for patient_id, result in quantified:
        rows = {row.region: row for row in result.table.rows}
        lesions = [row for row in result.table.rows if row.kind == "lesion"]
        cells = [f"{rows[o].statistics.mean:.2f}" if o in rows else "-" for o in _ORGANS]
        maxima = [row.statistics.max for row in lesions]
        ratios = [row.tumour_to_liver for row in lesions if row.tumour_to_liver is not None]
        table.add_row(
            patient_id,
            *cells,
            str(len(lesions)),
            f"{min(maxima):.1f}-{max(maxima):.1f}" if maxima else "-",
            f"{max(ratios):.1f}" if ratios else "-",
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the top-level app."""
    app.command("demo")(demo)
