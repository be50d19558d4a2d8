"""Outcome models: lesion outcome (or patient response) against imaging and dose predictors.

The Bordet 177Lu-octreotate trial asks whether baseline 68Ga-octreotate SUV, FDG SUV, ADC
and the absorbed dose per cycle predict each lesion's outcome (change in longest diameter,
or responder yes/no at a stated threshold), and wants a patient-level response model.

:func:`analyse_lesions` fits, for lesions clustered within patients:

- univariable models (one per predictor) and a multivariable model (all predictors) by GEE
  with exchangeable correlation (or a random-intercept mixed model for a continuous
  outcome), see :mod:`theratrial.stats.regression`;
- for a binary outcome: apparent ROC AUC of the multivariable model and of each predictor
  with patient-level bootstrap intervals (:mod:`theratrial.stats.discrimination`);
- cross-validation with folds grouped by patient (:mod:`theratrial.stats.crossval`):
  AUC and Brier score, or RMSE and R^2; calibration of the out-of-fold probabilities.

Rows with a missing outcome or predictor are left out of the models that need them
(complete cases, counted in ``n_excluded``). With ``standardize`` every coefficient is per
standard deviation of its predictor (SD over the non-missing values), which makes the
effect plot comparable across predictors. A binary outcome with fewer than 10 events per
predictor (Peduzzi et al. 1996, :mod:`theratrial.stats.epv`) carries a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from theratrial.errors import ParameterError, TableError
from theratrial.stats._table import numeric_column, require_columns, text_column
from theratrial.stats.crossval import CrossValidation, cross_validate
from theratrial.stats.discrimination import (
    AucEstimate,
    Calibration,
    RocCurve,
    auc_estimate,
    calibration,
    roc_curve_points,
)
from theratrial.stats.epv import EventsPerVariable, events_per_variable
from theratrial.stats.outcome_definition import OutcomeDefinition, outcome_values
from theratrial.stats.regression import Family, Method, ModelFit, fit_model, predict

__all__ = [
    "OutcomeAnalysis",
    "PredictorAuc",
    "analyse_lesions",
    "analyse_outcome",
]


@dataclass(frozen=True, slots=True)
class PredictorAuc:
    """Apparent AUC of one predictor's univariable model."""

    predictor: str
    auc: AucEstimate


@dataclass(frozen=True, slots=True)
class OutcomeAnalysis:
    """Univariable and multivariable results, discrimination and cross-validation.

    Attributes
    ----------
    level
        ``lesion`` (clustered by patient) or ``patient``.
    outcome, predictors, method, family, standardized, predictor_sd
        What was fitted (``predictor_sd``: the SD used for standardisation).
    n_rows, n_obs, n_clusters, n_excluded
        Table rows, rows in the multivariable model, its patients, rows left out.
    univariable
        One fit per predictor (intercept and that predictor).
    multivariable
        The fit with all predictors.
    apparent_auc, predictor_auc, roc
        Binary outcome: AUC of the multivariable model and of each predictor (bootstrap
        intervals over patients) and the apparent ROC curve.
    apparent_r2, apparent_rmse
        Continuous outcome: in-sample R^2 and RMSE (outcome units).
    cross_validation, calibration, roc_cross_validated
        Out-of-fold performance, calibration and ROC curve of the out-of-fold predictions.
    observed, fitted, clusters
        Per row of the multivariable model: outcome, apparent prediction, patient.
    events_per_variable
        Binary outcome: events per predictor of the multivariable model (Peduzzi 1996).
    warnings
        What the user should know about the fit (too few events per predictor).
    """

    level: str
    outcome: OutcomeDefinition
    predictors: tuple[str, ...]
    method: str
    family: str
    standardized: bool
    predictor_sd: tuple[float, ...]
    n_rows: int
    n_obs: int
    n_clusters: int
    n_excluded: int
    univariable: tuple[ModelFit, ...]
    multivariable: ModelFit
    apparent_auc: AucEstimate | None
    predictor_auc: tuple[PredictorAuc, ...]
    roc: RocCurve | None
    apparent_r2: float | None
    apparent_rmse: float | None
    cross_validation: CrossValidation | None
    calibration: Calibration | None
    roc_cross_validated: RocCurve | None
    observed: tuple[float, ...]
    fitted: tuple[float, ...]
    clusters: tuple[str, ...]
    events_per_variable: EventsPerVariable | None = None
    warnings: tuple[str, ...] = ()


def analyse_outcome(
    frame: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    cluster: str | None,
    threshold: float | None = None,
    below: bool = True,
    positive_labels: Sequence[str] = (),
    method: Method | None = None,
    standardize: bool = False,
    n_bootstrap: int = 1000,
    n_folds: int = 5,
    seed: int = 0,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> OutcomeAnalysis:
    """Fit and evaluate an outcome model; the engine of the lesion and patient analyses.

    Parameters
    ----------
    frame
        One row per lesion (``cluster`` names the patient column) or per patient
        (``cluster=None``).
    outcome, threshold, below, positive_labels
        The outcome (see :func:`~theratrial.stats.outcome_definition.outcome_values`).
    predictors
        Numeric predictor columns.
    method
        ``gee`` (default with clusters), ``mixed`` or ``glm`` (default without).
    standardize
        Coefficients per SD of each predictor.
    n_bootstrap, n_folds, seed, confidence
        Bootstrap replicates for the AUC intervals, cross-validation folds, random seed,
        interval level.
    progress
        ``progress(done, total)`` over the fits, folds and bootstrap replicates.

    Returns
    -------
    OutcomeAnalysis

    Raises
    ------
    TableError
        A missing column, a non-numeric predictor value (row and column named), an empty
        patient id, too few complete rows.
    ParameterError
        No predictor, a predictor named twice, the mixed model for a binary outcome.
    """
    if not predictors:
        raise ParameterError("name at least one predictor", field="predictors")
    if len(set(predictors)) != len(predictors):
        raise ParameterError("a predictor is named twice", field="predictors")
    if outcome in predictors:
        raise ParameterError("the outcome cannot also be a predictor", field="predictors")
    if frame.empty:
        raise TableError(
            "the table has no rows",
            file=frame.attrs.get("file"),
            hint="add one row per lesion (or patient) below the header",
        )
    wanted = [*predictors] + ([cluster] if cluster else [])
    cols = require_columns(frame, wanted, what="the outcome model")
    y, definition = outcome_values(
        frame, outcome, threshold=threshold, below=below, positive_labels=positive_labels
    )
    family: Family = "binomial" if definition.kind == "binary" else "gaussian"
    chosen: Method = method if method is not None else ("gee" if cluster else "glm")
    if chosen != "glm" and cluster is None:
        raise ParameterError(f"{chosen} needs a patient column", field="method")
    if chosen == "mixed" and family == "binomial":
        raise ParameterError(
            "the mixed model is for a continuous outcome",
            field="method",
            hint="use gee for a binary outcome",
        )
    x = np.column_stack([numeric_column(frame, cols[p]) for p in predictors])
    groups = np.asarray(text_column(frame, cols[cluster])) if cluster else None
    sd = np.ones(len(predictors))
    if standardize:
        sd = np.asarray([np.nanstd(x[:, j], ddof=1) for j in range(x.shape[1])])
        sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        x = x / sd
    n_boot_total = n_bootstrap * ((1 + len(predictors)) if family == "binomial" else 0)
    total = len(predictors) + 1 + n_folds + n_boot_total
    state = {"done": 0}

    def step(count: int = 1) -> None:
        state["done"] += count
        if progress is not None:
            progress(min(state["done"], total), total)

    def nested(_done: int, _total: int) -> None:
        step()

    univariable: list[ModelFit] = []
    predictor_auc: list[PredictorAuc] = []
    for j, name in enumerate(predictors):
        ok = np.isfinite(y) & np.isfinite(x[:, j])
        fit = fit_model(
            y[ok],
            x[ok, j : j + 1],
            names=[name],
            family=family,
            method=chosen,
            groups=None if groups is None else groups[ok],
        )
        univariable.append(fit)
        step()
        if family == "binomial" and fit.ok and ok.sum() >= 2:
            scores = predict(fit, x[ok, j : j + 1])
            est = auc_estimate(
                y[ok],
                scores,
                clusters=None if groups is None else groups[ok],
                n_bootstrap=n_bootstrap,
                seed=seed,
                confidence=confidence,
                progress=nested,
            )
            predictor_auc.append(PredictorAuc(name, est))
    complete = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    n_obs = int(complete.sum())
    if n_obs < len(predictors) + 2:
        raise TableError(
            f"{n_obs} complete rows for {len(predictors)} predictors: too few to fit",
            file=frame.attrs.get("file"),
            field=outcome,
            hint="fill in the missing values or use fewer predictors",
        )
    yc, xc = y[complete], x[complete]
    epv = events_per_variable(yc, len(predictors)) if family == "binomial" else None
    gc = None if groups is None else groups[complete]
    multi = fit_model(yc, xc, names=list(predictors), family=family, method=chosen, groups=gc)
    step()
    fitted = predict(multi, xc)
    apparent = roc = roc_cv = cal = None
    r2 = rmse = None
    if multi.ok and family == "binomial":
        apparent = auc_estimate(
            yc,
            fitted,
            clusters=gc,
            n_bootstrap=n_bootstrap,
            seed=seed,
            confidence=confidence,
            progress=nested,
        )
        if apparent.auc is not None:
            roc = roc_curve_points(yc, fitted)
    elif multi.ok:
        resid = yc - fitted
        rmse = float(np.sqrt(np.mean(resid**2)))
        sst = float(np.sum((yc - yc.mean()) ** 2))
        r2 = 1.0 - float(np.sum(resid**2)) / sst if sst > 0 else None
    cv: CrossValidation | None = None
    n_units = len(set(gc.tolist())) if gc is not None else n_obs
    if n_units >= 2 and n_folds >= 2:
        cv = cross_validate(
            yc,
            xc,
            names=list(predictors),
            family=family,
            method=chosen,
            groups=gc,
            n_folds=n_folds,
            seed=seed,
            progress=nested,
        )
        if family == "binomial":
            pred = np.asarray(cv.predictions)
            ok = np.isfinite(pred)
            if ok.sum() >= 2 and 0.0 < yc[ok].mean() < 1.0:
                cal = calibration(yc[ok], pred[ok])
                roc_cv = roc_curve_points(yc[ok], pred[ok])
    if progress is not None:
        progress(total, total)
    return OutcomeAnalysis(
        level="lesion" if cluster else "patient",
        outcome=definition,
        predictors=tuple(predictors),
        method=chosen,
        family=family,
        standardized=standardize,
        predictor_sd=tuple(float(v) for v in sd),
        n_rows=len(frame),
        n_obs=n_obs,
        n_clusters=multi.n_clusters if multi.ok else n_units,
        n_excluded=len(frame) - n_obs,
        univariable=tuple(univariable),
        multivariable=multi,
        apparent_auc=apparent,
        predictor_auc=tuple(predictor_auc),
        roc=roc,
        apparent_r2=r2,
        apparent_rmse=rmse,
        cross_validation=cv,
        calibration=cal,
        roc_cross_validated=roc_cv,
        observed=tuple(float(v) for v in yc),
        fitted=tuple(float(v) for v in fitted),
        clusters=tuple(gc.tolist()) if gc is not None else (),
        events_per_variable=epv,
        warnings=(epv.warning,) if epv is not None and epv.warning else (),
    )


def analyse_lesions(
    frame: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    patient: str = "patient",
    threshold: float | None = None,
    below: bool = True,
    positive_labels: Sequence[str] = (),
    method: Method = "gee",
    standardize: bool = False,
    n_bootstrap: int = 1000,
    n_folds: int = 5,
    seed: int = 0,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> OutcomeAnalysis:
    """Lesion-level outcome model, lesions clustered within patients (GEE by default).

    Parameters
    ----------
    frame
        One row per lesion with the patient id, the outcome and the predictors (e.g.
        ``ga68_suvmax``, ``fdg_suvmax``, ``adc_mean``, ``dose_gy_cycle1``,
        ``dose_gy_cumulative``).
    outcome
        Outcome column: change in longest diameter (continuous), or with ``threshold``
        (e.g. -30 with ``below``: responder when <= -30 %) a binary responder; a 0/1
        column is binary.
    predictors
        Predictor columns.
    patient
        Patient id column (the cluster).
    threshold, below, positive_labels, method, standardize, n_bootstrap, n_folds, seed,
    confidence, progress
        As for :func:`analyse_outcome`; ``method`` is ``gee`` or ``mixed``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> dose = rng.uniform(5, 60, 90)
    >>> df = pd.DataFrame({"patient": np.repeat([f"P{i}" for i in range(30)], 3),
    ...                    "dose_gy": dose,
    ...                    "change_pct": 10 - 1.0 * dose + rng.normal(0, 8, 90)})
    >>> res = analyse_lesions(df, outcome="change_pct", predictors=["dose_gy"],
    ...                       n_bootstrap=0, n_folds=3)
    >>> res.family, round(res.multivariable.term("dose_gy").estimate)
    ('gaussian', -1)
    """
    if method == "glm":
        raise ParameterError(
            "lesions are clustered within patients",
            field="method",
            hint="use gee or mixed for lesion-level data",
        )
    return analyse_outcome(
        frame,
        outcome=outcome,
        predictors=predictors,
        cluster=patient,
        threshold=threshold,
        below=below,
        positive_labels=positive_labels,
        method=method,
        standardize=standardize,
        n_bootstrap=n_bootstrap,
        n_folds=n_folds,
        seed=seed,
        confidence=confidence,
        progress=progress,
    )
