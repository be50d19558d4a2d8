"""Region time-activity curves: uptake and bi-exponential washout, integrated exactly.

The fraction of the administered activity held by a region ``t`` hours after an
injection (physical decay included) is

.. math::

    a(t) = f (1 - e^{-k_u t}) [w e^{-k_1 t} + (1 - w) e^{-k_2 t}] e^{-\\lambda t}

with ``f`` the uptake fraction (the fraction the region would hold without washout or
decay), ``k_u`` the uptake rate, ``w`` the weight of the fast washout phase, ``k_1``,
``k_2`` the biological washout rates (ln 2 over the biological half-lives) and
``lambda`` the physical decay constant. Expanded, ``a(t)`` is a sum of four exponentials,
so its integral from 0 to ``T`` (or to infinity) has a closed form: the time-integrated
activity that the truth of a virtual patient reports is exact, not numerical.

The same biological kinetics apply to every label of the peptide (177Lu- and
225Ac-DOTATATE; a common assumption, e.g. Kratochwil et al., J Nucl Med 2017;58:1624);
only the physical decay differs, which sets the effective half-life
``1/T_eff = 1/T_bio + 1/T_phys`` (MIRD Pamphlet 21, Bolch et al., J Nucl Med 2009;50:477).

Examples
--------
>>> k = Kinetics(uptake_rate_per_h=2.0, fast_fraction=0.0, fast_half_life_h=1.0,
...              slow_half_life_h=72.0)
>>> round(time_integrated_activity_mbq_h(k, activity_mbq=1000.0, uptake_fraction=0.02,
...                                      nuclide_name="Lu-177"), 1)
1421.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide

__all__ = [
    "Kinetics",
    "biological_half_life_h",
    "effective_half_life_h",
    "time_activity_mbq",
    "time_integrated_activity_mbq_h",
]

_LN2 = math.log(2.0)


@dataclass(frozen=True, slots=True)
class Kinetics:
    """Biological kinetics of one region (independent of the radionuclide).

    Attributes
    ----------
    uptake_rate_per_h
        First-order uptake rate ``k_u`` (1/h); ``inf`` means instantaneous uptake.
    fast_fraction
        Weight ``w`` in [0, 1] of the fast washout phase.
    fast_half_life_h
        Biological half-life of the fast phase (h).
    slow_half_life_h
        Biological half-life of the slow phase (h); ``inf`` means no biological washout.

    Examples
    --------
    >>> Kinetics(1.0, 0.3, 2.0, 80.0).terms()[0]
    (0.3, 0.34657359027997264)
    """

    uptake_rate_per_h: float
    fast_fraction: float
    fast_half_life_h: float
    slow_half_life_h: float

    def __post_init__(self) -> None:
        if not self.uptake_rate_per_h > 0:
            raise ParameterError(
                f"uptake rate must be positive, got {self.uptake_rate_per_h} 1/h",
                field="uptake_rate_per_h",
                hint="use inf for instantaneous uptake",
            )
        if not 0.0 <= self.fast_fraction <= 1.0:
            raise ParameterError(
                f"fast washout fraction must lie in [0, 1], got {self.fast_fraction}",
                field="fast_fraction",
            )
        for name in ("fast_half_life_h", "slow_half_life_h"):
            if not getattr(self, name) > 0:
                raise ParameterError(
                    f"{name} must be positive, got {getattr(self, name)} h", field=name
                )

    def terms(self) -> tuple[tuple[float, float], ...]:
        """The washout phases as ``(weight, biological rate per h)`` pairs."""
        return (
            (self.fast_fraction, _LN2 / self.fast_half_life_h),
            (1.0 - self.fast_fraction, _LN2 / self.slow_half_life_h),
        )

    def exponentials(self, decay_constant_per_h: float) -> tuple[tuple[float, float], ...]:
        """``a(t)/f`` as a sum of ``(coefficient, rate)`` exponentials, decay included.

        Terms with a zero weight are left out; an instantaneous uptake drops the
        ``-e^{-(k + k_u + lambda) t}`` terms.
        """
        out: list[tuple[float, float]] = []
        for weight, rate in self.terms():
            if weight == 0.0:
                continue
            out.append((weight, rate + decay_constant_per_h))
            if math.isfinite(self.uptake_rate_per_h):
                out.append((-weight, rate + self.uptake_rate_per_h + decay_constant_per_h))
        return tuple(out)

    def effective_slow_half_life_h(self, nuclide_name: str) -> float:
        """Effective half-life (h) of the slow washout phase for ``nuclide_name``."""
        return effective_half_life_h(self.slow_half_life_h, nuclide_name=nuclide_name)


def effective_half_life_h(biological_half_life_h: float, *, nuclide_name: str) -> float:
    """Effective half-life: 1/T_eff = 1/T_bio + 1/T_phys (h).

    Examples
    --------
    >>> round(effective_half_life_h(72.8, nuclide_name="Lu-177"), 1)
    50.0
    """
    t_phys = nuclide(nuclide_name).half_life_h
    if not biological_half_life_h > 0:
        raise ParameterError(
            f"biological half-life must be positive, got {biological_half_life_h} h",
            field="biological_half_life_h",
        )
    return 1.0 / (1.0 / biological_half_life_h + 1.0 / t_phys)


def biological_half_life_h(effective_half_life_h: float, *, nuclide_name: str) -> float:
    """Biological half-life (h) from an effective one: 1/T_bio = 1/T_eff - 1/T_phys.

    Returns ``inf`` when the effective half-life equals the physical one.

    Examples
    --------
    >>> round(biological_half_life_h(50.0, nuclide_name="Lu-177"), 1)
    72.8
    """
    t_phys = nuclide(nuclide_name).half_life_h
    if not 0 < effective_half_life_h <= t_phys:
        raise ParameterError(
            f"effective half-life must lie in (0, {t_phys:.1f}] h for {nuclide_name}, "
            f"got {effective_half_life_h} h",
            field="effective_half_life_h",
            hint="an effective half-life cannot exceed the physical one",
        )
    inverse = 1.0 / effective_half_life_h - 1.0 / t_phys
    return math.inf if inverse <= 0 else 1.0 / inverse


def time_activity_mbq(
    kinetics: Kinetics,
    times_h: ArrayLike,
    *,
    activity_mbq: float,
    uptake_fraction: float,
    nuclide_name: str,
) -> NDArray[np.float64]:
    """Activity (MBq) in the region at ``times_h`` hours after one injection.

    Times before the injection give zero.

    Examples
    --------
    >>> k = Kinetics(float("inf"), 0.0, 1.0, float("inf"))
    >>> time_activity_mbq(k, [0.0, 159.528], activity_mbq=100.0, uptake_fraction=0.5,
    ...                   nuclide_name="Lu-177").round(3).tolist()
    [50.0, 25.0]
    """
    t = np.asarray(times_h, dtype=np.float64)
    lam = nuclide(nuclide_name).decay_constant_per_h
    total = np.zeros_like(t)
    tc = np.clip(t, 0.0, None)
    for coefficient, rate in kinetics.exponentials(lam):
        total += coefficient * np.exp(-rate * tc)
    result: NDArray[np.float64] = np.where(t >= 0, activity_mbq * uptake_fraction * total, 0.0)
    return result


def time_integrated_activity_mbq_h(
    kinetics: Kinetics,
    *,
    activity_mbq: float,
    uptake_fraction: float,
    nuclide_name: str,
    t_end_h: float = math.inf,
    t_start_h: float = 0.0,
) -> float:
    """Exact time-integrated activity (MBq h) from ``t_start_h`` to ``t_end_h``.

    The closed form of the integral of the sum of exponentials (MIRD schema: the
    cumulated activity, Bolch et al., MIRD Pamphlet 21, J Nucl Med 2009;50:477).

    Examples
    --------
    >>> k = Kinetics(float("inf"), 0.0, 1.0, float("inf"))
    >>> tia = time_integrated_activity_mbq_h(k, activity_mbq=1.0, uptake_fraction=1.0,
    ...                                      nuclide_name="Lu-177")
    >>> round(tia, 2)  # 1 MBq x mean life of Lu-177 (T1/2 / ln 2)
    230.15
    """
    if t_end_h < t_start_h:
        raise ParameterError(
            f"integration end {t_end_h} h precedes its start {t_start_h} h", field="t_end_h"
        )
    lam = nuclide(nuclide_name).decay_constant_per_h
    lo = max(t_start_h, 0.0)
    hi = max(t_end_h, 0.0)
    total = 0.0
    for coefficient, rate in kinetics.exponentials(lam):
        upper = 0.0 if math.isinf(hi) else math.exp(-rate * hi)
        total += coefficient * (math.exp(-rate * lo) - upper) / rate
    return activity_mbq * uptake_fraction * total
