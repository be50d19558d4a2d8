"""The public API of theratrial.stats."""

from __future__ import annotations

import theratrial.stats as stats


def test_export_list_is_pinned() -> None:
    assert sorted(stats.__all__) == sorted(
        [
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
    )
    for name in stats.__all__:
        assert getattr(stats, name) is not None


def test_statsmodels_and_sklearn_load_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, theratrial.stats; "
        "print(any(m.startswith(('statsmodels', 'sklearn')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
