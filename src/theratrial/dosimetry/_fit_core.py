"""Bounded multi-start least squares for the time-activity models (private to ``fit``).

Each start runs a projected Levenberg-Marquardt search with the analytic Jacobian (fast
for these 2-5 parameter problems), falling back to :func:`scipy.optimize.least_squares`
(trust-region reflective, bounded) when it does not converge. Starts come best-first
(curve stripping, :mod:`._fit_starts`); the search stops as soon as a fit is exact
(noise-free data of the model's shape) or a second start converges to the optimum already
found, so that well-posed curves cost one or two local searches instead of the whole
grid. A mono-exponential that the log-linear closed form fits exactly needs none.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from theratrial.dosimetry._fit_starts import initial_guesses
from theratrial.dosimetry._models import TacModel

__all__ = ["EXACT_FIT_RMS", "Solution", "levenberg_marquardt", "solve"]

MAX_EVALUATIONS = 500
RATE_MAX = 20.0  # 1/h: half-life of 2 min, faster than any imaged phase
EXACT_FIT_RMS = 1e-9
"""Weighted root-mean-square residual below which a fit reproduces the data exactly."""
_SAME_OPTIMUM = 1e-7  # relative difference of the cost of two starts at one optimum
_LM_ITERATIONS = 100
_FTOL = 1e-10  # relative cost decrease that ends the search
_XTOL = 1e-10  # relative parameter change that ends the search
_REWEIGHTINGS = 3

ResidualsAndJacobian = Callable[
    [NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]
]


def levenberg_marquardt(
    fun: ResidualsAndJacobian,
    x0: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    *,
    floor: float = 0.0,
) -> tuple[NDArray[np.float64], bool]:
    """Projected Levenberg-Marquardt with Marquardt's diagonal scaling, for tiny problems.

    Levenberg (1944), Marquardt (1963); steps are clipped to the box, as in projected
    Gauss-Newton methods (Kelley, Iterative Methods for Optimization, SIAM 1999, ch. 5).
    Returns the point and whether it converged (relative cost change below 1e-10, a
    vanishing step, or a cost at or below ``floor``); the caller falls back to
    :func:`scipy.optimize.least_squares` otherwise.
    """
    # small dense arrays: ndarray methods and ufuncs, not the np.* wrappers (call overhead)
    x = np.minimum(np.maximum(x0, lower), upper)
    r, jac = fun(x)
    cost = float(r @ r)
    mu = 1e-3
    for _ in range(_LM_ITERATIONS):
        if cost <= floor:
            return x, True
        g = jac.T @ r
        # active set: parameters held at a bound that the gradient pushes against
        free = ~(((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0)))
        every = bool(free.all())
        if not every and not free.any():
            return x, True
        jf = jac if every else jac[:, free]
        a = jf.T @ jf
        diagonal = a.diagonal()
        d = np.maximum(diagonal, 1e-30 * (float(diagonal.max()) + 1e-300))
        rhs = -g if every else -g[free]
        while True:
            damped = a.copy()
            damped.flat[:: damped.shape[0] + 1] += mu * d
            try:
                solved = np.linalg.solve(damped, rhs)
            except np.linalg.LinAlgError:
                solved = np.full(rhs.shape, np.nan)
            if every:
                step = solved
            else:
                step = np.zeros_like(x)
                step[free] = solved
            x_new = np.minimum(np.maximum(x + step, lower), upper)
            if np.isfinite(x_new).all():
                r_new, jac_new = fun(x_new)
                cost_new = float(r_new @ r_new)
                if math.isfinite(cost_new) and cost_new < cost:
                    break
            mu *= 4.0
            if mu > 1e20:
                return x, True  # no descent left: a (possibly bounded) minimum
        moved = float((np.abs(x_new - x) / (np.abs(x) + 1e-12)).max())
        gain = cost - cost_new
        x, r, jac, cost = x_new, r_new, jac_new, cost_new
        mu = max(mu * 0.25, 1e-12)
        if gain <= _FTOL * cost or moved < _XTOL:
            return x, True
    return x, False


@dataclass(frozen=True, slots=True)
class Solution:
    """Best least-squares solution over the starts tried.

    ``weighted_residuals`` and ``weighted_jacobian`` are divided by ``sigma`` (the weights
    finally used); ``status`` > 0 means converged (scipy's code when its solver ran);
    ``solver_calls`` counts the local searches (0 for the closed form).
    """

    theta: NDArray[np.float64]
    weighted_residuals: NDArray[np.float64]
    weighted_jacobian: NDArray[np.float64]
    sigma: NDArray[np.float64]
    status: int
    message: str
    solver_calls: int

    @property
    def weighted_rss(self) -> float:
        """Weighted residual sum of squares."""
        return float(self.weighted_residuals @ self.weighted_residuals)


def bounds(
    spec: TacModel, top: float, lp: float, t_last: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower (0) and upper bounds of the internal parameters (amplitudes, rate gaps)."""
    amp_max = 1e4 * top * math.exp(lp * t_last)
    upper = np.array(
        [amp_max if i in spec.amplitude_index else RATE_MAX for i in range(spec.n_params)]
    )
    return np.zeros(spec.n_params), upper


def _closed_form_mono(
    spec: TacModel, t: NDArray[np.float64], a: NDArray[np.float64], lp: float,
    sigma: NDArray[np.float64], start: NDArray[np.float64],
) -> Solution | None:  # fmt: skip
    """The log-linear start when it reproduces the data exactly (no solver needed)."""
    if spec.name != "mono_exponential" or start[1] <= 0:
        return None
    value, jac = spec.activity_and_jacobian(start, lp, t)
    res = (value - a) / sigma
    if math.sqrt(float(res @ res) / t.size) > EXACT_FIT_RMS:
        return None
    return Solution(start, res, jac / sigma[:, None], sigma, 1, "closed form (log-linear)", 0)


def _run(
    spec: TacModel, t: NDArray[np.float64], a: NDArray[np.float64], lp: float,
    sigma: NDArray[np.float64], x0: NDArray[np.float64],
    box: tuple[NDArray[np.float64], NDArray[np.float64]], floor: float,
) -> Solution:  # fmt: skip
    """One start: Levenberg-Marquardt, then scipy's trust-region reflective if needed."""

    def fun(theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        value, jac = spec.activity_and_jacobian(theta, lp, t)
        return (value - a) / sigma, jac / sigma[:, None]

    x, converged = levenberg_marquardt(fun, x0, box[0], box[1], floor=floor)
    if converged or spec.phase_seen_once(x, lp, t):
        # a phase fixed by one time point slides along a valley towards the rate bound:
        # no solver converges there, and ``fit_tac`` rejects the point as not identifiable
        r, jac = fun(x)
        return Solution(x, r, jac, sigma, 1, "converged", 0)
    result = least_squares(lambda th: fun(th)[0], np.clip(x, box[0] + 1e-9, box[1] * 0.999),
                           jac=lambda th: fun(th)[1], bounds=box, x_scale="jac", method="trf",
                           max_nfev=MAX_EVALUATIONS)  # fmt: skip
    x = np.asarray(result.x, dtype=np.float64)
    r, jac = fun(x)
    return Solution(x, r, jac, sigma, int(result.status), str(result.message), 1)


def solve(
    spec: TacModel,
    t: NDArray[np.float64],
    a: NDArray[np.float64],
    lp: float,
    sigma: NDArray[np.float64],
    *,
    reweight: bool = False,
) -> Solution:
    """Fit ``spec`` to ``(t, a)`` with weights ``1/sigma`` from several analytic starts.

    ``reweight``: iterate the weights to the fitted curve (sigma proportional to the model,
    floored at 1 % of its maximum) until they settle, i.e. iteratively reweighted least
    squares for a constant coefficient of variation (Carroll & Ruppert, Transformation and
    Weighting in Regression, Chapman & Hall 1988, ch. 2). Weights taken from the noisy data
    themselves bias the fit low by about twice the squared CV (0.5 % at 5 % noise).
    """
    starts = initial_guesses(spec.name, t, a, lp)
    exact = _closed_form_mono(spec, t, a, lp, sigma, starts[0]) if starts else None
    if exact is not None:
        return exact
    box = bounds(spec, float(a.max()), lp, float(t[-1]))
    floor = t.size * EXACT_FIT_RMS**2
    best: Solution | None = None
    calls = 0
    for start in starts:
        found = _run(spec, t, a, lp, sigma, start, box, floor)
        calls += 1
        if best is not None and abs(found.weighted_rss - best.weighted_rss) <= (
            _SAME_OPTIMUM * found.weighted_rss + floor
        ):
            break  # a second start reached the optimum already found
        if best is None or found.weighted_rss < best.weighted_rss:
            best = found
        if best.weighted_rss <= floor:
            break  # exact fit: no better optimum exists
    assert best is not None
    for _ in range(_REWEIGHTINGS if reweight else 0):
        model = spec.activity_and_jacobian(best.theta, lp, t)[0]
        new_sigma = np.maximum(model, 0.01 * float(np.max(model)))
        if not np.all(new_sigma > 0) or np.allclose(new_sigma, best.sigma, rtol=1e-6, atol=0):
            break
        best = _run(spec, t, a, lp, new_sigma, best.theta, box, floor)
        calls += 1
    return Solution(best.theta, best.weighted_residuals, best.weighted_jacobian, best.sigma,
                    best.status, best.message, calls)  # fmt: skip
