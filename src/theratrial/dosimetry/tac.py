"""Time-activity curves: activity of one region measured at several times after injection.

Activities are as measured (not decay-corrected), in MBq, at times in hours after the
start of the administration. Times must be non-negative, strictly increasing and within
``MAX_HALF_LIVES`` (100) physical half-lives of the nuclide (beyond that nothing is left
to measure: 2^-100); activities finite, non-negative and at most ``MAX_ACTIVITY_MBQ``
(1e5 MBq = 100 GBq, above any patient administration: the largest, high-dose
131I-MIBG at about 0.67 GBq/kg, stay below about 50 GBq). Violations raise
:class:`~theratrial.errors.ParameterError` naming the region and the point, so a bad
table row is easy to find.

Examples
--------
>>> tac = time_activity_curve([4.0, 24.0, 96.0], [50.0, 40.0, 20.0], region="kidney_left")
>>> tac.n_points, tac.peak_index
(3, 0)
>>> round(tac.physical_decay_per_h, 6)
0.004345
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide as _nuclide

__all__ = ["MAX_ACTIVITY_MBQ", "MAX_HALF_LIVES", "TimeActivityCurve", "time_activity_curve"]

MAX_ACTIVITY_MBQ = 1.0e5
"""Largest region activity accepted (MBq): 100 GBq."""

MAX_HALF_LIVES = 100.0
"""Latest time accepted, in physical half-lives of the nuclide."""


@dataclass(frozen=True, slots=True)
class TimeActivityCurve:
    """Activity of one region over time.

    Attributes
    ----------
    region
        Region name (organ or lesion).
    times_h
        Times after administration (h), strictly increasing.
    activity_mbq
        Measured activity at each time (MBq), not decay-corrected.
    nuclide
        Canonical nuclide name.
    """

    region: str
    times_h: tuple[float, ...]
    activity_mbq: tuple[float, ...]
    nuclide: str

    @property
    def t(self) -> NDArray[np.float64]:
        """Times as an array (h)."""
        return np.asarray(self.times_h, dtype=np.float64)

    @property
    def a(self) -> NDArray[np.float64]:
        """Activities as an array (MBq)."""
        return np.asarray(self.activity_mbq, dtype=np.float64)

    @property
    def n_points(self) -> int:
        """Number of time points."""
        return len(self.times_h)

    @property
    def peak_index(self) -> int:
        """Index of the highest activity (first one on ties)."""
        return int(np.argmax(self.a))

    @property
    def physical_decay_per_h(self) -> float:
        """Physical decay constant of the nuclide (per h)."""
        return math.log(2.0) / _nuclide(self.nuclide).half_life_h

    def is_decaying(self, *, tolerance: float = 1e-9) -> bool:
        """True when the last activity lies below the highest earlier one (washout seen).

        Examples
        --------
        >>> time_activity_curve([1.0, 2.0], [5.0, 6.0]).is_decaying()
        False
        """
        a = self.a
        return bool(a.size >= 2 and a[-1] < float(np.max(a[:-1])) * (1.0 - tolerance))


def time_activity_curve(
    times_h: ArrayLike | Sequence[float],
    activity_mbq: ArrayLike | Sequence[float],
    *,
    region: str = "region",
    nuclide: str = "Lu-177",
) -> TimeActivityCurve:
    """Build and validate a time-activity curve.

    Raises
    ------
    ParameterError
        For mismatched lengths, no points, NaN, negative, non-increasing or too late
        times, or negative or implausibly large activities.
    NuclideError
        For an unknown nuclide.
    """
    t = np.asarray(times_h, dtype=np.float64).ravel()
    a = np.asarray(activity_mbq, dtype=np.float64).ravel()
    where = f"region {region!r}"
    if t.size == 0:
        raise ParameterError(f"{where}: no time points", field="times_h")
    if t.size != a.size:
        raise ParameterError(
            f"{where}: {t.size} times but {a.size} activities", field="activity_mbq"
        )
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(a))):
        raise ParameterError(f"{where}: times and activities must be finite", field="times_h")
    if np.any(t < 0):
        i = int(np.argmax(t < 0))
        raise ParameterError(
            f"{where}: negative time {t[i]} h at point {i + 1}",
            field="times_h",
            hint="times are hours after the start of the administration",
        )
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        problem = "repeated" if t[i] == t[i - 1] else "unsorted"
        raise ParameterError(
            f"{where}: {problem} time {t[i]} h at point {i + 1} (after {t[i - 1]} h)",
            field="times_h",
            hint="give each time once, in increasing order",
        )
    if np.any(a < 0):
        i = int(np.argmax(a < 0))
        raise ParameterError(
            f"{where}: negative activity {a[i]} MBq at {t[i]} h", field="activity_mbq"
        )
    if np.any(a > MAX_ACTIVITY_MBQ):
        i = int(np.argmax(a > MAX_ACTIVITY_MBQ))
        raise ParameterError(
            f"{where}: activity {a[i]:g} MBq at {t[i]:g} h is above {MAX_ACTIVITY_MBQ:g} MBq "
            "(100 GBq), more than any patient administration",
            field="activity_mbq",
            hint="check the activity unit (Bq, kBq, MBq) and the value",
        )
    found = _nuclide(nuclide)
    name = found.name
    latest_h = MAX_HALF_LIVES * found.half_life_h
    if t[-1] > latest_h:
        raise ParameterError(
            f"{where}: time {t[-1]:g} h is more than {MAX_HALF_LIVES:g} half-lives of {name} "
            f"({latest_h:.4g} h) after administration",
            field="times_h",
            hint="check the time unit (h, min, d) and the value",
        )
    return TimeActivityCurve(region, tuple(t.tolist()), tuple(a.tolist()), name)
