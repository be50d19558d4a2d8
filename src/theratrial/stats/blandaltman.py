"""Bland-Altman agreement between two measurements of the same subjects.

Bias is the mean of the differences (second - first); the 95 % limits of agreement are
bias ± 1.96 SD of the differences (Bland & Altman 1986, Lancet 327:307-310; 1999, Stat
Methods Med Res 8:135-160). Their confidence intervals use the approximate standard
errors of Bland & Altman 1986: SE(bias) = s / sqrt(n), SE(limit) = s sqrt(3 / n), with
Student's t on n - 1 degrees of freedom. A proportional bias is checked by the least-squares
slope of the differences on the means.

Scales: ``absolute`` (differences in the measurement's unit), ``percent`` (difference as a
percentage of the pair mean) and ``ratio`` (analysis of log(second / first), reported back
as ratios: the geometric-mean ratio and the ratio limits, Bland & Altman 1999, section 2.6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from theratrial.errors import ParameterError, TableError

__all__ = ["LOA_Z", "BlandAltman", "bland_altman"]

#: Multiplier of the SD of the differences for the 95 % limits of agreement.
LOA_Z = 1.96

Scale = Literal["absolute", "percent", "ratio"]


@dataclass(frozen=True, slots=True)
class BlandAltman:
    """Bias and limits of agreement, with their confidence intervals and the plot data.

    Attributes
    ----------
    scale
        ``absolute``, ``percent`` or ``ratio`` (see module docstring).
    bias, sd_difference
        Mean and SD of the differences (for ``ratio``: ``bias`` is the geometric-mean ratio
        and ``sd_difference`` the SD of the log ratios).
    loa_low, loa_high
        Limits of agreement (ratios for ``ratio``).
    bias_ci, loa_low_ci, loa_high_ci
        Confidence intervals (same scale).
    slope, slope_p_value
        Regression of the differences on the means (proportional bias), p for slope = 0.
    means, differences
        Per-pair mean and difference (ratio for ``ratio``, percent for ``percent``): the plot.
    """

    scale: str
    n: int
    bias: float
    sd_difference: float
    loa_low: float
    loa_high: float
    bias_ci: tuple[float, float]
    loa_low_ci: tuple[float, float]
    loa_high_ci: tuple[float, float]
    slope: float
    slope_p_value: float
    confidence: float
    means: tuple[float, ...]
    differences: tuple[float, ...]


def _vector(values: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise TableError(f"{name} must be numbers", field=name) from None
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise TableError(
            f"row {int(bad[0]) + 1}: missing or non-finite value",
            field=name,
            hint="remove incomplete pairs",
        )
    return array


def bland_altman(
    first: ArrayLike,
    second: ArrayLike,
    *,
    scale: Scale = "absolute",
    confidence: float = 0.95,
) -> BlandAltman:
    """Bland-Altman analysis of paired measurements.

    Parameters
    ----------
    first, second
        The two measurements of each subject (scan 1, scan 2), same length >= 3.
    scale
        ``absolute``, ``percent`` or ``ratio`` (needs positive values).
    confidence
        Level of the confidence intervals of the bias and of the limits.

    Returns
    -------
    BlandAltman

    Raises
    ------
    TableError
        Unequal lengths, fewer than 3 pairs, missing values, non-positive values on the
        ratio scale.

    Examples
    --------
    >>> ba = bland_altman([10.0, 12.0, 9.0, 15.0], [11.0, 12.5, 9.0, 16.5])
    >>> round(ba.bias, 3), round(ba.loa_low, 3), round(ba.loa_high, 3)
    (0.75, -0.515, 2.015)
    """
    if scale not in ("absolute", "percent", "ratio"):
        raise ParameterError(
            f"unknown scale {scale!r}", field="scale", hint="use absolute, percent or ratio"
        )
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence}", field="confidence")
    x1, x2 = _vector(first, "first"), _vector(second, "second")
    if x1.shape != x2.shape:
        raise TableError(
            f"{x1.size} first and {x2.size} second measurements",
            field="second",
            hint="give one pair per subject",
        )
    n = int(x1.size)
    if n < 3:
        raise TableError(f"need at least 3 pairs, got {n}", field="first", hint="add subjects")
    means = (x1 + x2) / 2.0
    if scale == "absolute":
        diffs = x2 - x1
    elif scale == "percent":
        if np.any(means == 0.0):
            raise TableError("a pair has mean 0: percent differences are undefined", field="first")
        diffs = 100.0 * (x2 - x1) / means
    else:
        if np.any(x1 <= 0.0) or np.any(x2 <= 0.0):
            row = int(np.flatnonzero((x1 <= 0.0) | (x2 <= 0.0))[0]) + 1
            raise TableError(
                f"row {row}: the ratio scale needs positive values",
                field="first",
                hint="use scale='absolute' or 'percent'",
            )
        diffs = np.log(x2 / x1)
    bias = float(diffs.mean())
    sd = float(diffs.std(ddof=1))
    t = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))
    se_bias = sd / math.sqrt(n)
    se_limit = sd * math.sqrt(3.0 / n)
    low, high = bias - LOA_Z * sd, bias + LOA_Z * sd
    if np.ptp(means) > 0:
        fit = stats.linregress(means, diffs)
        slope, slope_p = float(fit.slope), float(fit.pvalue)
    else:
        slope, slope_p = float("nan"), float("nan")
    bias_ci = (bias - t * se_bias, bias + t * se_bias)
    low_ci = (low - t * se_limit, low + t * se_limit)
    high_ci = (high - t * se_limit, high + t * se_limit)
    plotted = diffs
    if scale == "ratio":
        exp = math.exp
        bias_ci = (exp(bias_ci[0]), exp(bias_ci[1]))
        low_ci = (exp(low_ci[0]), exp(low_ci[1]))
        high_ci = (exp(high_ci[0]), exp(high_ci[1]))
        bias, low, high = exp(bias), exp(low), exp(high)
        plotted = np.exp(diffs)
    return BlandAltman(
        scale=scale,
        n=n,
        bias=bias,
        sd_difference=sd,
        loa_low=low,
        loa_high=high,
        bias_ci=bias_ci,
        loa_low_ci=low_ci,
        loa_high_ci=high_ci,
        slope=slope,
        slope_p_value=slope_p,
        confidence=confidence,
        means=tuple(float(m) for m in means),
        differences=tuple(float(d) for d in plotted),
    )
