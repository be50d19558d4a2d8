"""``theratrial dosimetry-table`` and ``theratrial dosimetry``: Ã, absorbed dose and BED.

``dosimetry-table TAC.csv --nuclide Lu-177 --masses MASSES.csv --json`` prints a JSON list
with one object per region::

    {"region", "nuclide", "model", "parameters", "parameter_se", "aicc", "fallback",
     "effective_half_life_h", "tia_mbq_h", "tia_se_mbq_h", "mass_g",
     "s_value_mgy_per_mbq_h", "s_value_method", "s_value_source", "dose_gy",
     "dose_gy_per_gbq", "bed_gy", "eqd2_gy", "alpha_beta_gy", "repair_half_time_h",
     "warnings"}

plus ``alpha_dose_gy``, ``electron_dose_gy``, ``rbe_alpha`` and ``rbe_weighted_dose_gy``
for alpha emitters (Ac-225, chain in situ).
"""

from __future__ import annotations

import csv
from pathlib import Path

import typer
from rich.table import Table

from theratrial.cli._common import console, handle_errors, print_json
from theratrial.dosimetry.dose import RegionDose, regions_dose
from theratrial.dosimetry.radiobiology import Radiobiology
from theratrial.dosimetry.table import read_mass_table, read_tac_table
from theratrial.dosimetry.tia import METHODS
from theratrial.errors import ParameterError, TableError

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


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


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
    console.print(table)
    for r in results:
        for warning in r.warnings:
            console.print(f"[yellow]{r.region}[/]: {warning}", highlight=False)


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
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Fit time-activity curves from a table and compute Ã, absorbed dose and BED."""
    with handle_errors():
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
        )
        if json_out:
            print_json([r.as_record() for r in results])
        else:
            _print_table(results)


def register(app: typer.Typer) -> None:
    """Add ``dosimetry-table`` (and ``dosimetry`` for patient folders) to the app."""
    app.command("dosimetry-table")(dosimetry_table)
