"""Read time-activity and mass tables (CSV) into validated curves and masses.

TAC table: one row per region and time point, columns ``region``, a time column and an
activity column whose name carries the unit:

- time: ``time_h`` (hours; also ``time_hr``, ``time_hours``), ``time_min``, ``time_d``;
- activity: ``activity_mbq``, ``activity_kbq``, ``activity_bq``, ``activity_gbq``,
  ``activity_mci``, ``activity_uci``.

Rows of different regions may interleave; within a region, times must increase down the
table. Activities above 1e5 MBq (100 GBq, :data:`~theratrial.dosimetry.tac.MAX_ACTIVITY_MBQ`)
and times beyond 100 half-lives of the nuclide are refused. Mass table: ``region`` and
``mass_g`` (or ``mass_kg``). Every problem raises
:class:`~theratrial.errors.TableError` or :class:`~theratrial.errors.UnitError` naming the
file, the line and the column.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> text = "region,time_h,activity_kbq\\nliver,4,2000\\nliver,24,1500\\n"
>>> _ = (folder / "tac.csv").write_text(text)
>>> [(c.region, c.activity_mbq) for c in read_tac_table(folder / "tac.csv")]
[('liver', (2.0, 1.5))]
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from theratrial.dosimetry.tac import (
    MAX_ACTIVITY_MBQ,
    MAX_HALF_LIVES,
    TimeActivityCurve,
    time_activity_curve,
)
from theratrial.errors import ParameterError, TableError, UnitError
from theratrial.nuclides import nuclide as _nuclide

__all__ = ["ACTIVITY_UNITS_MBQ", "TIME_UNITS_H", "read_mass_table", "read_tac_table"]

ACTIVITY_UNITS_MBQ: dict[str, float] = {
    "mbq": 1.0,
    "kbq": 1e-3,
    "bq": 1e-6,
    "gbq": 1e3,
    "mci": 37.0,
    "uci": 0.037,
}
"""MBq per unit, for the ``activity_<unit>`` column."""

TIME_UNITS_H: dict[str, float] = {
    "h": 1.0,
    "hr": 1.0,
    "hours": 1.0,
    "min": 1.0 / 60.0,
    "minutes": 1.0 / 60.0,
    "d": 24.0,
    "days": 24.0,
}
"""Hours per unit, for the ``time_<unit>`` column."""


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise TableError("the file is empty", file=path, hint="add a header row") from None
        names = [h.strip().lower() for h in header]
        rows = []
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise TableError(
                    f"{len(values)} values for {len(names)} columns", file=path, line=line
                )
            rows.append((line, dict(zip(names, (v.strip() for v in values), strict=True))))
    return names, rows


def _unit_column(
    path: Path, names: list[str], prefix: str, units: dict[str, float], example: str
) -> tuple[str, float]:
    found = [n for n in names if n.startswith(prefix + "_") or n == prefix]
    if not found:
        raise TableError(
            f"no {prefix} column", file=path, field=prefix, hint=f"add a column such as {example}"
        )
    if len(found) > 1:
        raise TableError(f"several {prefix} columns: {', '.join(found)}", file=path, field=prefix)
    column = found[0]
    unit = column[len(prefix) + 1 :]
    if unit not in units:
        raise UnitError(
            f"unknown unit {unit or '(none)'!r} in column {column!r}",
            file=path,
            field=column,
            hint=f"name the column {prefix}_<unit> with unit one of {', '.join(units)}",
        )
    return column, units[unit]


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TableError(f"{text!r} is not a number", file=path, field=column, line=line) from None
    if not math.isfinite(value):
        raise TableError(f"{text!r} is not a finite number", file=path, field=column, line=line)
    return value


def read_tac_table(path: str | Path, *, nuclide: str = "Lu-177") -> tuple[TimeActivityCurve, ...]:
    """Read a TAC table into one validated curve per region, in order of appearance.

    Raises
    ------
    TableError
        Missing column, non-numeric value, negative, unsorted or too late time, negative
        or implausibly large activity (above 1e5 MBq).
    UnitError
        An activity or time column with an unknown unit.
    """
    path = Path(path)
    names, rows = _rows(path)
    if "region" not in names:
        raise TableError("no region column", file=path, field="region")
    time_col, to_h = _unit_column(path, names, "time", TIME_UNITS_H, "time_h")
    act_col, to_mbq = _unit_column(path, names, "activity", ACTIVITY_UNITS_MBQ, "activity_mbq")
    found = _nuclide(nuclide)
    latest_h = MAX_HALF_LIVES * found.half_life_h
    points: dict[str, list[tuple[int, float, float]]] = {}
    for line, row in rows:
        region = row["region"]
        if not region:
            raise TableError("empty region name", file=path, field="region", line=line)
        t = _number(path, line, time_col, row[time_col]) * to_h
        a = _number(path, line, act_col, row[act_col]) * to_mbq
        if t < 0:
            raise TableError(
                f"negative time {row[time_col]}", file=path, field=time_col, line=line,
                hint="times are measured from the start of the administration",
            )  # fmt: skip
        if a < 0:
            raise TableError(
                f"negative activity {row[act_col]}", file=path, field=act_col, line=line
            )
        if a > MAX_ACTIVITY_MBQ:
            raise TableError(
                f"activity {row[act_col]} ({a:.3g} MBq) is above {MAX_ACTIVITY_MBQ:g} MBq "
                "(100 GBq), more than any patient administration",
                file=path, field=act_col, line=line,
                hint="check the unit in the column name (activity_bq, activity_kbq, ...)",
            )  # fmt: skip
        if t > latest_h:
            raise TableError(
                f"time {row[time_col]} ({t:.4g} h) is more than {MAX_HALF_LIVES:g} half-lives "
                f"of {found.name} ({latest_h:.4g} h) after administration",
                file=path, field=time_col, line=line,
                hint="check the unit in the column name (time_h, time_min, time_d)",
            )  # fmt: skip
        previous = points.setdefault(region, [])
        if previous and t <= previous[-1][1]:
            raise TableError(
                f"time {row[time_col]} of region {region!r} is not after the previous one "
                f"(line {previous[-1][0]})",
                file=path, field=time_col, line=line,
                hint="list each region's time points once, in increasing order",
            )  # fmt: skip
        previous.append((line, t, a))
    if not points:
        raise TableError("no data rows", file=path)
    curves = []
    for region, pts in points.items():
        try:
            curves.append(
                time_activity_curve(
                    [p[1] for p in pts], [p[2] for p in pts], region=region, nuclide=nuclide
                )
            )
        except ParameterError as exc:
            raise TableError(exc.message, file=path, field=exc.field, line=pts[0][0]) from exc
    return tuple(curves)


def read_mass_table(path: str | Path) -> dict[str, float]:
    """Read a mass table into ``{region: mass_g}``.

    Raises
    ------
    TableError
        Missing column, duplicate region, non-numeric or non-positive mass.
    UnitError
        A mass column with an unknown unit.
    """
    path = Path(path)
    names, rows = _rows(path)
    if "region" not in names:
        raise TableError("no region column", file=path, field="region")
    column, to_g = _unit_column(path, names, "mass", {"g": 1.0, "kg": 1000.0}, "mass_g")
    masses: dict[str, float] = {}
    for line, row in rows:
        region = row["region"]
        if not region:
            raise TableError("empty region name", file=path, field="region", line=line)
        if region in masses:
            raise TableError(
                f"region {region!r} listed twice", file=path, field="region", line=line
            )
        mass = _number(path, line, column, row[column]) * to_g
        if not mass > 0:
            raise TableError(
                f"mass must be positive, got {row[column]}", file=path, field=column, line=line
            )
        masses[region] = mass
    return masses
