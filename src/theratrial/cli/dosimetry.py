"""``theratrial dosimetry-table`` and ``theratrial dosimetry``: Ã, absorbed dose and BED.

``dosimetry-table TAC.csv --nuclide Lu-177 --masses MASSES.csv --json`` prints a JSON list
with one object per region::

    {"region", "nuclide", "model", "parameters", "parameter_se", "aicc", "fallback",
     "effective_half_life_h", "tia_mbq_h", "tia_se_mbq_h", "mass_g",
     "s_value_mgy_per_mbq_h", "s_value_method", "s_value_source", "dose_gy",
     "dose_gy_per_gbq", "bed_gy", "eqd2_gy", "alpha_beta_gy", "repair_half_time_h",
     "warnings"}

plus ``alpha_dose_gy``, ``electron_dose_gy``, ``rbe_alpha`` and ``rbe_weighted_dose_gy``
for alpha emitters (Ac-225, chain in situ), and the region's measured curve ``times_h``
and ``activity_mbq`` (so that ``cycle record`` stores the time-activity points too).

``dosimetry PATIENT_DIR --nuclide Lu-177 --json`` prints one object::

    {"patient_dir", "nuclide",
     "masses": [{"region", "volume_ml", "density_g_per_ml", "mass_g", "source"}],
     "cycles": [{"cycle", "injection_datetime", "administered_activity_mbq", "times_h",
                 "regions": [<region object as above> + "activity_mbq" (per time point,
                             partial-volume corrected when asked), "residue_fraction",
                             "voxel_dose_gy" ({"local_deposition", "kernel"} or null),
                             "partial_volume" ({"method", "recovery_coefficient",
                             "expected_recovery", "resolution_mm", "volume_ml",
                             "small_voi"})],
                 "warnings",
                 "warning_summary": [{"message", "count", "regions"}]}],
     "cumulative": [{"region", "cycles", "dose_gy", "bed_gy", "rbe_weighted_dose_gy"}],
     "warnings"}

A region warning repeated across regions (the AICc note, say) is printed once with its
count and regions; ``warning_summary`` holds each distinct region warning once with its
count (the region objects keep their own ``warnings``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from theratrial.cli._common import (
    console,
    err_console,
    handle_errors,
    output_file,
    print_json,
    print_table,
)
from theratrial.dosimetry.dose import RegionDose, regions_dose
from theratrial.dosimetry.pipeline import PatientDosimetry, patient_dosimetry
from theratrial.dosimetry.radiobiology import Radiobiology
from theratrial.dosimetry.recovery import PVC_METHODS, read_recovery_csv
from theratrial.dosimetry.table import read_mass_table, read_tac_table
from theratrial.dosimetry.tia import METHODS
from theratrial.errors import ParameterError, TableError
from theratrial.gpu import resolve_device

__all__ = ["register"]


def _read_radiobiology(path: Path) -> dict[str, Radiobiology]:
    out: dict[str, Radiobiology] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        needed = {"region", "alpha_beta_gy", "repair_half_time_h"}
        if reader.fieldnames is None or not needed <= {f.strip() for f in reader.fieldnames}:
            raise TableError(
                "columns region, alpha_beta_gy, repair_half_time_h are required", file=path
            )
        for line, row in enumerate(reader, start=2):
            try:
                out[row["region"].strip()] = Radiobiology(
                    float(row["alpha_beta_gy"]), float(row["repair_half_time_h"])
                )
            except (ValueError, ParameterError) as exc:
                raise TableError(f"bad radiobiology values: {exc}", file=path, line=line) from exc
    return out


def _parse_release(items: list[str]) -> dict[str, float]:
    released: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            released[name.strip()] = float(value)
        except ValueError:
            raise ParameterError(
                f"cannot read --release {item!r}",
                field="release",
                hint="write DAUGHTER=FRACTION, e.g. --release Bi-213=0.3",
            ) from None
    return released


def _parse_population(items: list[str]) -> float | dict[str, float] | None:
    """``--population-half-life-h``: one half-life (h) for all regions, or REGION=HOURS."""
    if not items:
        return None
    per_region: dict[str, float] = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        try:
            hours = float(value)
        except ValueError:
            hours = math.nan
        if not (math.isfinite(hours) and hours > 0) or (sep and not name.strip()):
            raise ParameterError(
                f"cannot read --population-half-life-h {item!r}",
                field="population_half_life_h",
                hint="write a positive number of hours (67) or REGION=HOURS (spleen=67)",
            )
        if not sep:
            if len(items) > 1:
                raise ParameterError(
                    "a bare --population-half-life-h applies to every region: give it once, "
                    "or give REGION=HOURS for each region",
                    field="population_half_life_h",
                )
            return hours
        per_region[name.strip()] = hours
    return per_region


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _warning_groups(results: tuple[RegionDose, ...]) -> list[dict[str, object]]:
    """Each distinct region warning once, in first-seen order, with its count and regions."""
    groups: dict[str, list[str]] = {}
    for r in results:
        for warning in r.warnings:
            regions = groups.setdefault(warning, [])
            if r.region not in regions:
                regions.append(r.region)
    return [{"message": m, "count": len(g), "regions": g} for m, g in groups.items()]


def _print_table(results: tuple[RegionDose, ...]) -> None:
    table = Table(title="Dosimetry (self-dose, MIRD schema)")
    for column in ("region", "model", "Ã (MBq h)", "mass (g)", "dose (Gy)", "Gy/GBq", "BED (Gy)"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.region,
            r.model,
            _fmt(r.tia.tia_mbq_h, 4),
            _fmt(r.mass_g, 4),
            _fmt(r.dose_gy),
            _fmt(r.dose_gy_per_gbq),
            _fmt(r.bed_gy),
        )
    print_table(table)
    for group in _warning_groups(results):
        regions = group["regions"]
        assert isinstance(regions, list)
        if len(regions) == 1:
            console.print(f"[yellow]{regions[0]}[/]: {group['message']}", highlight=False)
        else:
            console.print(
                f"[yellow]{len(regions)} regions[/] ({', '.join(regions)}): {group['message']}",
                highlight=False,
            )


def dosimetry_table(
    tac_csv: Path = typer.Argument(..., help="CSV with columns region,time_h,activity_mbq."),
    masses: Path = typer.Option(..., "--masses", help="CSV with columns region,mass_g."),
    nuclide: str = typer.Option("Lu-177", "--nuclide", help="Administered nuclide."),
    administered_mbq: float | None = typer.Option(
        None, "--administered-mbq", "--activity-mbq", help="Administered activity (MBq)."
    ),
    method: str = typer.Option("auto", "--method", help=f"Ã method: {', '.join(METHODS)}."),
    phantom: str = typer.Option("adult_male", "--phantom", help="adult_male or adult_female."),
    alpha_beta_gy: float = typer.Option(2.6, "--alpha-beta-gy", help="Default alpha/beta (Gy)."),
    repair_half_time_h: float = typer.Option(
        2.8, "--repair-half-time-h", help="Default repair half-time (h)."
    ),
    radiobiology: Path | None = typer.Option(
        None, "--radiobiology", help="CSV region,alpha_beta_gy,repair_half_time_h overrides."
    ),
    rbe_alpha: float = typer.Option(5.0, "--rbe-alpha", help="RBE of alpha particles."),
    release: list[str] = typer.Option(
        [], "--release", help="Daughter released from the region, e.g. Bi-213=0.3."
    ),
    population_half_life_h: list[str] = typer.Option(
        [],
        "--population-half-life-h",
        help="Population effective half-life (h) for single-time-point Madsen: 67, or "
        "REGION=HOURS per region.",
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write the time-activity curves with their fits (PNG, SVG or PDF)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Fit time-activity curves from a table and compute Ã, absorbed dose and BED."""
    with handle_errors():
        if plot is not None:
            output_file(plot, option="--plot")
        if phantom not in ("adult_male", "adult_female"):
            raise ParameterError(
                f"unknown phantom {phantom!r}", field="phantom", hint="adult_male or adult_female"
            )
        tacs = read_tac_table(tac_csv, nuclide=nuclide)
        mass_table = read_mass_table(masses)
        missing = [t.region for t in tacs if t.region not in mass_table]
        if missing:
            raise TableError(
                f"no mass for region(s) {', '.join(repr(m) for m in missing)}",
                file=masses,
                field="region",
                hint="add a row region,mass_g for every region of the time-activity table",
            )
        results = regions_dose(
            tacs,
            mass_table,
            administered_activity_mbq=administered_mbq,
            radiobiology=_read_radiobiology(radiobiology) if radiobiology else None,
            default_radiobiology=Radiobiology(alpha_beta_gy, repair_half_time_h),
            method=method,
            phantom="adult_female" if phantom == "adult_female" else "adult_male",
            rbe_alpha=rbe_alpha,
            released=_parse_release(release),
            population_half_life_h=_parse_population(population_half_life_h),
        )
        if plot is not None:
            from theratrial.report.dosimetry_plots import save_figure, tac_figure

            save_figure(tac_figure(tacs, [r.tia for r in results]), plot)
        if json_out:
            records = []
            for r, tac in zip(results, tacs, strict=True):
                record = r.as_record()
                record["times_h"] = list(tac.times_h)
                record["activity_mbq"] = list(tac.activity_mbq)
                records.append(record)
            print_json(records)
        else:
            _print_table(results)
            if plot is not None:
                console.print(f"figure: {plot}", highlight=False)


def _patient_payload(result: PatientDosimetry) -> dict[str, object]:
    recovery = {r.region: r.as_record() for r in result.recovery}
    cycles = []
    for cycle in result.cycles:
        voxel = {v.region: v for v in cycle.voxel}
        residue = dict(cycle.residue_fraction)
        regions = []
        for dose, tac in zip(cycle.regions, cycle.tacs, strict=True):
            record = dose.as_record()
            record["activity_mbq"] = list(tac.activity_mbq)
            record["residue_fraction"] = residue.get(dose.region)
            v = voxel.get(dose.region)
            record["voxel_dose_gy"] = (
                {"local_deposition": v.local_deposition_gy, "kernel": v.kernel_gy} if v else None
            )
            record["partial_volume"] = recovery.get(dose.region)
            regions.append(record)
        cycles.append(
            {
                "cycle": cycle.cycle,
                "injection_datetime": cycle.injection_datetime,
                "administered_activity_mbq": cycle.administered_activity_mbq,
                "times_h": list(cycle.times_h),
                "regions": regions,
                "warnings": list(cycle.warnings),
                "warning_summary": _warning_groups(cycle.regions),
            }
        )
    return {
        "patient_dir": result.root,
        "nuclide": result.nuclide,
        "masses": list(result.masses),
        "cycles": cycles,
        "cumulative": list(result.cumulative()),
        "warnings": list(result.warnings),
    }


def dosimetry(
    patient_dir: Path = typer.Argument(..., help="Folder of SPECT time points, masks and CT."),
    nuclide: str = typer.Option("Lu-177", "--nuclide", help="Administered nuclide."),
    masks: Path | None = typer.Option(None, "--masks", help="Mask file or folder."),
    ct: Path | None = typer.Option(None, "--ct", help="CT series folder (densities)."),
    method: str = typer.Option("auto", "--method", help=f"Ã method: {', '.join(METHODS)}."),
    voxel: bool = typer.Option(False, "--voxel", help="Also compute voxel dose maps."),
    margin_mm: float = typer.Option(
        0.0, "--activity-margin-mm", help="Grow regions by this margin to sum activity."
    ),
    s_values: str = typer.Option("auto", "--s-values", help="auto (organ/sphere) or local."),
    calibration: float | None = typer.Option(
        None, "--calibration-cps-per-mbq", help="Camera sensitivity for SPECT in counts."
    ),
    pvc: str = typer.Option(
        "none", "--pvc", help=f"Partial-volume correction: {' or '.join(PVC_METHODS)}."
    ),
    resolution_mm: float | None = typer.Option(
        None, "--resolution-mm", help="SPECT resolution (FWHM, mm): sphere recovery curve."
    ),
    recovery_csv: Path | None = typer.Option(
        None, "--recovery-csv", help="Measured recovery curve: CSV volume_ml,recovery."
    ),
    phantom: str = typer.Option("adult_male", "--phantom", help="adult_male or adult_female."),
    alpha_beta_gy: float = typer.Option(2.6, "--alpha-beta-gy", help="alpha/beta (Gy)."),
    repair_half_time_h: float = typer.Option(
        2.8, "--repair-half-time-h", help="Repair half-time (h)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Processes that fit the regions (default: every CPU; 1: this process only).",
    ),
    device: str = typer.Option(
        "auto", "--device", help="Voxel-dose FFTs: cpu, gpu (CuPy + CUDA) or auto (GPU if present)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Dosimetry of every cycle imaged in a patient folder (SPECT time points + masks)."""
    with handle_errors():
        where = resolve_device(device, field="--device")  # gpu without CuPy/CUDA: exit 2
        if phantom not in ("adult_male", "adult_female"):
            raise ParameterError(
                f"unknown phantom {phantom!r}", field="phantom", hint="adult_male or adult_female"
            )
        curve = (
            None if recovery_csv is None
            else read_recovery_csv(recovery_csv, resolution_mm=resolution_mm)
        )  # fmt: skip

        def run(progress: Callable[[int, int], None] | None = None) -> PatientDosimetry:
            return patient_dosimetry(
                patient_dir,
                nuclide=nuclide,
                masks=masks,
                ct=ct,
                method=method,
                voxel=voxel,
                activity_margin_mm=margin_mm,
                s_values=s_values,
                calibration_cps_per_mbq=calibration,
                pvc=pvc,
                resolution_mm=resolution_mm,
                recovery=curve,
                workers=workers,
                device=where,
                phantom="adult_female" if phantom == "adult_female" else "adult_male",
                default_radiobiology=Radiobiology(alpha_beta_gy, repair_half_time_h),
                progress=progress,
            )

        if json_out:
            print_json(_patient_payload(run()))
            return
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("reading SPECT series", total=None)
            result = run(lambda done, total: bar.update(task, completed=done, total=total))
        for cycle in result.cycles:
            console.print(
                f"[bold]cycle {cycle.cycle}[/] {cycle.injection_datetime:%Y-%m-%d}, "
                f"{_fmt(cycle.administered_activity_mbq, 4)} MBq, times "
                + ", ".join(f"{t:g}" for t in cycle.times_h) + " h"
            )  # fmt: skip
            _print_table(cycle.regions)
        for warning in result.warnings:
            console.print(f"[yellow]warning[/]: {warning}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``dosimetry-table`` and ``dosimetry`` (patient folders) to the app."""
    app.command("dosimetry-table")(dosimetry_table)
    app.command("dosimetry")(dosimetry)
