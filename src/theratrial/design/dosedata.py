"""Accrued dose-limiting-toxicity (DLT) data of a dose-finding trial, per dose level.

Every design in :mod:`theratrial.design` reads the same thing: for each dose level
(in increasing order of dose), the number of patients evaluable for DLT ``n`` and the
number of those with a DLT ``dlt``. The dose levels are plain numbers in the unit the
protocol uses (for [225Ac]Ac-DOTATATE, kBq/kg body weight).

Reference: Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials.
J R Stat Soc C 2015;64:507-523 (notation ``n_j``, ``y_j`` per dose level ``j``).
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from theratrial.design._checks import check_count
from theratrial.errors import ParameterError, TableError

__all__ = ["DoseData", "DoseFile", "read_dose_data", "read_dose_file"]


@dataclass(frozen=True, slots=True)
class DoseData:
    """Patients treated and DLTs observed at each dose level.

    Parameters
    ----------
    levels
        Dose levels in strictly increasing order (protocol unit, e.g. kBq/kg).
    n
        Patients evaluable for DLT at each level (>= 0).
    dlt
        Patients with a DLT at each level (0 <= dlt <= n).

    Raises
    ------
    ParameterError
        Lengths differ, levels not increasing, a count negative or DLTs above patients.

    Examples
    --------
    >>> data = DoseData((60.0, 90.0, 120.0), n=(0, 3, 6), dlt=(0, 0, 2))
    >>> data.total_n, data.index_of(90)
    (9, 1)
    >>> data.observed_rates()
    (None, 0.0, 0.3333333333333333)
    """

    levels: tuple[float, ...]
    n: tuple[int, ...]
    dlt: tuple[int, ...]

    def __post_init__(self) -> None:
        levels = tuple(float(v) for v in self.levels)
        if not levels:
            raise ParameterError(
                "no dose levels given", field="levels", hint="give at least one dose level"
            )
        if any(not math.isfinite(v) for v in levels):
            raise ParameterError(f"dose levels {levels} are not all finite numbers", field="levels")
        if any(b <= a for a, b in itertools.pairwise(levels)):
            raise ParameterError(
                f"dose levels {levels} are not strictly increasing",
                field="levels",
                hint="list each dose level once, from the lowest to the highest dose",
            )
        if len(self.n) != len(levels) or len(self.dlt) != len(levels):
            raise ParameterError(
                f"{len(levels)} dose levels but {len(self.n)} patient counts and "
                f"{len(self.dlt)} DLT counts",
                field="n",
                hint="give one patient count and one DLT count per dose level",
            )
        n = tuple(check_count(v, field=f"n[{i}]") for i, v in enumerate(self.n))
        dlt = tuple(check_count(v, field=f"dlt[{i}]") for i, v in enumerate(self.dlt))
        for i, (ni, yi) in enumerate(zip(n, dlt, strict=True)):
            if yi > ni:
                raise ParameterError(
                    f"{yi} DLTs among {ni} patients at level {levels[i]:g}",
                    field=f"dlt[{i}]",
                    hint="the DLT count cannot exceed the number of patients",
                )
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "dlt", dlt)

    @classmethod
    def empty(cls, levels: Sequence[float]) -> DoseData:
        """Data of a trial that has treated nobody yet.

        Examples
        --------
        >>> DoseData.empty([90, 120]).n
        (0, 0)
        """
        return cls(tuple(levels), n=(0,) * len(levels), dlt=(0,) * len(levels))

    @property
    def n_levels(self) -> int:
        """Number of dose levels."""
        return len(self.levels)

    @property
    def total_n(self) -> int:
        """Patients treated at all levels together."""
        return sum(self.n)

    @property
    def total_dlt(self) -> int:
        """DLTs at all levels together."""
        return sum(self.dlt)

    def n_array(self) -> NDArray[np.int64]:
        """Patients per level as an integer array."""
        return np.asarray(self.n, dtype=np.int64)

    def dlt_array(self) -> NDArray[np.int64]:
        """DLTs per level as an integer array."""
        return np.asarray(self.dlt, dtype=np.int64)

    def observed_rates(self) -> tuple[float | None, ...]:
        """Observed DLT rate ``dlt / n`` per level (``None`` where nobody was treated)."""
        return tuple((y / m if m > 0 else None) for m, y in zip(self.n, self.dlt, strict=True))

    def index_of(self, level: float, *, field: str = "level") -> int:
        """0-based index of a dose level given by its value (relative tolerance 1e-9)."""
        for i, value in enumerate(self.levels):
            if math.isclose(value, float(level), rel_tol=1e-9, abs_tol=1e-12):
                return i
        known = ", ".join(f"{v:g}" for v in self.levels)
        raise ParameterError(
            f"{level:g} is not one of the dose levels ({known})",
            field=field,
            hint=f"use one of {known}",
        )

    def with_cohort(self, index: int, n: int, dlt: int) -> DoseData:
        """Return new data with a cohort of ``n`` patients and ``dlt`` DLTs added at ``index``.

        Examples
        --------
        >>> DoseData.empty([90, 120]).with_cohort(1, 3, 1).dlt
        (0, 1)
        """
        new_n = list(self.n)
        new_y = list(self.dlt)
        new_n[index] += n
        new_y[index] += dlt
        return DoseData(self.levels, n=tuple(new_n), dlt=tuple(new_y))


def _read_counts(path: Path) -> tuple[dict[float, tuple[int, int]], dict[float, list[int]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
        for column in ("level", "n", "dlt"):
            if column not in header:
                raise TableError(
                    f"missing column '{column}'",
                    file=path,
                    field=column,
                    hint="the file needs the header level,n,dlt",
                )
        counts: dict[float, tuple[int, int]] = {}
        lines: dict[float, list[int]] = {}
        for line, row in enumerate(reader, start=2):
            values: dict[str, float] = {}
            for column in ("level", "n", "dlt"):
                raw = (row.get(header[column]) or "").strip()
                try:
                    values[column] = float(raw)
                except ValueError:
                    raise TableError(
                        f"{raw!r} is not a number", file=path, line=line, field=column
                    ) from None
            for column in ("n", "dlt"):
                value = values[column]
                if not math.isfinite(value) or value < 0 or not value.is_integer():
                    raise TableError(
                        f"{value:g} is not a count",
                        file=path,
                        line=line,
                        field=column,
                        hint="counts are whole numbers >= 0",
                    )
            n, dlt = int(values["n"]), int(values["dlt"])
            if dlt > n:
                raise TableError(
                    f"{dlt} DLTs among {n} patients",
                    file=path,
                    line=line,
                    field="dlt",
                    hint="the DLT count cannot exceed the number of patients",
                )
            old = counts.get(values["level"], (0, 0))
            counts[values["level"]] = (old[0] + n, old[1] + dlt)
            lines.setdefault(values["level"], []).append(line)
    return counts, lines


@dataclass(frozen=True, slots=True)
class DoseFile:
    """Per-level counts read from a file, and the levels listed on more than one row.

    Attributes
    ----------
    data
        The counts, rows of one level added.
    repeated
        ``(level, rows)`` for every level given on several rows (1-based file rows,
        header = row 1): their counts were added, one row per cohort.
    """

    data: DoseData
    repeated: tuple[tuple[float, tuple[int, ...]], ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """One sentence per repeated level, for the user to check."""
        return tuple(
            f"level {level:g} is on rows {', '.join(map(str, rows))}: their counts were "
            "added (one row per cohort); check that no row is a duplicate"
            for level, rows in self.repeated
        )


def read_dose_data(path: str | Path, *, levels: Sequence[float] | None = None) -> DoseData:
    """Read per-level counts from a CSV file with the columns ``level,n,dlt``.

    Rows of the same level are added (a file may list one row per cohort; use
    :func:`read_dose_file` to learn which levels were repeated). Levels absent from the file
    have no patients.

    Parameters
    ----------
    path
        CSV file; header ``level,n,dlt`` (any case, other columns ignored).
    levels
        All dose levels of the trial; default the levels in the file.

    Raises
    ------
    TableError
        A missing column, a value that is not a count (row and column named), more DLTs
        than patients, or a level not among ``levels``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     csv_file = Path(tmp) / "DLT.csv"
    ...     _ = csv_file.write_text("level,n,dlt\\n120,3,1\\n120,3,0\\n")
    ...     read_dose_data(csv_file, levels=[60, 90, 120])
    DoseData(levels=(60.0, 90.0, 120.0), n=(0, 0, 6), dlt=(0, 0, 1))
    """
    return read_dose_file(path, levels=levels).data


def read_dose_file(path: str | Path, *, levels: Sequence[float] | None = None) -> DoseFile:
    """:func:`read_dose_data`, also saying which levels were listed on several rows.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     csv_file = Path(tmp) / "DLT.csv"
    ...     _ = csv_file.write_text("level,n,dlt\\n90,3,0\\n120,3,1\\n120,3,1\\n")
    ...     read_dose_file(csv_file).repeated
    ((120.0, (3, 4)),)
    """
    path = Path(path)
    counts, lines = _read_counts(path)
    if levels is None and not counts:
        raise TableError(
            "no rows", file=path, hint="add one row per dose level, or give the levels"
        )
    data = DoseData.empty(sorted(counts) if levels is None else levels)
    n = [0] * data.n_levels
    y = [0] * data.n_levels
    for level, (m, k) in counts.items():
        try:
            i = data.index_of(level)
        except ParameterError:
            known = ", ".join(f"{v:g}" for v in data.levels)
            raise TableError(
                f"level {level:g} is not one of the dose levels ({known})",
                file=path,
                field="level",
                hint="use the dose levels of the trial (--levels)",
            ) from None
        n[i], y[i] = m, k
    repeated = tuple((lv, tuple(rows)) for lv, rows in sorted(lines.items()) if len(rows) > 1)
    return DoseFile(DoseData(data.levels, n=tuple(n), dlt=tuple(y)), repeated)
