"""Single-time-point estimates of the time-integrated activity.

- Hänscheid et al., J. Nucl. Med. 59 (2018) 75: for a mono-exponential curve measured at
  time t near its effective half-life, ``Ã ≈ A(t) 2t / ln 2`` (exact when t = T_eff).
- Madsen et al., Med. Phys. 45 (2018) 2318: with a population effective half-life,
  ``Ã = A(t) e^(lambda_eff t) / lambda_eff`` (exact for a mono-exponential curve with
  that half-life).

Reference check (reference sheet section 2): 150 g spleen (S = 1.5967e-4 mGy MBq^-1 s^-1),
100 MBq at 24 h, T_eff = 67 h -> Madsen 7.12 Gy.

Examples
--------
>>> tia = tia_madsen_mbq_h(100.0, 24.0, effective_half_life_h=67.0)
>>> round(tia * 3600 * 1.5967e-4 / 1000, 2)     # Gy
7.12
>>> round(tia_hanscheid_mbq_h(100.0, 67.0) / tia_madsen_mbq_h(100.0, 67.0,
...       effective_half_life_h=67.0), 6)
1.0
"""

from __future__ import annotations

import math

from theratrial.errors import ParameterError

__all__ = ["tia_hanscheid_mbq_h", "tia_madsen_mbq_h"]


def _check(activity_mbq: float, time_h: float) -> None:
    if not (math.isfinite(activity_mbq) and activity_mbq >= 0):
        raise ParameterError(f"activity must be >= 0, got {activity_mbq} MBq", field="activity_mbq")
    if not (math.isfinite(time_h) and time_h > 0):
        raise ParameterError(
            f"the measurement time must be after the administration, got {time_h} h",
            field="time_h",
        )


def tia_hanscheid_mbq_h(activity_mbq: float, time_h: float) -> float:
    """Hänscheid (2018) single-time-point Ã = A(t) 2t / ln 2 (MBq h).

    Examples
    --------
    >>> round(tia_hanscheid_mbq_h(50.0, 96.0), 1)
    13849.9
    """
    _check(activity_mbq, time_h)
    return activity_mbq * 2.0 * time_h / math.log(2.0)


def tia_madsen_mbq_h(activity_mbq: float, time_h: float, *, effective_half_life_h: float) -> float:
    """Madsen (2018) single-time-point Ã = A(t) e^(lambda t) / lambda (MBq h).

    Parameters
    ----------
    activity_mbq
        Activity in the region at ``time_h`` (MBq).
    time_h
        Time after administration (h).
    effective_half_life_h
        Population effective half-life of the region (h).
    """
    _check(activity_mbq, time_h)
    if not (math.isfinite(effective_half_life_h) and effective_half_life_h > 0):
        raise ParameterError(
            f"effective half-life must be positive, got {effective_half_life_h} h",
            field="effective_half_life_h",
        )
    lam = math.log(2.0) / effective_half_life_h
    return activity_mbq * math.exp(lam * time_h) / lam
