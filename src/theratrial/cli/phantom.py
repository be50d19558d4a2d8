"""CLI commands of the phantom capability: ``phantom`` and ``phantom-cohort``.

Thin adapters over :func:`theratrial.phantoms.write_patient` and
:func:`theratrial.phantoms.generate_cohort`, with a Rich progress bar and ``--json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from theratrial.cli._common import (
    console,
    err_console,
    handle_errors,
    output_folder,
    print_json,
    print_table,
)
from theratrial.errors import ParameterError
from theratrial.phantoms import (
    PhantomConfig,
    ScannerConfig,
    generate_cohort,
    lesion_table,
    write_patient,
)

__all__ = ["register"]

_ORGANS = ("kidney_left", "kidney_right", "liver", "spleen", "bone_marrow")


def _parse_grid(text: str) -> tuple[int, int, int]:
    parts = [p for p in text.lower().replace(",", "x").split("x") if p]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 1:
        values = values * 3
    if len(values) != 3 or any(v < 8 or v > 512 for v in values):
        raise ParameterError(
            f"cannot read grid {text!r}",
            field="--grid",
            hint="give one size (128) or three sizes z x y x x (128x128x128), each 8-512",
        )
    return values[0], values[1], values[2]


def _config(
    *, grid: str, nuclide: str, cycles: int, spect_units: str, noise: bool, followup_ct: bool
) -> PhantomConfig:
    if not 1 <= cycles <= 8:
        raise ParameterError(
            f"--cycles must be between 1 and 8, got {cycles}",
            field="--cycles",
            hint="PRRT protocols give up to 4-6 cycles; 8 is the most a virtual patient gets",
        )
    cfg = PhantomConfig(followup_ct=followup_ct).with_grid(_parse_grid(grid))
    cfg = cfg.with_therapy(nuclide=nuclide, cycles=cycles, spect_units=spect_units.upper())
    if not noise:
        cfg = replace(
            cfg,
            pet=replace(cfg.pet, scanner=_quiet(cfg.pet.scanner)),
            therapy=replace(
                cfg.therapy,
                lu177_scanner=_quiet(cfg.therapy.lu177_scanner),
                ac225_scanner=_quiet(cfg.therapy.ac225_scanner),
            ),
            ct_noise_hu=0.0,
        )
    return cfg


def _quiet(scanner: ScannerConfig) -> ScannerConfig:
    return replace(scanner, noise=False)


@contextmanager
def _progress(label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _patient_summary(files: Any, elapsed_s: float) -> dict[str, Any]:
    truth = files.truth
    regions = truth["regions"]
    return {
        "patient_id": truth["patient_id"],
        "seed": truth["seed"],
        "patient_dir": str(files.patient_dir),
        "truth_path": str(files.truth_path),
        "therapy_nuclide": truth["therapy"]["nuclide"],
        "cycles": len(truth["therapy"]["cycles"]),
        "activity_mbq_per_cycle": truth["therapy"]["cycles"][0]["activity_mbq"],
        "patient": truth["patient"],
        "grid": truth["grid"],
        "frame_of_reference_uid": truth["frame_of_reference_uid"],
        "series": [
            {
                "name": s["name"],
                "modality": s["modality"],
                "path": s["path"],
                "series_instance_uid": s["series_instance_uid"],
                "hours_post_injection": s["hours_post_injection"],
                "cycle": s["cycle"],
            }
            for s in truth["series"]
        ],
        "seg_path": truth["masks"]["seg_path"],
        "n_masks": len(files.masks),
        "organs": {
            name: {
                "ga68_suvmean": regions[name]["ga68_suvmean"],
                "absorbed_dose_gy_total": regions[name]["absorbed_dose_gy_total"],
                "absorbed_dose_gy_per_gbq": regions[name]["absorbed_dose_gy_per_gbq"],
            }
            for name in _ORGANS
        },
        "lesions": [
            {
                "lesion_id": name,
                "type": les["type"],
                "longest_diameter_mm": les["longest_diameter_mm"],
                "ga68_suvmean": les["ga68_suvmean"],
                "absorbed_dose_gy_total": regions[name]["absorbed_dose_gy_total"],
                "rbe_weighted_dose_gy_total": regions[name]["rbe_weighted_dose_gy_total"],
                "responder": les["responder"],
            }
            for name, les in truth["lesions"].items()
        ],
        "elapsed_s": round(elapsed_s, 3),
    }


def register(app: typer.Typer) -> None:
    """Add ``phantom`` and ``phantom-cohort`` to the top-level theratrial app."""

    @app.command("phantom")
    def phantom(
        patient_dir: Path = typer.Argument(..., help="Folder to write the virtual patient to."),
        seed: int = typer.Option(..., "--seed", help="Seed (>= 0): same seed, same patient."),
        nuclide: str = typer.Option("Lu-177", "--nuclide", help="Therapy: Lu-177 or Ac-225."),
        cycles: int = typer.Option(4, "--cycles", help="Therapy cycles (8 weeks apart)."),
        grid: str = typer.Option("128", "--grid", help="Grid: 128 or 128x128x128 (z x y x x)."),
        patient_id: str | None = typer.Option(None, "--patient-id", help="Pseudonymous ID."),
        spect_units: str = typer.Option("BQML", "--spect-units", help="BQML or CNTS."),
        noise: bool = typer.Option(
            True, "--noise/--no-noise", help="Poisson noise (PSF stays; see truth)."
        ),
        followup_ct: bool = typer.Option(False, "--followup-ct", help="Also write follow-up CTs."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Write into a non-empty folder."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Generate one virtual NET patient: CT, 68Ga PET (+ retest), SPECT, masks, truth."""
        with handle_errors():
            output_folder(patient_dir, option="DIR")
            cfg = _config(
                grid=grid,
                nuclide=nuclide,
                cycles=cycles,
                spect_units=spect_units,
                noise=noise,
                followup_ct=followup_ct,
            )
            start = time.perf_counter()
            with _progress("writing virtual patient", enabled=not as_json) as update:
                files = write_patient(
                    patient_dir,
                    seed,
                    config=cfg,
                    patient_id=patient_id,
                    progress=update,
                    overwrite=overwrite,
                )
            summary = _patient_summary(files, time.perf_counter() - start)
            if as_json:
                print_json(summary)
                return
            _print_patient(summary)

    @app.command("phantom-cohort")
    def phantom_cohort(
        cohort_dir: Path = typer.Argument(..., help="Folder for the cohort."),
        n: int = typer.Option(20, "--n", help="Number of patients."),
        seed: int = typer.Option(..., "--seed", help="Cohort seed (>= 0)."),
        nuclide: str = typer.Option("Lu-177", "--nuclide", help="Therapy: Lu-177 or Ac-225."),
        cycles: int = typer.Option(4, "--cycles", help="Therapy cycles (8 weeks apart)."),
        grid: str = typer.Option("128", "--grid", help="Grid: 128 or 128x128x128 (z x y x x)."),
        images: bool = typer.Option(
            True, "--images/--no-images", help="Write each patient's images (else tables only)."
        ),
        spect_units: str = typer.Option("BQML", "--spect-units", help="BQML or CNTS."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Generate a virtual cohort: patient folders, cohort.json and lesions.csv."""
        with handle_errors():
            if seed < 0:
                raise ParameterError(f"--seed must be >= 0, got {seed}", field="--seed")
            output_folder(cohort_dir, option="DIR")
            cfg = _config(
                grid=grid,
                nuclide=nuclide,
                cycles=cycles,
                spect_units=spect_units,
                noise=True,
                followup_ct=False,
            )
            if cohort_dir.is_dir() and images and any(cohort_dir.iterdir()):
                raise ParameterError(
                    "the cohort folder is not empty",
                    field="DIR",
                    hint="choose a new folder for a cohort with images",
                )
            start = time.perf_counter()
            with _progress("generating cohort", enabled=not as_json) as update:
                cohort = generate_cohort(
                    n, seed=seed, config=cfg, out_dir=cohort_dir, images=images, progress=update
                )
            rows = lesion_table(cohort)
            summary: dict[str, Any] = {
                "cohort_dir": str(cohort_dir),
                "seed": seed,
                "n": n,
                "images": images,
                "therapy_nuclide": cfg.therapy.nuclide,
                "cycles": cfg.therapy.cycles,
                "cohort_json": str(cohort_dir / "cohort.json"),
                "lesion_table": str(cohort_dir / "lesions.csv"),
                "n_lesions": len(rows),
                "n_responders": sum(r.responder for r in rows),
                "patients": [
                    {
                        "patient_id": p.patient_id,
                        "seed": p.seed,
                        "path": str(d) if d is not None else None,
                        "n_lesions": len(p.lesions),
                    }
                    for p, d in zip(cohort.patients, cohort.patient_dirs, strict=True)
                ],
                "elapsed_s": round(time.perf_counter() - start, 3),
            }
            if as_json:
                print_json(summary)
                return
            table = Table(title=f"Virtual cohort {seed} ({n} patients)")
            for col in ("patient", "seed", "lesions", "folder"):
                table.add_column(col)
            for p in summary["patients"]:
                table.add_row(
                    p["patient_id"], str(p["seed"]), str(p["n_lesions"]), p["path"] or "-"
                )
            print_table(table)
            console.print(
                f"{summary['n_lesions']} lesions, {summary['n_responders']} responders; "
                f"table {summary['lesion_table']} ({summary['elapsed_s']:.1f} s)"
            )


def _print_patient(s: dict[str, Any]) -> None:
    console.print(
        f"[bold]{s['patient_id']}[/] (seed {s['seed']}): {s['therapy_nuclide']} x {s['cycles']} "
        f"cycles of {s['activity_mbq_per_cycle']:.0f} MBq -> {s['patient_dir']} "
        f"({s['elapsed_s']:.1f} s)"
    )
    organs = Table(title="Organs (truth)")
    for col in ("organ", "68Ga SUVmean", "dose Gy (all cycles)", "Gy/GBq"):
        organs.add_column(col)
    for name, o in s["organs"].items():
        organs.add_row(
            name,
            f"{o['ga68_suvmean']:.2f}",
            f"{o['absorbed_dose_gy_total']:.2f}",
            f"{o['absorbed_dose_gy_per_gbq']:.3f}",
        )
    print_table(organs)
    lesions = Table(title="Lesions (truth)")
    for col in ("lesion", "type", "LD mm", "68Ga SUVmean", "dose Gy", "responder"):
        lesions.add_column(col)
    for les in s["lesions"]:
        lesions.add_row(
            les["lesion_id"],
            les["type"],
            f"{les['longest_diameter_mm']:.1f}",
            f"{les['ga68_suvmean']:.1f}",
            f"{les['absorbed_dose_gy_total']:.1f}",
            "yes" if les["responder"] else "no",
        )
    print_table(lesions)
    console.print(f"{len(s['series'])} series, {s['n_masks']} masks, truth: {s['truth_path']}")
