"""Regression fits for outcome models, with lesions clustered within patients.

Three estimators, all from statsmodels (Seabold & Perktold 2010):

- ``gee``: generalised estimating equations (Liang & Zeger 1986, Biometrika 73:13-22) with
  an exchangeable working correlation within each patient and the robust (sandwich)
  covariance; Gaussian family (identity link) for a continuous outcome, binomial (logit)
  for a binary one. The population-averaged effect the Bordet lesion-level analysis needs.
- ``mixed``: linear mixed model with a random intercept per patient (REML), continuous
  outcomes only.
- ``glm``: ordinary GLM (one observation per patient: the patient-level model).

Confidence intervals and p-values are Wald (normal) intervals. Odds ratios are reported for
binary outcomes. A fit that fails (singular design, perfect separation, no convergence)
returns a :class:`ModelFit` with ``ok = False`` and the reason, it does not raise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from theratrial.errors import ParameterError

__all__ = ["Coefficient", "Family", "Method", "ModelFit", "fit_model", "predict"]

Family = Literal["gaussian", "binomial"]
Method = Literal["gee", "mixed", "glm"]


@dataclass(frozen=True, slots=True)
class Coefficient:
    """One model term.

    Attributes
    ----------
    term
        ``intercept`` or the predictor's column name.
    estimate, std_error, ci_low, ci_high, p_value
        Coefficient (outcome units per predictor unit, or per SD when standardised; log-odds
        for a binary outcome), its SE, Wald interval and p-value.
    odds_ratio, odds_ratio_ci
        exp(estimate) and its interval (binary outcomes only).
    """

    term: str
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    odds_ratio: float | None = None
    odds_ratio_ci: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class ModelFit:
    """A fitted model (or a failed fit that says why).

    Attributes
    ----------
    ok
        False when the fit failed; then ``coefficients`` is empty and ``message`` says why.
    method, family, correlation
        Estimator (gee, mixed, glm), family and working correlation (GEE).
    n_obs, n_clusters
        Observations and clusters (patients) used.
    coefficients
        Intercept first, then the predictors.
    converged
        False when the optimiser reported non-convergence or perfect separation (the
        estimates are then unreliable or not identified).
    notes
        Warnings raised during the fit (deduplicated).
    params
        The coefficient vector (for :func:`predict`).
    """

    ok: bool
    method: str
    family: str
    correlation: str | None
    n_obs: int
    n_clusters: int
    coefficients: tuple[Coefficient, ...]
    converged: bool
    message: str | None
    notes: tuple[str, ...]
    params: tuple[float, ...]

    def term(self, name: str) -> Coefficient:
        """The coefficient of ``name``."""
        for coefficient in self.coefficients:
            if coefficient.term == name:
                return coefficient
        raise KeyError(name)


def predict(fit: ModelFit, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Predictions on the response scale (probabilities for binomial) for rows of ``x``.

    ``x`` holds the predictors only (no intercept column), scaled as in the fit.
    """
    if not fit.ok:
        return np.full(x.shape[0], np.nan)
    params = np.asarray(fit.params, dtype=np.float64)
    eta = params[0] + np.asarray(x, dtype=np.float64) @ params[1:]
    if fit.family == "binomial":
        return np.asarray(1.0 / (1.0 + np.exp(-eta)), dtype=np.float64)
    return np.asarray(eta, dtype=np.float64)


def _failed(
    method: str, family: str, n: int, n_clusters: int, message: str, notes: Sequence[str] = ()
) -> ModelFit:
    return ModelFit(
        ok=False,
        method=method,
        family=family,
        correlation="exchangeable" if method == "gee" else None,
        n_obs=n,
        n_clusters=n_clusters,
        coefficients=(),
        converged=False,
        message=message,
        notes=tuple(notes),
        params=(),
    )


def _run(method: Method, family: Family, y: Any, exog: Any, groups: Any) -> Any:
    from statsmodels.genmod import cov_struct, families
    from statsmodels.genmod.generalized_estimating_equations import GEE
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.regression.mixed_linear_model import MixedLM

    fam = families.Binomial() if family == "binomial" else families.Gaussian()
    if method == "gee":
        model = GEE(y, exog, groups=groups, family=fam, cov_struct=cov_struct.Exchangeable())
        return model.fit(maxiter=200)
    if method == "mixed":
        return MixedLM(y, exog, groups=groups).fit(reml=True)
    return GLM(y, exog, family=fam).fit()


def fit_model(
    y: NDArray[np.float64],
    x: NDArray[np.float64],
    *,
    names: Sequence[str],
    family: Family,
    method: Method = "gee",
    groups: Sequence[str] | NDArray[Any] | None = None,
    confidence: float = 0.95,
) -> ModelFit:
    """Fit one regression of ``y`` on the columns of ``x`` (an intercept is added).

    Parameters
    ----------
    y
        Outcome (0/1 for binomial), complete.
    x
        ``n x p`` predictors, complete.
    names
        Names of the ``p`` predictors.
    family
        ``gaussian`` or ``binomial``.
    method
        ``gee`` (needs ``groups``), ``mixed`` (gaussian, needs ``groups``) or ``glm``.
    groups
        Cluster label of each row (the patient).
    confidence
        Level of the Wald intervals.

    Returns
    -------
    ModelFit

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 1)); g = np.repeat(np.arange(20), 3)
    >>> y = 1.0 + 2.0 * x[:, 0] + rng.normal(scale=0.1, size=60)
    >>> fit = fit_model(y, x, names=["dose_gy"], family="gaussian", groups=g)
    >>> round(fit.term("dose_gy").estimate, 1), fit.n_clusters
    (2.0, 20)
    """
    if method not in ("gee", "mixed", "glm"):
        raise ParameterError(f"unknown method {method!r}", field="method", hint="gee, mixed, glm")
    if family not in ("gaussian", "binomial"):
        raise ParameterError(f"unknown family {family!r}", field="family")
    if method == "mixed" and family == "binomial":
        raise ParameterError(
            "the mixed model is for continuous outcomes",
            field="method",
            hint="use GEE for a binary outcome",
        )
    if method != "glm" and groups is None:
        raise ParameterError(f"{method} needs the cluster of each row", field="groups")
    yv = np.asarray(y, dtype=np.float64)
    xv = np.asarray(x, dtype=np.float64).reshape(len(yv), -1)
    if xv.shape[1] != len(names):
        raise ParameterError(f"{len(names)} names for {xv.shape[1]} columns", field="names")
    grp = None if groups is None else np.asarray([str(g) for g in groups])
    n_clusters = len(yv) if grp is None else len(set(grp.tolist()))
    if len(yv) <= xv.shape[1] + 1:
        return _failed(method, family, len(yv), n_clusters, "fewer observations than terms")
    if family == "binomial" and len(set(yv.tolist())) < 2:
        return _failed(method, family, len(yv), n_clusters, "the outcome has one class only")
    if np.any(np.ptp(xv, axis=0) == 0):
        const = [n for n, c in zip(names, np.ptp(xv, axis=0) == 0, strict=True) if c]
        return _failed(method, family, len(yv), n_clusters, f"constant predictor: {const[0]}")
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    exog = np.column_stack([np.ones(len(yv)), xv])
    failures = (
        np.linalg.LinAlgError,
        ValueError,
        ZeroDivisionError,
        OverflowError,
        PerfectSeparationError,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _run(method, family, yv, exog, grp)
        except failures as exc:
            return _failed(method, family, len(yv), n_clusters, f"fit failed: {exc}")
    notes = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    converged = not any(
        "converge" in str(w.message).lower() or "separation" in str(w.message).lower()
        for w in caught
    )
    if method == "mixed":
        converged = converged and bool(getattr(result, "converged", True))
    params = np.asarray(result.params, dtype=np.float64)[: exog.shape[1]]
    bse = np.asarray(result.bse, dtype=np.float64)[: exog.shape[1]]
    if not np.all(np.isfinite(params)):
        return _failed(method, family, len(yv), n_clusters, "non-finite estimates", notes)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    coefficients: list[Coefficient] = []
    for name, b, se in zip(("intercept", *names), params, bse, strict=True):
        p = float(2.0 * stats.norm.sf(abs(b / se))) if se > 0 else float("nan")
        low, high = float(b - z * se), float(b + z * se)
        odds = odds_ci = None
        if family == "binomial":
            odds = _safe_exp(float(b))
            odds_ci = (_safe_exp(low), _safe_exp(high))
        coefficients.append(Coefficient(name, float(b), float(se), low, high, p, odds, odds_ci))
    return ModelFit(
        ok=True,
        method=method,
        family=family,
        correlation="exchangeable" if method == "gee" else None,
        n_obs=len(yv),
        n_clusters=n_clusters,
        coefficients=tuple(coefficients),
        converged=converged,
        message=None,
        notes=notes,
        params=tuple(float(p) for p in params),
    )


def _safe_exp(value: float) -> float:
    return math.exp(value) if value < 700 else math.inf
