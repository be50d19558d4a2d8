"""Statistics of the trials' endpoints: test-retest repeatability and outcome models.

Pure: no database, no printing. statsmodels and scikit-learn are imported when first used.

Public API
----------
Tables
    ``read_csv_table(path)``: a CSV as text cells, indexed by file line, so that errors
    name the file, line and column.
Repeatability (NCT03335670: is uptake reproducible across repeated scans?)
    ``icc(ratings, *, confidence=0.95)`` -> ``ICCTable`` of ``ICCEstimate`` (Shrout &
    Fleiss 1979 forms, McGraw & Wong 1996 intervals); ``anova_mean_squares``.
    ``bland_altman(first, second, *, scale="absolute"|"percent"|"ratio")`` ->
    ``BlandAltman``.
    ``repeatability(values)`` -> ``RepeatabilityResult`` (wSD, wCV, RC, ICC, Bland-Altman).
    ``repeatability_from_table(frame, *, subject, region, scan, value, group_by)`` ->
    ``RepeatabilityReport`` (overall and per ``RepeatabilityGroup``).
    ``match_lesions(first_positions_mm, second_positions_mm, *, tolerance_mm, ...)`` ->
    ``LesionMatching``.
Outcome models (Bordet trial: lesion-by-lesion outcome and a patient response model)
    ``fit_model(y, x, *, names, family, method, groups)`` -> ``ModelFit`` (GEE, mixed, GLM);
    ``predict(fit, x)``.
    ``auc_estimate(y, score, *, clusters, n_bootstrap, seed)`` -> ``AucEstimate``;
    ``roc_curve_points`` -> ``RocCurve``; ``calibration`` -> ``Calibration``.
    ``cross_validate(y, x, *, names, family, method, groups, n_folds)`` ->
    ``CrossValidation``.
    ``analyse_lesions(frame, *, outcome, predictors, patient, threshold, ...)`` and
    ``analyse_patients(frame, *, predictors, outcome | time+event+landmark, aggregate)``
    -> ``OutcomeAnalysis``; ``outcome_values``, ``patient_summary``,
    ``progression_free_at``.
    ``events_per_variable(outcome, n_predictors)`` -> ``EventsPerVariable``: a binary
    model with fewer than ``MIN_EVENTS_PER_VARIABLE`` (10) events per predictor is flagged
    (Peduzzi et al. 1996); ``OutcomeAnalysis.warnings`` carries the sentence.
"""

from __future__ import annotations

from theratrial.stats._table import read_csv_table
from theratrial.stats.blandaltman import LOA_Z, BlandAltman, bland_altman
from theratrial.stats.crossval import CrossValidation, cross_validate
from theratrial.stats.discrimination import (
    AucEstimate,
    Calibration,
    RocCurve,
    auc_estimate,
    calibration,
    roc_curve_points,
)
from theratrial.stats.epv import (
    MIN_EVENTS_PER_VARIABLE,
    EventsPerVariable,
    events_per_variable,
)
from theratrial.stats.icc import (
    ICC_FORMS,
    ICCEstimate,
    ICCTable,
    MeanSquares,
    anova_mean_squares,
    icc,
)
from theratrial.stats.matching import LesionMatch, LesionMatching, match_lesions
from theratrial.stats.outcome_definition import OutcomeDefinition, outcome_values
from theratrial.stats.outcomes import (
    OutcomeAnalysis,
    PredictorAuc,
    analyse_lesions,
    analyse_outcome,
)
from theratrial.stats.patient_model import (
    AGGREGATIONS,
    analyse_patients,
    patient_summary,
    progression_free_at,
)
from theratrial.stats.regression import Coefficient, ModelFit, fit_model, predict
from theratrial.stats.repeatability import RC_FACTOR, RepeatabilityResult, repeatability
from theratrial.stats.retest_table import (
    RepeatabilityGroup,
    RepeatabilityReport,
    repeatability_from_table,
)

__all__ = [
    "AGGREGATIONS",
    "ICC_FORMS",
    "LOA_Z",
    "MIN_EVENTS_PER_VARIABLE",
    "RC_FACTOR",
    "AucEstimate",
    "BlandAltman",
    "Calibration",
    "Coefficient",
    "CrossValidation",
    "EventsPerVariable",
    "ICCEstimate",
    "ICCTable",
    "LesionMatch",
    "LesionMatching",
    "MeanSquares",
    "ModelFit",
    "OutcomeAnalysis",
    "OutcomeDefinition",
    "PredictorAuc",
    "RepeatabilityGroup",
    "RepeatabilityReport",
    "RepeatabilityResult",
    "RocCurve",
    "analyse_lesions",
    "analyse_outcome",
    "analyse_patients",
    "anova_mean_squares",
    "auc_estimate",
    "bland_altman",
    "calibration",
    "cross_validate",
    "events_per_variable",
    "fit_model",
    "icc",
    "match_lesions",
    "outcome_values",
    "patient_summary",
    "predict",
    "progression_free_at",
    "read_csv_table",
    "repeatability",
    "repeatability_from_table",
    "roc_curve_points",
]
