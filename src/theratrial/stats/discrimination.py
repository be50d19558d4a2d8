"""Discrimination and calibration of a binary outcome model: ROC AUC and calibration.

- ROC curve and area under it (scikit-learn ``roc_curve`` / ``roc_auc_score``; ties count
  one half, i.e. the Mann-Whitney statistic; Hanley & McNeil 1982, Radiology 143:29-36).
- Confidence interval of the AUC by the percentile bootstrap over clusters: whole patients
  are resampled with replacement, so that lesions of one patient stay together (Field &
  Welsh 2007, J R Stat Soc B 69:369-390). Seeded; replicates with one class only are
  skipped and counted.
- Calibration: observed fraction against mean predicted probability in quantile bins, the
  calibration intercept (calibration-in-the-large: logistic model with the logit of the
  prediction as offset) and slope (logistic regression of the outcome on that logit; Cox
  1958, Biometrika 45:562-565), and the Brier score.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.errors import ParameterError, TableError

__all__ = [
    "AucEstimate",
    "Calibration",
    "RocCurve",
    "auc_estimate",
    "calibration",
    "roc_curve_points",
]


@dataclass(frozen=True, slots=True)
class RocCurve:
    """False- and true-positive rates at each threshold of the score."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    thresholds: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class AucEstimate:
    """ROC AUC with its cluster-bootstrap percentile interval.

    Attributes
    ----------
    auc
        Area under the ROC curve (None when one class only).
    ci_low, ci_high
        Percentile bootstrap interval (None without replicates).
    n_bootstrap
        Replicates used (those with both classes).
    n_obs, n_positive, n_clusters
        Data size.
    """

    auc: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    n_bootstrap: int
    n_obs: int
    n_positive: int
    n_clusters: int


@dataclass(frozen=True, slots=True)
class Calibration:
    """Calibration of predicted probabilities.

    Attributes
    ----------
    predicted, observed, counts
        Per quantile bin: mean prediction, observed fraction, size.
    intercept
        Calibration-in-the-large (0 when well calibrated).
    slope
        Calibration slope (1 when well calibrated; < 1: predictions too extreme).
    brier
        Mean squared error of the probabilities.
    """

    predicted: tuple[float, ...]
    observed: tuple[float, ...]
    counts: tuple[int, ...]
    intercept: float | None
    slope: float | None
    brier: float
    n_obs: int


def _binary(y: ArrayLike, score: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    yv = np.asarray(y, dtype=np.float64).ravel()
    sv = np.asarray(score, dtype=np.float64).ravel()
    if yv.shape != sv.shape:
        raise TableError(f"{yv.size} outcomes for {sv.size} scores", field="score")
    if not np.all(np.isin(yv, (0.0, 1.0))):
        raise TableError("the outcome must be 0 or 1", field="outcome")
    if not np.all(np.isfinite(sv)):
        raise TableError("scores must be finite", field="score")
    return yv, sv


def _rank_auc(y: NDArray[np.float64], score: NDArray[np.float64]) -> float:
    """Mann-Whitney AUC from mid-ranks; equals ``roc_auc_score``, much faster for the bootstrap."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n_pos = float(y.sum())
    n_neg = float(len(y)) - n_pos
    return float((ranks[y == 1.0].sum() - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))


def roc_curve_points(y: ArrayLike, score: ArrayLike) -> RocCurve:
    """ROC curve of a score for a 0/1 outcome.

    Examples
    --------
    >>> roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).tpr
    (0.0, 0.5, 0.5, 1.0, 1.0)
    """
    from sklearn.metrics import roc_curve

    yv, sv = _binary(y, score)
    fpr, tpr, thresholds = roc_curve(yv, sv)
    return RocCurve(
        fpr=tuple(float(v) for v in fpr),
        tpr=tuple(float(v) for v in tpr),
        thresholds=tuple(float(v) if np.isfinite(v) else float("inf") for v in thresholds),
    )


def auc_estimate(
    y: ArrayLike,
    score: ArrayLike,
    *,
    clusters: Sequence[Any] | NDArray[Any] | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> AucEstimate:
    """ROC AUC with a percentile interval from a bootstrap over clusters (patients).

    Parameters
    ----------
    y, score
        0/1 outcome and the score (a predicted probability or a raw predictor).
    clusters
        Cluster of each observation (patient id); None: every observation its own cluster.
    n_bootstrap
        Replicates (0 for no interval).
    seed
        Seed of the random generator (results are reproducible).
    confidence
        Level of the interval.
    progress
        Called as ``progress(done, total)`` during the bootstrap.

    Examples
    --------
    >>> est = auc_estimate([0, 0, 1, 1, 0, 1], [0.1, 0.2, 0.7, 0.9, 0.6, 0.5], n_bootstrap=50)
    >>> round(est.auc, 3), est.n_bootstrap <= 50
    (0.889, True)
    """
    from sklearn.metrics import roc_auc_score

    if n_bootstrap < 0:
        raise ParameterError(f"n_bootstrap must be >= 0, got {n_bootstrap}", field="n_bootstrap")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence}", field="confidence")
    yv, sv = _binary(y, score)
    labels = (
        np.arange(len(yv)).astype(str)
        if clusters is None
        else np.asarray([str(c) for c in clusters])
    )
    if labels.shape != yv.shape:
        raise TableError(f"{labels.size} cluster labels for {yv.size} outcomes", field="clusters")
    uniques, inverse = np.unique(labels, return_inverse=True)
    n_pos = int(yv.sum())
    if n_pos in (0, len(yv)):
        return AucEstimate(None, None, None, confidence, 0, len(yv), n_pos, len(uniques))
    auc = float(roc_auc_score(yv, sv))
    members = [np.flatnonzero(inverse == i) for i in range(len(uniques))]
    rng = np.random.default_rng(seed)
    replicates: list[float] = []
    for rep in range(n_bootstrap):
        chosen = rng.integers(0, len(members), size=len(members))
        idx = np.concatenate([members[c] for c in chosen])
        yb = yv[idx]
        if 0.0 < yb.mean() < 1.0:
            replicates.append(_rank_auc(yb, sv[idx]))
        if progress is not None:
            progress(rep + 1, n_bootstrap)
    low = high = None
    if replicates:
        tail = 100.0 * (1.0 - confidence) / 2.0
        low, high = (float(v) for v in np.percentile(replicates, [tail, 100.0 - tail]))
    return AucEstimate(auc, low, high, confidence, len(replicates), len(yv), n_pos, len(uniques))


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-6, 1.0 - 1e-6)
    return np.asarray(np.log(q / (1.0 - q)), dtype=np.float64)


def _recalibrate(y: NDArray[np.float64], lp: NDArray[np.float64]) -> tuple[float | None, ...]:
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    out: list[float | None] = [None, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            offset_fit = GLM(y, np.ones((len(y), 1)), family=Binomial(), offset=lp).fit()
            out[0] = float(offset_fit.params[0])
            slope_fit = GLM(y, np.column_stack([np.ones(len(y)), lp]), family=Binomial()).fit()
            out[1] = float(slope_fit.params[1])
        except (np.linalg.LinAlgError, ValueError, PerfectSeparationError):
            pass
    return tuple(v if v is None or np.isfinite(v) else None for v in out)


def calibration(y: ArrayLike, probability: ArrayLike, *, n_bins: int = 10) -> Calibration:
    """Calibration table, intercept, slope and Brier score of predicted probabilities.

    Parameters
    ----------
    y
        0/1 outcome.
    probability
        Predicted probabilities (ideally out-of-sample, e.g. cross-validated).
    n_bins
        Number of quantile bins (fewer when there are few distinct predictions).

    Examples
    --------
    >>> cal = calibration([0, 0, 1, 1, 0, 1, 1, 0], [0.2, 0.1, 0.8, 0.7, 0.4, 0.6, 0.9, 0.3],
    ...                   n_bins=2)
    >>> cal.observed, round(cal.brier, 4)
    ((0.0, 1.0), 0.075)
    """
    if n_bins < 1:
        raise ParameterError(f"n_bins must be >= 1, got {n_bins}", field="n_bins")
    yv, pv = _binary(y, probability)
    if np.any((pv < 0.0) | (pv > 1.0)):
        raise TableError("probabilities must lie in [0, 1]", field="probability")
    edges = np.unique(np.quantile(pv, np.linspace(0.0, 1.0, n_bins + 1)))
    which = np.clip(np.searchsorted(edges, pv, side="right") - 1, 0, max(len(edges) - 2, 0))
    predicted, observed, counts = [], [], []
    for b in np.unique(which):
        mask = which == b
        predicted.append(float(pv[mask].mean()))
        observed.append(float(yv[mask].mean()))
        counts.append(int(mask.sum()))
    intercept = slope = None
    if 0.0 < yv.mean() < 1.0 and len(yv) >= 3:
        intercept, slope = _recalibrate(yv, _logit(pv))
    return Calibration(
        predicted=tuple(predicted),
        observed=tuple(observed),
        counts=tuple(counts),
        intercept=intercept,
        slope=slope,
        brier=float(np.mean((pv - yv) ** 2)),
        n_obs=len(yv),
    )
