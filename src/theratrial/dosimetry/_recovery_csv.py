"""Measured recovery curves as input: the CSV file and the checks on its pairs.

A measured curve is a list of (sphere volume in mL, recovery) pairs from the user's own
sphere-phantom acquisitions (NEMA NU 2 / IEC 61675-1 body phantom, six spheres of 0.5 to
26.5 mL) and reconstruction. :func:`read_pairs` reads them from a CSV file with columns
``volume_ml`` and ``recovery`` (any order of rows, a UTF-8 byte-order mark allowed);
:func:`checked_pairs` checks them (at least two, volumes positive and strictly increasing,
recoveries in (0, 2]). :func:`theratrial.dosimetry.recovery.read_recovery_csv` and
:func:`theratrial.dosimetry.recovery.recovery_curve` build the curve from them.

Examples
--------
>>> checked_pairs([0.5, 2.6], [0.3, 0.52])
((0.5, 2.6), (0.3, 0.52))
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

from theratrial.errors import ParameterError, TableError

__all__ = ["COLUMNS", "checked_pairs", "read_pairs"]

COLUMNS = ("volume_ml", "recovery")
"""The two columns of a recovery-curve CSV file."""


def checked_pairs(
    volumes_ml: Sequence[float], recoveries: Sequence[float]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The pairs as floats, checked.

    Raises
    ------
    ParameterError
        Fewer than two pairs, unequal lengths, volumes not positive and strictly
        increasing, recoveries outside (0, 2].
    """
    v = tuple(float(x) for x in volumes_ml)
    r = tuple(float(x) for x in recoveries)
    if len(v) != len(r) or len(v) < 2:
        raise ParameterError(
            f"a recovery curve needs at least two (volume, recovery) pairs, got {len(v)} "
            f"volumes and {len(r)} recoveries",
            field="recovery",
        )
    if not all(math.isfinite(x) and x > 0 for x in v) or any(
        b <= a for a, b in itertools.pairwise(v)
    ):
        raise ParameterError(
            "sphere volumes must be positive and strictly increasing", field="volume_ml",
            hint="list each sphere once, smallest first",
        )  # fmt: skip
    if not all(math.isfinite(x) and 0 < x <= 2 for x in r):
        raise ParameterError(
            "recoveries must lie in (0, 2] (measured / true activity)", field="recovery"
        )
    return v, r


def read_pairs(path: Path) -> tuple[list[float], list[float]]:
    """Volumes (mL) and recoveries of a CSV file, sorted by volume.

    Raises
    ------
    TableError
        Unreadable file, missing column or non-numeric value (file, field and line named).
    """
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise TableError(f"cannot read the recovery curve ({exc.strerror})", file=path) from exc
    pairs: list[tuple[float, float, int]] = []
    with handle:
        reader = csv.DictReader(handle)
        names = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
        for column in COLUMNS:
            if column not in names:
                raise TableError(
                    f"no {column} column", file=path, field=column,
                    hint="columns volume_ml (sphere volume) and recovery (measured / true)",
                )  # fmt: skip
        for line, row in enumerate(reader, start=2):
            values = []
            for column in COLUMNS:
                text = (row.get(names[column]) or "").strip()
                try:
                    values.append(float(text))
                except ValueError:
                    raise TableError(
                        f"{text!r} is not a number", file=path, field=column, line=line
                    ) from None
            pairs.append((values[0], values[1], line))
    pairs.sort()
    return [p[0] for p in pairs], [p[1] for p in pairs]
