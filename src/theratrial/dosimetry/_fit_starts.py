"""Analytic starting values for the time-activity fits: curve stripping (private to ``fit``).

The method of residuals (curve stripping, "peeling"; Gibaldi & Perrier, Pharmacokinetics,
2nd ed., Marcel Dekker 1982, Appendix C; used for the starting values of NUKFIT, Kletting
et al., Med. Phys. 40 (2013) 102504): the terminal phase is fitted log-linearly to the last
points, its extrapolation is subtracted from the earlier points, and the residual phase
(a faster washout, or the uptake as the deficit below the terminal line) is fitted
log-linearly in turn. Each terminal window (the last 2, 3, ... points) gives one start; on
noise-free data of the model's own shape one of them is exact or close to it. A small
deterministic grid follows as a safety net for data that peel badly.

Starts are returned in the internal parameters of :mod:`theratrial.dosimetry._models`
(all >= 0): mono ``[A, b]``, bi ``[A1, A2, b2, e1]``, uptake-washout ``[A, bw, e]``,
tri ``[A1, A2, b2, e1, e3]``, with ``b = lambda - lambda_phys`` and ``e`` rate gaps.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["initial_guesses", "loglinear"]

_GAP_MIN = 1e-4  # 1/h: smallest rate gap of a start (phases must differ)
_RATE_CAP = 15.0  # 1/h: fastest start rate (below the fit's bound)


def loglinear(t: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float] | None:
    """``(A, lambda)`` of ``A e^(-lambda t)`` through ``(t, y)`` by least squares on ``ln y``.

    None with fewer than two points or a value that is not positive.

    Examples
    --------
    >>> t = np.array([1.0, 2.0, 4.0])
    >>> a, lam = loglinear(t, 8.0 * np.exp(-0.5 * t))
    >>> round(a, 9), round(lam, 9)
    (8.0, 0.5)
    """
    if t.size < 2 or not np.all(y > 0):
        return None
    ly = np.log(y)
    dt = t - t.mean()
    slope = float(dt @ (ly - ly.mean()) / (dt @ dt))
    return math.exp(float(ly.mean()) - slope * float(t.mean())), -slope


def _one_point_rate(amplitude: float, value: float, t: float) -> float | None:
    """Rate of ``amplitude e^(-lambda t) = value`` (None when undefined)."""
    if amplitude <= 0 or value <= 0 or t <= 0 or value >= amplitude:
        return None
    return math.log(amplitude / value) / t


def _phase(
    t: NDArray[np.float64], r: NDArray[np.float64], amplitude: float | None
) -> tuple[float, float] | None:
    """Exponential phase through the positive residuals ``r``; one point needs ``amplitude``."""
    keep = r > 0
    if int(keep.sum()) >= 2:
        return loglinear(t[keep], r[keep])
    if int(keep.sum()) == 1 and amplitude is not None:
        i = int(np.argmax(keep))
        rate = _one_point_rate(amplitude, float(r[i]), float(t[i]))
        return None if rate is None else (amplitude, rate)
    return None


def _clip_rate(rate: float, floor: float) -> float:
    return min(max(rate, floor), _RATE_CAP)


def _peeled(
    name: str, t: NDArray[np.float64], a: NDArray[np.float64], lp: float
) -> list[NDArray[np.float64]]:
    """Curve-stripping starts, one per terminal window."""
    n, peak = t.size, int(np.argmax(a))
    top = float(a.max())
    fast_default = 3.0 / max(float(t[0]), 0.1)  # uptake nearly over at the first point
    out: list[NDArray[np.float64]] = []
    if name == "mono_exponential":
        for first in sorted({peak, 0}):
            fit = loglinear(t[first:], a[first:])
            if fit is not None:
                amp, lam = fit
                lam = _clip_rate(lam, lp)
                amp = float(
                    np.exp(np.mean(np.log(np.maximum(a[first:], 1e-300)) + lam * t[first:]))
                )
                out.append(np.array([amp, lam - lp]))
        return out
    for k in range(2, n - peak + 1 if name != "bi_exponential" else n):
        tail = loglinear(t[n - k :], a[n - k :])
        if tail is None:
            continue
        amp_t, lam_t = tail[0], _clip_rate(tail[1], lp)
        early_t, early_a = t[: n - k], a[: n - k]
        line = amp_t * np.exp(-lam_t * early_t)
        if name == "uptake_washout":
            up = _phase(early_t, line - early_a, amp_t)
            lam_u = fast_default if up is None else up[1]
            lam_u = _clip_rate(lam_u, lam_t + _GAP_MIN)
            out.append(np.array([amp_t, lam_t - lp, lam_u - lam_t]))
        elif name == "bi_exponential":
            fast = _phase(early_t, early_a - line, None)
            if fast is None:
                continue
            lam_f = _clip_rate(fast[1], lam_t + _GAP_MIN)
            out.append(np.array([fast[0], amp_t, lam_t - lp, lam_f - lam_t]))
        else:  # tri-exponential: terminal, then fast washout after the peak, then uptake
            post = slice(peak, n - k)
            fast = _phase(t[post], a[post] - line[post], None)
            if fast is None:
                amp_f, lam_f = 0.3 * amp_t, max(3.0 * lam_t, lam_t + 0.05)
            else:
                amp_f, lam_f = fast[0], _clip_rate(fast[1], lam_t + _GAP_MIN)
            both = amp_f * np.exp(-lam_f * early_t) + line
            up = _phase(early_t[: peak + 1], (both - early_a)[: peak + 1], amp_f + amp_t)
            lam_u = fast_default if up is None else up[1]
            lam_u = _clip_rate(lam_u, lam_f + _GAP_MIN)
            out.append(np.array([amp_f, amp_t, lam_t - lp, lam_f - lam_t, lam_u - lam_f]))
    return [np.clip(s, 0.0, None) for s in out if np.all(np.isfinite(s)) and s[0] <= 1e4 * top]


def _grid(
    name: str, t: NDArray[np.float64], a: NDArray[np.float64], lp: float
) -> list[NDArray[np.float64]]:
    """Fixed rates around the data scale: the safety net when peeling misleads."""
    top, peak = float(a.max()), int(np.argmax(a))
    rates = (1e-3, 1e-2, 0.05)
    if name == "mono_exponential":
        return [np.array([top * math.exp((lp + b) * float(t[peak])), b]) for b in rates[1:]]
    if name == "bi_exponential":
        return [np.array([top, top * 0.5, b, 0.3]) for b in rates]
    if name == "uptake_washout":
        return [np.array([top * 1.5, b, e]) for b in rates for e in (0.3, 2.0)][:4]
    return [np.array([top, top, b, 0.05, 1.0]) for b in rates]


def initial_guesses(
    name: str, t: NDArray[np.float64], a: NDArray[np.float64], lp: float
) -> list[NDArray[np.float64]]:
    """Deterministic starts: curve-stripping estimates first, then a small grid.

    Examples
    --------
    >>> lp = math.log(2) / (6.647 * 24)
    >>> t = np.array([1.0, 4.0, 24.0, 72.0, 168.0])
    >>> lw, lu = lp + 0.01, 0.5
    >>> a = 50 * (np.exp(-lw * t) - np.exp(-lu * t))
    >>> first = initial_guesses("uptake_washout", t, a, lp)[0]
    >>> round(float(first[0]), 3), round(float(first[1]), 5)
    (50.0, 0.01)
    """
    starts = _peeled(name, t, a, lp) + _grid(name, t, a, lp)
    unique: list[NDArray[np.float64]] = []
    for s in starts:  # drop near-copies (np.allclose, rtol 1e-3, atol 1e-9, of each kept one)
        if unique:
            kept = np.array(unique)
            if bool((np.abs(s - kept) <= 1e-9 + 1e-3 * np.abs(kept)).all(axis=1).any()):
                continue
        unique.append(s)
    return unique
