"""Time-integrated activity (Ã, MBq h) of a region, from a fit or model-free.

Methods (:func:`time_integrated_activity`):

- ``"auto"``: with two or more points, fit every model and keep the best by AICc
  (:func:`~theratrial.dosimetry.fit.select_model`); if no fit is usable, the trapezoid
  with physical-decay tail, with a warning saying why. With one point: Madsen with the
  population effective half-life when one is given, else Hänscheid.
- a model name (``"mono_exponential"``, ...): that fit, or the trapezoid fallback.
- ``"trapezoid"``: trapezoid rule over the samples, a linear rise from zero at t = 0
  (``head="zero"``) or the first value held back to t = 0 (``head="constant"``), and
  physical decay after the last sample (``A_n / lambda_phys``; MIRD Pamphlet No. 16,
  Siegel et al., J. Nucl. Med. 40 (1999) 37S). ``tail="last_two"`` uses the decay rate of
  the last two samples instead when it is faster than physical decay.
- ``"hanscheid"``, ``"madsen"``: single-time-point methods (:mod:`~theratrial.dosimetry.stp`).

Every :class:`TiaResult` keeps the shape of the curve it integrated, so that the
dose-rate G-factor for BED (:mod:`~theratrial.dosimetry.radiobiology`) follows the same
assumption as Ã.

Examples
--------
>>> from theratrial.dosimetry.tac import time_activity_curve
>>> tac = time_activity_curve([4.0, 24.0, 96.0, 168.0], [30.0, 25.0, 12.0, 6.0])
>>> r = time_integrated_activity(tac, method="trapezoid")
>>> r.method, round(r.tia_mbq_h)
('trapezoid_physical_tail', 3971)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.dosimetry.fit import FALLBACK, MODEL_NAMES, TacFit, fit_tac
from theratrial.dosimetry.radiobiology import (
    g_factor_exponentials,
    g_factor_mono_exponential,
    g_factor_sampled,
)
from theratrial.dosimetry.selection import ModelSelection, select_model
from theratrial.dosimetry.stp import tia_hanscheid_mbq_h, tia_madsen_mbq_h
from theratrial.dosimetry.tac import TimeActivityCurve
from theratrial.errors import ParameterError

__all__ = ["METHODS", "TiaResult", "tia_trapezoid", "time_integrated_activity"]

METHODS: tuple[str, ...] = ("auto", *MODEL_NAMES, "trapezoid", "hanscheid", "madsen")
"""Accepted values of ``method``."""


@dataclass(frozen=True, slots=True)
class TiaResult:
    """Time-integrated activity of one region and how it was obtained.

    Attributes
    ----------
    region
        Region name.
    method
        Model name, ``"trapezoid_physical_tail"``, ``"hanscheid"`` or ``"madsen"``.
    tia_mbq_h, tia_se_mbq_h
        Ã from 0 to infinity (MBq h) and its standard error (NaN when not estimated).
    fit
        The fit used, if any.
    selection
        The model selection, when ``method="auto"`` fitted several models.
    parts_mbq_h
        ``(part, Ã)`` pairs of a model-free integral: head, samples, tail.
    exponentials
        ``(amplitude, decay constant)`` pairs of the activity curve when it is a sum of
        exponentials (fits, single-time-point methods).
    samples_h, samples_mbq, tail_decay_per_h, head
        The piecewise-linear curve of the trapezoid method.
    fallback
        The fallback method used because the method asked for failed, else None.
    warnings
        Cautions, in words.
    """

    region: str
    method: str
    tia_mbq_h: float
    tia_se_mbq_h: float
    fit: TacFit | None
    selection: ModelSelection | None
    parts_mbq_h: tuple[tuple[str, float], ...]
    exponentials: tuple[tuple[float, float], ...]
    samples_h: tuple[float, ...]
    samples_mbq: tuple[float, ...]
    tail_decay_per_h: float
    head: str
    fallback: str | None
    warnings: tuple[str, ...]

    @property
    def effective_half_life_h(self) -> float:
        """Half-life of the slowest exponential (or of the tail) in h."""
        if self.exponentials:
            return math.log(2.0) / min(lam for _, lam in self.exponentials)
        return math.log(2.0) / self.tail_decay_per_h

    def activity_mbq(self, times_h: ArrayLike) -> NDArray[np.float64]:
        """Activity (MBq) at ``times_h`` on the curve that gave Ã (fit, trapezoid or STP).

        Examples
        --------
        >>> from theratrial.dosimetry.tac import time_activity_curve
        >>> r = tia_trapezoid(time_activity_curve([4.0, 24.0], [10.0, 8.0]))
        >>> [round(float(a), 3) for a in r.activity_mbq([2.0, 14.0, 24.0 + 159.53])]
        [5.0, 9.0, 4.0]
        """
        t = np.asarray(times_h, dtype=np.float64)
        if self.exponentials:
            terms = [a * np.exp(-lam * t) for a, lam in self.exponentials]
            return np.asarray(np.sum(terms, axis=0), dtype=np.float64)
        knots_t = np.asarray(self.samples_h)
        knots_a = np.asarray(self.samples_mbq)
        start = 0.0 if self.head == "zero" else float(knots_a[0])
        inside = np.interp(t, np.concatenate([[0.0], knots_t]), np.concatenate([[start], knots_a]))
        tail = knots_a[-1] * np.exp(-self.tail_decay_per_h * (t - knots_t[-1]))
        return np.asarray(np.where(t <= knots_t[-1], inside, tail), dtype=np.float64)

    def g_factor(self, *, repair_half_time_h: float) -> float:
        """Lea-Catcheside G-factor of a dose rate proportional to this activity curve."""
        if self.exponentials:
            amps, lams = zip(*self.exponentials, strict=True)
            return g_factor_exponentials(amps, lams, repair_half_time_h=repair_half_time_h)
        if len(self.samples_h) == 1 and self.head == "none":
            return g_factor_mono_exponential(
                self.effective_half_life_h, repair_half_time_h=repair_half_time_h
            )
        return g_factor_sampled(
            self.samples_h, self.samples_mbq, tail_decay_per_h=self.tail_decay_per_h,
            repair_half_time_h=repair_half_time_h, start_at_zero=self.head == "zero",
        )  # fmt: skip


def _from_fit(fit: TacFit, selection: ModelSelection | None, warnings: Sequence[str]) -> TiaResult:
    return TiaResult(
        fit.region, fit.model, fit.tia_mbq_h, fit.tia_se_mbq_h, fit, selection, (),
        tuple(zip(fit.amplitudes_mbq, fit.decay_constants_per_h, strict=True)), (), (),
        min(fit.decay_constants_per_h), "fit", None, _unique((*warnings, *fit.warnings)),
    )  # fmt: skip


def _unique(warnings: Sequence[str]) -> tuple[str, ...]:
    """Warnings in order, each once (selection and fit may say the same thing)."""
    return tuple(dict.fromkeys(warnings))


def tia_trapezoid(
    tac: TimeActivityCurve, *, head: str = "zero", tail: str = "physical"
) -> TiaResult:
    """Model-free Ã: trapezoid over the samples plus a head and an exponential tail.

    Parameters
    ----------
    tac
        The curve.
    head
        ``"zero"``: linear rise from 0 at t = 0; ``"constant"``: first value back to t = 0.
    tail
        ``"physical"``: physical decay after the last sample; ``"last_two"``: the decay rate
        of the last two samples when faster than physical.

    Examples
    --------
    >>> from theratrial.dosimetry.tac import time_activity_curve
    >>> r = tia_trapezoid(time_activity_curve([24.0], [10.0]))
    >>> [(k, round(v, 1)) for k, v in r.parts_mbq_h]
    [('head', 120.0), ('samples', 0.0), ('tail', 2301.5)]
    """
    if head not in ("zero", "constant") or tail not in ("physical", "last_two"):
        raise ParameterError(
            f"unknown trapezoid option head={head!r} tail={tail!r}",
            field="head",
            hint="head: zero | constant; tail: physical | last_two",
        )
    t, a, lp = tac.t, tac.a, tac.physical_decay_per_h
    warnings: list[str] = []
    head_area = float(a[0] * t[0] * (0.5 if head == "zero" else 1.0))
    body = float(np.trapezoid(a, t)) if t.size > 1 else 0.0
    lam = lp
    if tail == "last_two" and t.size >= 2 and a[-1] > 0 and a[-2] > a[-1]:
        lam = max(lp, math.log(a[-2] / a[-1]) / (t[-1] - t[-2]))
    elif tail == "last_two":
        warnings.append("last two samples do not decay: physical-decay tail used")
    tail_area = float(a[-1] / lam)
    share = tail_area / max(head_area + body + tail_area, 1e-300)
    if share > 0.5:
        warnings.append(
            f"the extrapolated tail is {100 * share:.0f} % of Ã: add a later time point"
        )
    parts = (("head", head_area), ("samples", body), ("tail", tail_area))
    return TiaResult(
        tac.region, FALLBACK, head_area + body + tail_area, math.nan, None, None, parts, (),
        tac.times_h, tac.activity_mbq, lam, head, None, tuple(warnings),
    )  # fmt: skip


def _single_point(
    tac: TimeActivityCurve, method: str, population_half_life_h: float | None
) -> TiaResult:
    if tac.n_points != 1:
        raise ParameterError(
            f"region {tac.region!r}: {method} needs one time point, got {tac.n_points}",
            field="method",
            hint="pass the single measurement, or use method=auto for several points",
        )
    t, a = tac.times_h[0], tac.activity_mbq[0]
    if method == "madsen":
        if population_half_life_h is None:
            raise ParameterError(
                f"region {tac.region!r}: Madsen needs a population effective half-life",
                field="population_half_life_h",
                hint="give the population effective half-life in hours "
                "(CLI: --population-half-life-h 67 or REGION=67)",
            )
        tia, half = (
            tia_madsen_mbq_h(a, t, effective_half_life_h=population_half_life_h),
            population_half_life_h,
        )
        note = f"assumes mono-exponential washout with population T_eff {half:g} h"
    else:
        tia, half = tia_hanscheid_mbq_h(a, t), t
        note = f"assumes mono-exponential washout with T_eff near the imaging time ({t:g} h)"
    lam = math.log(2.0) / half
    return TiaResult(
        tac.region, method, tia, math.nan, None, None, (), ((tia * lam, lam),), tac.times_h,
        tac.activity_mbq, lam, "none", None, (note,),
    )  # fmt: skip


def time_integrated_activity(
    tac: TimeActivityCurve,
    *,
    method: str = "auto",
    models: Sequence[str] = MODEL_NAMES,
    weighting: str = "relative",
    population_half_life_h: float | None = None,
    head: str = "zero",
) -> TiaResult:
    """Ã of one region by ``method`` (see the module docstring); never a silent number.

    Raises
    ------
    ParameterError
        For an unknown method, or a single-time-point method on several points.

    Examples
    --------
    >>> from theratrial.dosimetry.tac import time_activity_curve
    >>> r = time_integrated_activity(time_activity_curve([4.0, 24.0, 96.0], [10.0, 20.0, 30.0]))
    >>> r.method, r.fallback is not None
    ('trapezoid_physical_tail', True)
    """
    if method not in METHODS:
        raise ParameterError(
            f"unknown Ã method {method!r}", field="method", hint=f"use one of {', '.join(METHODS)}"
        )
    if method in ("hanscheid", "madsen"):
        return _single_point(tac, method, population_half_life_h)
    if method == "trapezoid":
        return tia_trapezoid(tac, head=head)
    if method == "auto" and tac.n_points == 1:
        return _single_point(
            tac, "hanscheid" if population_half_life_h is None else "madsen", population_half_life_h
        )
    if method == "auto":
        selection = select_model(tac, models=models, weighting=weighting)
        if selection.best is not None:
            return _from_fit(selection.best, selection, selection.warnings)
        warnings = selection.warnings
    else:
        fit = fit_tac(tac, method, weighting=weighting)
        if fit.success:
            return _from_fit(fit, None, ())
        selection = None
        warnings = (f"{method} fit not usable ({fit.message}); falling back to {FALLBACK}",)
    fallback = tia_trapezoid(tac, head=head)
    return TiaResult(
        fallback.region, fallback.method, fallback.tia_mbq_h, math.nan, None, selection,
        fallback.parts_mbq_h, (), fallback.samples_h, fallback.samples_mbq,
        fallback.tail_decay_per_h, fallback.head, FALLBACK,
        _unique((*warnings, *fallback.warnings)),
    )  # fmt: skip
