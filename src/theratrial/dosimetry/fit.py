"""Fits of sums of exponentials to time-activity curves, and model selection by AICc.

Models (:data:`MODEL_NAMES`; effective decay constants include physical decay and are never
below it, Kletting et al., Med. Phys. 40 (2013) 102504):

- ``mono_exponential``  A e^(-lambda t)
- ``bi_exponential``    A1 e^(-lambda1 t) + A2 e^(-lambda2 t)
- ``uptake_washout``    A (e^(-lambda_w t) - e^(-lambda_u t))
- ``tri_exponential``   A1 e^(-lambda1 t) + A2 e^(-lambda2 t) - (A1 + A2) e^(-lambda_u t)

Least squares (:func:`scipy.optimize.least_squares`, bounded, several deterministic starts)
with relative weights by default (constant coefficient of variation). Standard errors from
the Jacobian, ``cov = s^2 (J^T J)^-1`` with ``s^2 = WRSS / (n - p)``. Model selection by the
corrected Akaike criterion, ``AICc = n ln(WRSS/n) + 2K + 2K(K+1)/(n-K-1)``, K = p + 1
(Burnham & Anderson 2002; Glatting et al., Med. Phys. 34 (2007) 4285).

A fit never raises for ill-posed data: too few points, data without washout or a model
that collapses to a simpler one return ``success=False`` with the reason and the fallback
that :mod:`theratrial.dosimetry.tia` uses instead (trapezoid with physical-decay tail).

Examples
--------
>>> from theratrial.dosimetry.tac import time_activity_curve
>>> import numpy as np
>>> t = np.array([4.0, 24.0, 72.0, 144.0])
>>> tac = time_activity_curve(t, 100 * np.exp(-np.log(2) / 50 * t))
>>> fit = fit_tac(tac, "mono_exponential")
>>> fit.success, round(fit.effective_half_life_h, 2), round(fit.tia_mbq_h)
(True, 50.0, 7213)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.dosimetry._fit_core import RATE_MAX as _RATE_MAX
from theratrial.dosimetry._fit_core import solve
from theratrial.dosimetry._models import MODELS, VISIBLE, TacModel
from theratrial.dosimetry.tac import TimeActivityCurve
from theratrial.errors import ParameterError

__all__ = [
    "EXACT_RELATIVE_RESIDUAL",
    "FALLBACK",
    "MODEL_NAMES",
    "FitParameter",
    "TacFit",
    "aicc",
    "fit_tac",
]

MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
"""Names of the fit functions, simplest first."""

FALLBACK = "trapezoid_physical_tail"
"""The model-free method used when no fit is usable."""

_REL_SE_WARN = 0.5
EXACT_RELATIVE_RESIDUAL = 1e-12
"""Relative residual below which a fit counts as exact (floors WRSS in AICc, F-tests)."""


@dataclass(frozen=True, slots=True)
class FitParameter:
    """A fitted parameter: name with unit, value and standard error (NaN if undefined)."""

    name: str
    value: float
    standard_error: float


@dataclass(frozen=True, slots=True)
class TacFit:
    """The report of one fit to a time-activity curve.

    Attributes
    ----------
    region, model, formula
        What was fitted, with which function.
    success
        Whether the fit is usable; if not, ``message`` says why and ``fallback`` what to use.
    message
        Outcome in words.
    parameters
        Reported parameters (amplitudes in MBq, effective decay constants per h).
    amplitudes_mbq, decay_constants_per_h
        The fit as a sum of exponentials ``sum a_i exp(-lambda_i t)``.
    n_points, n_parameters, weighting
        Data size, model size and weighting scheme.
    residuals_mbq
        Model minus data at each time point (MBq).
    weighted_rss
        Weighted residual sum of squares.
    aicc
        Corrected Akaike criterion (NaN when n <= K + 1).
    tia_mbq_h, tia_se_mbq_h
        Time-integrated activity from 0 to infinity and its standard error (MBq h).
    fallback
        Method to use instead when ``success`` is False, else None.
    warnings
        Cautions about a usable fit.
    """

    region: str
    model: str
    formula: str
    success: bool
    message: str
    parameters: tuple[FitParameter, ...]
    amplitudes_mbq: tuple[float, ...]
    decay_constants_per_h: tuple[float, ...]
    n_points: int
    n_parameters: int
    weighting: str
    residuals_mbq: tuple[float, ...]
    weighted_rss: float
    aicc: float
    tia_mbq_h: float
    tia_se_mbq_h: float
    fallback: str | None
    warnings: tuple[str, ...]

    def evaluate(self, times_h: ArrayLike) -> NDArray[np.float64]:
        """Fitted activity (MBq) at ``times_h``."""
        t = np.asarray(times_h, dtype=np.float64)
        a = np.asarray(self.amplitudes_mbq)
        lam = np.asarray(self.decay_constants_per_h)
        return np.asarray(np.sum(a[:, None] * np.exp(-np.outer(lam, t.ravel())), axis=0)).reshape(
            t.shape
        )

    def parameter_values(self) -> dict[str, float]:
        """Reported parameters as ``{name: value}``."""
        return {p.name: p.value for p in self.parameters}

    def standard_errors(self) -> dict[str, float]:
        """Standard errors as ``{name: SE}``."""
        return {p.name: p.standard_error for p in self.parameters}

    @property
    def effective_half_life_h(self) -> float:
        """Half-life (h) of the slowest phase, ln 2 / min(lambda); NaN for a failed fit."""
        if not self.decay_constants_per_h:
            return math.nan
        return math.log(2.0) / min(self.decay_constants_per_h)


def aicc(weighted_rss: float, n_points: int, n_parameters: int) -> float:
    """AICc with K = p + 1 (the variance counts); NaN when undefined (n <= K + 1).

    A weighted RSS below ``n (1e-12)^2`` (noise-free data) is floored there.

    Examples
    --------
    >>> round(aicc(0.02, 6, 2), 3)
    -16.223
    >>> math.isnan(aicc(0.02, 4, 2))
    True
    """
    k = n_parameters + 1
    n = n_points
    if n - k - 1 <= 0 or not math.isfinite(weighted_rss):
        return math.nan
    wrss = max(
        weighted_rss, n * EXACT_RELATIVE_RESIDUAL**2
    )  # an exact fit (noise-free data) stays finite
    return n * math.log(wrss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)


def _failed(tac: TimeActivityCurve, model: TacModel, weighting: str, message: str) -> TacFit:
    return TacFit(
        tac.region, model.name, model.formula, False, message, (), (), (), tac.n_points,
        model.n_params, weighting, (), math.nan, math.nan, math.nan, math.nan, FALLBACK, (),
    )  # fmt: skip


def _sigma(a: NDArray[np.float64], weighting: str) -> NDArray[np.float64]:
    if weighting == "uniform":
        return np.ones_like(a)
    return np.maximum(a, 0.01 * float(a.max()))


def _degenerate(
    model: TacModel, theta: NDArray[np.float64], top: float, lp: float, t: NDArray[np.float64]
) -> str | None:
    if any(theta[i] < 1e-6 * top for i in model.amplitude_index):
        return "an amplitude is zero: the model collapses to a simpler one"
    rate_gaps = {"bi_exponential": (3,), "uptake_washout": (2,), "tri_exponential": (3, 4)}
    for i in rate_gaps.get(model.name, ()):
        if theta[i] < 1e-7:
            return "two phases share one decay constant: the model collapses to a simpler one"
        if theta[i] > 0.999 * _RATE_MAX:
            return "a phase is instantaneous: the model collapses to a simpler one"
    if model.phase_seen_once(theta, lp, t):
        return (
            f"a phase is below {100 * VISIBLE:g} % of the curve at every time point but one: "
            "its amplitude and rate cannot both be estimated from one value"
        )
    _, lams = model.terms(theta, lp)
    if float(np.max(lams)) * float(t[0]) > 7.0:
        return (
            "the fastest phase is over before the first time point "
            f"(lambda t1 = {float(np.max(lams)) * float(t[0]):.1f} > 7): it cannot be identified"
        )
    return None


def fit_tac(
    tac: TimeActivityCurve, model: str = "mono_exponential", *, weighting: str = "relative"
) -> TacFit:
    """Fit one model to a time-activity curve; never raises for ill-posed data.

    Parameters
    ----------
    tac
        The curve (activities as measured, MBq).
    model
        One of :data:`MODEL_NAMES`.
    weighting
        ``"relative"`` (sigma proportional to the activity) or ``"uniform"``.

    Raises
    ------
    ParameterError
        Only for an unknown model or weighting name (a programming error, not bad data).
    """
    if model not in MODELS:
        raise ParameterError(
            f"unknown fit model {model!r}", field="model", hint=f"use one of {MODEL_NAMES}"
        )
    if weighting not in ("relative", "uniform"):
        raise ParameterError(f"unknown weighting {weighting!r}", field="weighting")
    spec = MODELS[model]
    t, a, lp = tac.t, tac.a, tac.physical_decay_per_h
    n, p = tac.n_points, spec.n_params
    if n < p:
        return _failed(tac, spec, weighting, f"too few points: {n} for {p} parameters")
    if float(a.max()) <= 0:
        return _failed(tac, spec, weighting, "no activity above zero")
    if not tac.is_decaying():
        return _failed(
            tac, spec, weighting,
            "non-decaying data: the last activity is not below the earlier maximum, "
            "so no washout can be estimated",
        )  # fmt: skip
    sigma = _sigma(a, weighting)
    top = float(a.max())
    solution = solve(spec, t, a, lp, sigma, reweight=weighting == "relative")
    theta = solution.theta
    if solution.status <= 0 or not np.all(np.isfinite(theta)):
        return _failed(tac, spec, weighting, f"optimizer failed: {solution.message}")
    reason = _degenerate(spec, theta, top, lp, t)
    if reason is not None:
        return _failed(tac, spec, weighting, reason)
    wrss = solution.weighted_rss
    dof = n - p
    jac = solution.weighted_jacobian
    cov = wrss / dof * np.linalg.pinv(jac.T @ jac) if dof > 0 else np.full((p, p), math.nan)
    m_rep, c_rep = spec.report(lp)
    values = m_rep @ theta + c_rep
    se = np.sqrt(np.clip(np.diag(m_rep @ cov @ m_rep.T), 0.0, None))
    tia, grad = spec.tia_and_gradient(theta, lp)
    tia_se = float(math.sqrt(max(float(grad @ cov @ grad), 0.0))) if dof > 0 else math.nan
    warnings: list[str] = []
    if dof == 0:
        warnings.append("exactly determined (no residual degrees of freedom): no standard errors")
    if theta[1 if model == "mono_exponential" else 2] < 1e-7 and model != "uptake_washout":
        warnings.append("slowest phase at the physical-decay bound: no biological washout")
    for label, value, error in zip(spec.labels, values, se, strict=True):
        if dof > 0 and value > 0 and error / value > _REL_SE_WARN:
            warnings.append(f"{label} poorly determined (SE {100 * error / value:.0f} %)")
    amps, lams = spec.terms(theta, lp)
    return TacFit(
        region=tac.region,
        model=model,
        formula=spec.formula,
        success=True,
        message="converged",
        parameters=tuple(
            FitParameter(lab, float(v), float(s) if dof > 0 else math.nan)
            for lab, v, s in zip(spec.labels, values, se, strict=True)
        ),
        amplitudes_mbq=tuple(float(x) for x in amps),
        decay_constants_per_h=tuple(float(x) for x in lams),
        n_points=n,
        n_parameters=p,
        weighting=weighting,
        residuals_mbq=tuple(float(r) for r in solution.weighted_residuals * solution.sigma),
        weighted_rss=wrss,
        aicc=aicc(wrss, n, p),
        tia_mbq_h=tia,
        tia_se_mbq_h=tia_se,
        fallback=None,
        warnings=tuple(warnings),
    )
