"""The dosimetry JSON that ``theratrial cycle record --dosimetry`` stores (private).

``theratrial dosimetry-table --json`` prints a list of per-region records, each with its
own ``times_h`` and ``activity_mbq``; ``theratrial dosimetry PATIENT_DIR --json`` prints an
object whose ``cycles`` each hold ``times_h`` (the scan times) and ``regions``. Both are
read here and checked before anything is stored: every number the store keeps must be
finite and non-negative (masses, half-lives and alpha/beta positive), with the file and
the record's field (``[i].key``) named on error.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from theratrial.errors import TableError

__all__ = ["read_dosimetry", "tac_points"]


def read_dosimetry(path: Path, *, cycle: int) -> tuple[list[dict[str, Any]], list[float]]:
    """Per-region results from ``dosimetry-table --json`` (a list) or ``dosimetry --json``
    (an object with ``cycles``: the entry of this cycle is taken, with its scan times)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TableError(
            f"invalid JSON at column {exc.colno}: {exc.msg}",
            file=path,
            line=exc.lineno,
            hint="pass the JSON printed by `theratrial dosimetry ... --json`",
        ) from None
    times_h: list[float] = []
    if isinstance(data, dict) and "cycles" in data:
        match = [c for c in data["cycles"] if c.get("cycle") == cycle]
        if not match:
            raise TableError(
                f"no cycle {cycle} in the dosimetry results",
                file=path,
                field="cycles",
                hint="record the cycle whose dosimetry this file holds",
            )
        times_h = [float(t) for t in match[0].get("times_h", [])]
        data = match[0].get("regions", [])
    rows = data.get("regions", data) if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "region" in r for r in rows):
        raise TableError(
            "expected a list of per-region results with a 'region' key",
            file=path,
            hint="pass the JSON printed by `theratrial dosimetry ... --json`",
        )
    for i, r in enumerate(rows):
        if r.get("dose_gy") is None:
            raise TableError(
                f"region {r['region']!r} has no dose_gy", file=path, field=f"[{i}].dose_gy"
            )
        for key, positive in _NUMBERS.items():
            value = r.get(key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
                or (positive and value == 0)
            ):
                raise TableError(
                    f"region {r['region']!r}: {key} must be a "
                    f"{'positive' if positive else 'non-negative'} number, got {value!r}",
                    file=path,
                    field=f"[{i}].{key}",
                    hint="pass the JSON printed by `theratrial dosimetry ... --json`",
                )
        for key in ("times_h", "activity_mbq"):
            series = r.get(key)
            if series is None:
                continue
            if not isinstance(series, list) or not all(
                isinstance(v, int | float)
                and not isinstance(v, bool)
                and math.isfinite(v)
                and v >= 0
                for v in series
            ):
                raise TableError(
                    f"region {r['region']!r}: {key} must be a list of non-negative numbers",
                    file=path,
                    field=f"[{i}].{key}",
                    hint="pass the JSON printed by `theratrial dosimetry ... --json`",
                )
    return rows, times_h


_NUMBERS: dict[str, bool] = {
    "dose_gy": False,
    "tia_mbq_h": False,
    "mass_g": True,
    "rbe_weighted_dose_gy": False,
    "bed_gy": False,
    "eqd2_gy": False,
    "alpha_beta_gy": True,
    "repair_half_time_h": True,
    "effective_half_life_h": True,
    "s_value_mgy_per_mbq_h": False,
}
"""Numeric entries of a region's dosimetry record the store keeps (True: must be > 0)."""


def tac_points(rows: list[dict[str, Any]], times_h: list[float]) -> list[tuple[str, float, float]]:
    """(region, time_h, activity_mbq) points: per-region times (``dosimetry-table``) or the
    cycle's scan times (``dosimetry PATIENT_DIR``); a region whose series do not pair up is
    left out.

    Examples
    --------
    >>> rows = [{"region": "kidneys", "activity_mbq": [60, 25]},
    ...         {"region": "spleen", "times_h": [24], "activity_mbq": [30]}]
    >>> tac_points(rows, [4.0, 96.0])
    [('kidneys', 4.0, 60.0), ('kidneys', 96.0, 25.0), ('spleen', 24.0, 30.0)]
    """
    points: list[tuple[str, float, float]] = []
    for r in rows:
        activities = r.get("activity_mbq")
        own = r.get("times_h")
        times = own if isinstance(own, list) else times_h
        if isinstance(activities, list) and len(activities) == len(times):
            points.extend(
                (str(r["region"]), float(t), float(a))
                for t, a in zip(times, activities, strict=True)
            )
    return points
