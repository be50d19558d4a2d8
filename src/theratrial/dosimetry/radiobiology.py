"""Linear-quadratic radiobiology for decaying dose rates: G-factor, BED and EQD2.

For a dose D delivered at rate R(t), the biologically effective dose is

    BED = D (1 + G D / (alpha/beta)),
    G = (2 / D^2) integral_0^inf R(t) integral_0^t R(w) exp(-mu (t - w)) dw dt,

with mu = ln 2 / T_repair (Lea-Catcheside dose-protraction factor; Dale, Br. J. Radiol. 58
(1985) 515). For a mono-exponential dose rate G = lambda / (lambda + mu); for a sum of
exponentials R = sum_i a_i exp(-lambda_i t),

    G = (2 / D^2) sum_i sum_j a_i a_j / ((lambda_i + lambda_j)(lambda_i + mu)).

Cycles separated by far more than the repair time add: BED_total = sum_k BED_k.
EQD2 = BED / (1 + 2 / (alpha/beta)).

Reference checks (reference sheet section 2, kidney alpha/beta 2.6 Gy, T_repair 2.8 h):
D = 23 Gy, T_eff = 50 h -> 33.79 Gy; 4 cycles of 5.75 Gy -> 25.70 Gy.

Examples
--------
>>> round(bed_mono_exponential_gy(23.0, effective_half_life_h=50.0), 2)
33.79
>>> round(cumulative_bed_gy([5.75] * 4, effective_half_lives_h=[50.0] * 4), 2)
25.7
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.signal import lfilter

from theratrial.errors import ParameterError

__all__ = [
    "KIDNEY",
    "Radiobiology",
    "bed_gy",
    "bed_mono_exponential_gy",
    "cumulative_bed_gy",
    "eqd2_gy",
    "g_factor_exponentials",
    "g_factor_mono_exponential",
    "g_factor_sampled",
]


@dataclass(frozen=True, slots=True)
class Radiobiology:
    """Linear-quadratic parameters of a tissue.

    Attributes
    ----------
    alpha_beta_gy
        alpha/beta ratio (Gy).
    repair_half_time_h
        Half-time of sublethal-damage repair (h).

    Examples
    --------
    >>> round(KIDNEY.repair_rate_per_h, 4)
    0.2476
    """

    alpha_beta_gy: float = 2.6
    repair_half_time_h: float = 2.8

    def __post_init__(self) -> None:
        if not (self.alpha_beta_gy > 0 and self.repair_half_time_h > 0):
            raise ParameterError(
                "alpha/beta and the repair half-time must be positive, got "
                f"{self.alpha_beta_gy} Gy and {self.repair_half_time_h} h",
                field="alpha_beta_gy",
            )

    @property
    def repair_rate_per_h(self) -> float:
        """mu = ln 2 / T_repair (per hour)."""
        return math.log(2.0) / self.repair_half_time_h


KIDNEY = Radiobiology(2.6, 2.8)
"""Kidney: alpha/beta 2.6 Gy, repair half-time 2.8 h (Barone et al., J. Nucl. Med. 46
(2005) 99S; Bodei et al., Eur. J. Nucl. Med. Mol. Imaging 35 (2008) 1847)."""


def _positive(value: float, name: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be positive and finite, got {value}", field=name)
    return float(value)


def g_factor_mono_exponential(effective_half_life_h: float, *, repair_half_time_h: float) -> float:
    """G = lambda / (lambda + mu) for a mono-exponentially decaying dose rate.

    Examples
    --------
    >>> round(g_factor_mono_exponential(50.0, repair_half_time_h=2.8), 5)
    0.05303
    """
    lam = math.log(2.0) / _positive(effective_half_life_h, "effective_half_life_h")
    mu = math.log(2.0) / _positive(repair_half_time_h, "repair_half_time_h")
    return lam / (lam + mu)


def g_factor_exponentials(
    amplitudes: ArrayLike, decay_constants_per_h: ArrayLike, *, repair_half_time_h: float
) -> float:
    """G-factor of a dose rate that is a sum of exponentials (amplitudes may be negative).

    Raises
    ------
    ParameterError
        When a decay constant is not positive or the total dose is not positive.

    Examples
    --------
    >>> lam = math.log(2) / 50.0
    >>> round(g_factor_exponentials([1.0], [lam], repair_half_time_h=2.8), 5)
    0.05303
    >>> g_uw = g_factor_exponentials([1.0, -1.0], [lam, 0.5], repair_half_time_h=2.8)
    >>> 0 < g_uw < 0.05303
    True
    """
    a = np.asarray(amplitudes, dtype=np.float64).ravel()
    lam = np.asarray(decay_constants_per_h, dtype=np.float64).ravel()
    if a.size != lam.size or a.size == 0:
        raise ParameterError("amplitudes and decay constants must pair up", field="amplitudes")
    if np.any(~np.isfinite(lam)) or np.any(lam <= 0):
        raise ParameterError("decay constants must be positive", field="decay_constants_per_h")
    mu = math.log(2.0) / _positive(repair_half_time_h, "repair_half_time_h")
    dose = float(np.sum(a / lam))
    if not dose > 0:
        raise ParameterError("the dose-rate curve integrates to zero or less", field="amplitudes")
    pair = np.outer(a, a) / (np.add.outer(lam, lam) * (lam[:, None] + mu))
    return float(2.0 * np.sum(pair) / dose**2)


def g_factor_sampled(
    times_h: ArrayLike,
    dose_rate: ArrayLike,
    *,
    tail_decay_per_h: float,
    repair_half_time_h: float,
    start_at_zero: bool = True,
    steps: int = 20000,
) -> float:
    """G-factor of a piecewise-linear dose rate with an exponential tail.

    The dose rate (any unit; only its shape matters) is linear between samples, rises
    linearly from 0 at t = 0 (``start_at_zero``) or is constant back to t = 0, and decays
    as ``exp(-tail_decay_per_h (t - t_last))`` after the last sample: the shape used by the
    trapezoid time-integrated activity.

    Examples
    --------
    >>> lam = math.log(2) / 50.0
    >>> t = np.linspace(0.0, 400.0, 801)
    >>> g = g_factor_sampled(t, np.exp(-lam * t), tail_decay_per_h=lam,
    ...                      repair_half_time_h=2.8, start_at_zero=False)
    >>> round(g, 4)
    0.053
    """
    t = np.asarray(times_h, dtype=np.float64).ravel()
    r = np.asarray(dose_rate, dtype=np.float64).ravel()
    if t.size == 0 or t.size != r.size:
        raise ParameterError("times and dose rates must pair up", field="times_h")
    lam = _positive(tail_decay_per_h, "tail_decay_per_h")
    mu = math.log(2.0) / _positive(repair_half_time_h, "repair_half_time_h")
    knots_t = t if t[0] == 0.0 else np.concatenate([[0.0], t])
    knots_r = r if t[0] == 0.0 else np.concatenate([[0.0 if start_at_zero else r[0]], r])
    grid = np.linspace(0.0, float(knots_t[-1]), steps + 1)
    rate = np.interp(grid, knots_t, knots_r)
    h = float(grid[1] - grid[0]) if grid.size > 1 else 0.0
    decay = math.exp(-mu * h)
    # y' = R - mu y (repairable damage), trapezoid on R inside an exact exponential step.
    y = lfilter([0.5 * h, 0.5 * h * decay], [1.0, -decay], rate) if h > 0 else np.zeros(1)
    body_dose = float(np.trapezoid(rate, grid)) if h > 0 else 0.0
    body = float(np.trapezoid(rate * y, grid)) if h > 0 else 0.0
    r_n, y_n = float(rate[-1]), float(y[-1])
    tail_dose = r_n / lam
    tail = r_n * y_n / (lam + mu) + r_n * r_n / (2.0 * lam * (lam + mu))
    dose = body_dose + tail_dose
    if not dose > 0:
        raise ParameterError("the dose-rate curve integrates to zero or less", field="dose_rate")
    return 2.0 * (body + tail) / dose**2


def bed_gy(dose_gy: float, *, g_factor: float, alpha_beta_gy: float) -> float:
    """BED = D (1 + G D / (alpha/beta)) in Gy.

    Examples
    --------
    >>> round(bed_gy(23.0, g_factor=0.053032, alpha_beta_gy=2.6), 2)
    33.79
    """
    _positive(alpha_beta_gy, "alpha_beta_gy")
    if not (math.isfinite(dose_gy) and dose_gy >= 0):
        raise ParameterError(f"dose must be >= 0, got {dose_gy} Gy", field="dose_gy")
    if not 0 <= g_factor <= 1:
        raise ParameterError(f"G-factor must lie in [0, 1], got {g_factor}", field="g_factor")
    return dose_gy * (1.0 + g_factor * dose_gy / alpha_beta_gy)


def bed_mono_exponential_gy(
    dose_gy: float,
    *,
    effective_half_life_h: float,
    alpha_beta_gy: float = KIDNEY.alpha_beta_gy,
    repair_half_time_h: float = KIDNEY.repair_half_time_h,
) -> float:
    """BED (Gy) of a dose delivered with a mono-exponentially decaying dose rate.

    Defaults are the kidney's (alpha/beta 2.6 Gy, repair half-time 2.8 h).
    """
    g = g_factor_mono_exponential(effective_half_life_h, repair_half_time_h=repair_half_time_h)
    return bed_gy(dose_gy, g_factor=g, alpha_beta_gy=alpha_beta_gy)


def cumulative_bed_gy(
    doses_gy: Sequence[float],
    *,
    effective_half_lives_h: Sequence[float] | None = None,
    g_factors: Sequence[float] | None = None,
    alpha_beta_gy: float = KIDNEY.alpha_beta_gy,
    repair_half_time_h: float = KIDNEY.repair_half_time_h,
) -> float:
    """BED (Gy) of several well-separated cycles: the sum of the per-cycle BEDs.

    Give either each cycle's effective half-life or each cycle's G-factor.

    Examples
    --------
    >>> round(cumulative_bed_gy([5.75] * 4, g_factors=[0.053032] * 4), 2)
    25.7
    """
    if (effective_half_lives_h is None) == (g_factors is None):
        raise ParameterError(
            "give exactly one of effective_half_lives_h and g_factors", field="g_factors"
        )
    if g_factors is None:
        assert effective_half_lives_h is not None
        g_factors = [
            g_factor_mono_exponential(t, repair_half_time_h=repair_half_time_h)
            for t in effective_half_lives_h
        ]
    if len(g_factors) != len(doses_gy):
        raise ParameterError("one G-factor or half-life per cycle is needed", field="g_factors")
    return sum(
        bed_gy(d, g_factor=g, alpha_beta_gy=alpha_beta_gy)
        for d, g in zip(doses_gy, g_factors, strict=True)
    )


def eqd2_gy(bed: float, *, alpha_beta_gy: float) -> float:
    """Equivalent dose in 2-Gy fractions: EQD2 = BED / (1 + 2 / (alpha/beta)).

    Examples
    --------
    >>> round(eqd2_gy(33.79, alpha_beta_gy=2.6), 2)
    19.1
    """
    return bed / (1.0 + 2.0 / _positive(alpha_beta_gy, "alpha_beta_gy"))
