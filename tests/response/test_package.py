"""The public API of theratrial.response."""

from __future__ import annotations

import theratrial.response as response


def test_export_list_is_pinned() -> None:
    assert sorted(response.__all__) == sorted(
        [
            "MEASURABLE_MIN_MM",
            "NODAL_NORMAL_MM",
            "NODE_MEASURABLE_MIN_MM",
            "PD_MIN_INCREASE_MM",
            "PD_MIN_INCREASE_PCT",
            "PR_MIN_DECREASE_PCT",
            "TOO_SMALL_MM",
            "XRAY_MEASURABLE_MIN_MM",
            "Assessment",
            "BaselineSelection",
            "BestResponse",
            "LesionChange",
            "LesionObservation",
            "LesionStatus",
            "LesionSummary",
            "RecistEvaluation",
            "ResponseCategory",
            "TimePoint",
            "TimePointResponse",
            "assessment_from_dict",
            "best_overall_response",
            "evaluate_recist",
            "evaluate_recist_dict",
            "is_measurable",
            "lesion_changes",
            "lesion_summaries",
            "overall_response",
            "select_targets",
        ]
    )
    for name in response.__all__:
        assert getattr(response, name) is not None


def test_thresholds_are_the_guideline_values() -> None:
    assert (response.PR_MIN_DECREASE_PCT, response.PD_MIN_INCREASE_PCT) == (30.0, 20.0)
    assert (response.PD_MIN_INCREASE_MM, response.TOO_SMALL_MM) == (5.0, 5.0)
    assert (response.MEASURABLE_MIN_MM, response.NODE_MEASURABLE_MIN_MM) == (10.0, 15.0)
    assert (response.XRAY_MEASURABLE_MIN_MM, response.NODAL_NORMAL_MM) == (20.0, 10.0)
