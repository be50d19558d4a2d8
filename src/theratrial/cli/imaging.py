"""CLI commands of the imaging capability: ``suv``, ``quantify`` and ``ls``.

Thin adapters over :mod:`theratrial.imaging`; each prints a Rich table, or JSON with
``--json`` (``quantify`` also CSV with ``--csv``); ``--mip PNG`` writes a maximum-intensity
projection with the VOIs outlined (:mod:`theratrial.report.mip`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.progress import Progress
from rich.table import Table

from theratrial.cli._common import (
    console,
    existing_path,
    handle_errors,
    output_file,
    print_json,
    print_table,
)
from theratrial.errors import ParameterError
from theratrial.ids import check_pseudonym
from theratrial.imaging import (
    MtvThreshold,
    SeriesRef,
    StudyQuantification,
    SuvType,
    compute_suv,
    load_mask,
    load_masks,
    load_volume,
    quantify_study,
    scan_folder,
    voi_statistics,
)
from theratrial.imaging.study import pick_quantitative_series
from theratrial.report.mip import write_mip_png

__all__ = ["parse_mtv", "quantify_rows", "register"]

SUV_CHOICES = tuple(t.value for t in SuvType)
ROW_FIELDS = (
    "region",
    "kind",
    "volume_ml",
    "min",
    "max",
    "mean",
    "median",
    "sd",
    "peak",
    "mtv_threshold",
    "mtv_ml",
    "tlu",
    "total_activity_mbq",
    "percent_injected_activity",
    "tumour_to_liver",
    "tumour_to_spleen",
    "krenning_score",
)
TABLE_COLUMNS = (
    ("region", "region"),
    ("kind", "kind"),
    ("volume_ml", "mL"),
    ("mean", "mean"),
    ("max", "max"),
    ("peak", "peak"),
    ("percent_injected_activity", "%IA"),
    ("tumour_to_liver", "T/L"),
    ("krenning_score", "Krenning"),
)


def parse_mtv(text: str | None) -> MtvThreshold | None:
    """``41%`` -> 41 % of max; ``2.5`` -> absolute; ``liver`` -> PERCIST liver threshold."""
    if text is None:
        return None
    value = text.strip().lower()
    hint = "write 41% (of max), 2.5 (absolute) or liver (PERCIST)"
    try:
        if value == "liver":
            return MtvThreshold.liver(math.nan, math.nan)
        if value.endswith("%"):
            return MtvThreshold.percent_of_max(float(value[:-1]))
        number = float(value)
    except ParameterError as exc:  # a percentage outside (0, 100]
        raise ParameterError(exc.message, field="--mtv", hint=hint) from exc
    except ValueError as exc:
        raise ParameterError(
            f"cannot read MTV threshold {text!r}", field="--mtv", hint=hint
        ) from exc
    if not math.isfinite(number):
        raise ParameterError(f"MTV threshold {text!r} is not a number", field="--mtv", hint=hint)
    return MtvThreshold.absolute(number)


def _suv_type(text: str | None) -> SuvType | None:
    if text is None:
        return None
    try:
        return SuvType(text.strip().lower())
    except ValueError as exc:
        raise ParameterError(
            f"unknown SUV type {text!r}", field="--suv", hint=f"one of {', '.join(SUV_CHOICES)}"
        ) from exc


def _suv_overrides(
    weight_kg: float | None,
    height_m: float | None,
    sex: str | None,
    activity_mbq: float | None,
    injection_time: str | None,
) -> dict[str, Any]:
    """The header facts given on the command line, checked."""
    for name, value in (
        ("--weight-kg", weight_kg),
        ("--height-m", height_m),
        ("--activity-mbq", activity_mbq),
    ):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ParameterError(f"{name} must be a positive number, got {value:g}", field=name)
    if sex is not None and sex.strip().upper() not in ("M", "F", "O"):
        raise ParameterError(f"unknown sex {sex!r}", field="--sex", hint="write M, F or O")
    when = None
    if injection_time is not None:
        try:
            when = datetime.fromisoformat(injection_time)
        except ValueError as exc:
            raise ParameterError(
                f"cannot read the date-time {injection_time!r}",
                field="--injection-time",
                hint="write it as YYYY-MM-DDTHH:MM:SS, e.g. 2025-01-01T10:00:00",
            ) from exc
    return {
        "weight_kg": weight_kg,
        "height_m": height_m,
        "sex": None if sex is None else sex.strip().upper(),
        "injected_activity_mbq": activity_mbq,
        "injection_datetime": when,
    }


def _progress_reader(description: str) -> tuple[Progress, Callable[[int, int], None]]:
    progress = Progress(console=console, transient=True)
    task = progress.add_task(description, total=None)

    def callback(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, callback


def quantify_rows(result: StudyQuantification) -> list[dict[str, Any]]:
    """The table rows as plain dictionaries (the JSON ``rows`` and the CSV lines)."""
    rows: list[dict[str, Any]] = []
    for row in result.table.rows:
        s = row.statistics
        rows.append(
            {
                "region": row.region,
                "kind": row.kind,
                "volume_ml": s.volume_ml,
                "min": s.min,
                "max": s.max,
                "mean": s.mean,
                "median": s.median,
                "sd": s.sd,
                "peak": s.peak,
                "mtv_threshold": s.mtv_threshold,
                "mtv_ml": s.mtv_ml,
                "tlu": s.tlu,
                "total_activity_mbq": s.total_activity_mbq,
                "percent_injected_activity": s.percent_injected_activity,
                "tumour_to_liver": row.tumour_to_liver,
                "tumour_to_spleen": row.tumour_to_spleen,
                "krenning_score": row.krenning_score,
            }
        )
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def suv_command(
    series_dir: Path = typer.Argument(..., help="Folder (or files) of one PET series."),
    mask: Path = typer.Option(..., "--mask", help="RTSTRUCT, DICOM SEG or NIfTI mask."),
    roi: str | None = typer.Option(None, "--roi", help="Region name in a multi-region mask."),
    suv: str | None = typer.Option(
        None, "--suv", help=f"SUV type: {', '.join(SUV_CHOICES)} (default: bw, or as stored)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    mip: Path | None = typer.Option(None, "--mip", help="Write a MIP PNG with the VOI outlined."),
    weight_kg: float | None = typer.Option(
        None, "--weight-kg", help="Body weight (kg), replacing (0010,1030) Patient's Weight."
    ),
    height_m: float | None = typer.Option(
        None, "--height-m", help="Height (m), replacing (0010,1020) Patient's Size."
    ),
    sex: str | None = typer.Option(
        None, "--sex", help="M or F, replacing (0010,0040) Patient's Sex (for SUL, SUVibw)."
    ),
    activity_mbq: float | None = typer.Option(
        None, "--activity-mbq", help="Injected activity (MBq), replacing (0018,1074)."
    ),
    injection_time: str | None = typer.Option(
        None,
        "--injection-time",
        help="Injection date-time (YYYY-MM-DDTHH:MM:SS), replacing (0018,1078)/(0018,1072).",
    ),
) -> None:
    """SUV statistics of one VOI in one PET series, with every assumption made."""
    with handle_errors():
        if mip is not None:
            output_file(mip, option="--mip")
        wanted = _suv_type(suv)
        overrides = _suv_overrides(weight_kg, height_m, sex, activity_mbq, injection_time)
        volume = load_volume(series_dir)
        result = compute_suv(volume, suv_type=wanted, **overrides)
        region = load_mask(mask, reference=result.volume, roi=roi)
        stats = voi_statistics(result.volume, region)
        assumptions = [*result.assumptions, *region.notes]
        payload: dict[str, Any] = {
            "series_uid": volume.series_uid,
            "suv_type": result.suv_type.value,
            "units": result.units,
            "roi": region.name,
            "volume_ml": stats.volume_ml,
            "min": stats.min,
            "max": stats.max,
            "mean": stats.mean,
            "median": stats.median,
            "sd": stats.sd,
            "peak": stats.peak,
            "assumptions": assumptions,
        }
        if mip is not None:
            write_mip_png(result.volume, [region], mip, title=f"SUV{result.suv_type.value} MIP")
        if as_json:
            print_json(payload)
            return
        table = Table(title=f"SUV{result.suv_type.value} in {region.name} ({result.units})")
        table.add_column("statistic")
        table.add_column("value", justify="right")
        for key in ("volume_ml", "min", "max", "mean", "median", "sd", "peak"):
            table.add_row(key, _fmt(payload[key]))
        print_table(table)
        for note in assumptions:
            console.print(f"  - {note}", highlight=False)


def quantify_command(
    study_dir: Path = typer.Argument(..., help="Study folder (PET or SPECT series inside)."),
    masks: Path = typer.Option(..., "--masks", help="Folder of organ and lesion masks."),
    suv: str | None = typer.Option(None, "--suv", help=f"PET SUV type: {', '.join(SUV_CHOICES)}."),
    mtv: str | None = typer.Option(
        None, "--mtv", help="Lesion MTV threshold: 41% (of max), 2.5 (absolute) or liver."
    ),
    lesion_metric: str = typer.Option(
        "max", "--lesion-metric", help="Lesion statistic for ratios and Krenning: max|peak|mean."
    ),
    calibration: float | None = typer.Option(
        None, "--calibration-cps-per-mbq", help="SPECT sensitivity for series in counts."
    ),
    duration: float | None = typer.Option(
        None, "--duration-s", help="SPECT acquisition duration (default: from the header)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the table as CSV."),
    mip: Path | None = typer.Option(None, "--mip", help="Write a MIP PNG with the VOIs outlined."),
    db: str | None = typer.Option(
        None, "--db", help="Store the table in this database (SQLAlchemy URL or SQLite file)."
    ),
    patient: str | None = typer.Option(
        None, "--patient", help="Pseudonymous patient id to file the study under (with --db)."
    ),
) -> None:
    """Per-organ / per-lesion table of a study: SUV or Bq/mL, %IA, ratios, Krenning."""
    with handle_errors():
        if patient is not None:
            check_pseudonym(patient, field="--patient")
        if mip is not None:
            output_file(mip, option="--mip")
        if lesion_metric not in ("max", "peak", "mean"):
            raise ParameterError(
                f"unknown lesion metric {lesion_metric!r}",
                field="--lesion-metric",
                hint="one of max, peak, mean",
            )
        for name, value in (
            ("--calibration-cps-per-mbq", calibration),
            ("--duration-s", duration),
        ):
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ParameterError(f"{name} must be a positive number, got {value:g}", field=name)
        series = pick_quantitative_series(study_dir)
        options: dict[str, Any] = {
            "suv_type": _suv_type(suv),
            "mtv": parse_mtv(mtv),
            "calibration_cps_per_mbq": calibration,
            "duration_s": duration,
            "lesion_metric": lesion_metric,
        }
        if as_json or as_csv:
            result = quantify_study(series, masks, **options)
        else:
            progress, callback = _progress_reader("reading series")
            with progress:
                result = quantify_study(series, masks, progress=callback, **options)
        rows = quantify_rows(result)
        if db is not None:
            from theratrial.store import connect, session_scope
            from theratrial.store.imaging_results import save_quantification

            with session_scope(connect(db)) as session:
                save_quantification(session, result, patient_id=patient, masks_source=str(masks))
        if mip is not None:
            _write_quantify_mip(series, masks, mip, result)
        if as_json:
            print_json(
                {
                    "study_uid": result.study_uid,
                    "series_uid": result.series_uid,
                    "modality": result.modality,
                    "quantity": result.quantity,
                    "units": result.units,
                    "suv_type": result.suv_type,
                    "lesion_metric": result.table.lesion_metric,
                    "liver_mean": result.table.liver_mean,
                    "spleen_mean": result.table.spleen_mean,
                    "rows": rows,
                    "assumptions": list(result.assumptions),
                }
            )
            return
        if as_csv:
            buffer = io.StringIO()
            # the CSV has no header block: each row names the units of its statistics
            fields = [*ROW_FIELDS[:2], "units", *ROW_FIELDS[2:]]
            writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                line = {k: ("" if v is None else v) for k, v in row.items()}
                writer.writerow({**line, "units": result.units})
            typer.echo(buffer.getvalue(), nl=False)
            return
        table = Table(
            title=f"{result.quantity} ({result.units}) of {result.modality} series",
            box=box.SIMPLE,
            pad_edge=False,
        )
        for name, header in TABLE_COLUMNS:
            if name == "region":  # a name is kept whole, like a number (print_table)
                table.add_column(header)
            else:
                table.add_column(header, justify="right")
        for row in rows:
            table.add_row(*(_fmt(row[name]) for name, _ in TABLE_COLUMNS))
        print_table(table)
        for note in result.assumptions:
            console.print(f"  - {note}", highlight=False)


def _write_quantify_mip(
    series: SeriesRef, masks: Path, path: Path, result: StudyQuantification
) -> None:
    volume = load_volume(series)
    if volume.modality == "PT":
        image = compute_suv(volume, suv_type=result.suv_type).volume
    else:
        image = volume
    regions = load_masks(masks, reference=image)
    write_mip_png(image, regions, path, title=f"{result.quantity} MIP")


def ls_command(
    folder: Path = typer.Argument(..., help="Folder to search for DICOM series and NIfTI files."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the DICOM studies and series (and NIfTI files) found under a folder."""
    with handle_errors():
        inventory = scan_folder(existing_path(folder, field="FOLDER"))
        series = [
            {
                "study_uid": s.study_uid,
                "series_uid": s.series_uid,
                "modality": s.modality,
                "kind": s.kind,
                "description": s.description,
                "series_number": s.series_number,
                "n_files": len(s.files),
                "n_frames": s.n_frames,
                "frame_of_reference_uid": s.frame_of_reference_uid,
                "folder": str(s.folder),
            }
            for s in inventory.series
        ]
        if as_json:
            print_json(
                {
                    "root": str(inventory.root),
                    "series": series,
                    "nifti": [str(p) for p in inventory.nifti],
                    "skipped": [
                        {"path": str(f.path), "reason": f.reason} for f in inventory.skipped
                    ],
                }
            )
            return
        table = Table(title=f"{len(series)} series under {folder}")
        for name in ("modality", "kind", "description", "n_files", "folder"):
            table.add_column(name)
        for item in series:
            table.add_row(
                *(str(item[k]) for k in ("modality", "kind", "description")),
                str(item["n_files"]),
                str(item["folder"]),
            )
        print_table(table)
        for nifti in inventory.nifti:
            console.print(f"NIfTI: {nifti}", highlight=False)
        if inventory.skipped:
            console.print(f"{len(inventory.skipped)} file(s) skipped (not DICOM)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the top-level theratrial app."""
    app.command("suv")(suv_command)
    app.command("quantify")(quantify_command)
    app.command("ls")(ls_command)
