"""RECIST 1.1 response assessment and lesion-level change in diameter.

Implements Eisenhauer et al. 2009, "New response evaluation criteria in solid tumours:
revised RECIST guideline (version 1.1)", Eur J Cancer 45:228-247, with the EORTC RECIST 1.1
questions and clarifications. Pure: no database, no printing.

Public API
----------
Input
    ``LesionObservation``, ``LesionStatus``, ``TimePoint``, ``Assessment``: one patient's
    lesions over time; ``assessment_from_dict(data, *, file=None)`` reads the tolerant
    JSON form (documented there).
Baseline
    ``is_measurable(lesion)``; ``select_targets(baseline, *, max_targets=5,
    max_per_organ=2)`` -> ``BaselineSelection``.
Responses
    ``ResponseCategory`` (CR, PR, SD, NON-CR/NON-PD, PD, NE, NA);
    ``overall_response(target, non_target, new_lesions)`` (Tables 1-2);
    ``evaluate_recist(assessment, *, confirm_days=None, min_sd_days=0)`` ->
    ``RecistEvaluation`` (``TimePointResponse`` per time point, best overall response);
    ``evaluate_recist_dict(data, ...)``;
    ``best_overall_response(responses, *, confirm_days=None, min_sd_days=0)`` ->
    ``BestResponse`` (section 4.4, Table 3).
Lesion level
    ``lesion_changes(assessment)`` -> ``LesionChange`` per lesion and follow-up;
    ``lesion_summaries(assessment)`` -> ``LesionSummary`` (nadir, best and last change).
"""

from __future__ import annotations

from theratrial.response._parse import assessment_from_dict
from theratrial.response.assessment import (
    NODAL_NORMAL_MM,
    TOO_SMALL_MM,
    Assessment,
    LesionObservation,
    LesionStatus,
    TimePoint,
)
from theratrial.response.best_response import BestResponse, best_overall_response
from theratrial.response.category import ResponseCategory, overall_response
from theratrial.response.lesion_change import (
    LesionChange,
    LesionSummary,
    lesion_changes,
    lesion_summaries,
)
from theratrial.response.recist import (
    PD_MIN_INCREASE_MM,
    PD_MIN_INCREASE_PCT,
    PR_MIN_DECREASE_PCT,
    RecistEvaluation,
    TimePointResponse,
    evaluate_recist,
    evaluate_recist_dict,
)
from theratrial.response.targets import (
    MEASURABLE_MIN_MM,
    NODE_MEASURABLE_MIN_MM,
    XRAY_MEASURABLE_MIN_MM,
    BaselineSelection,
    is_measurable,
    select_targets,
)

__all__ = [
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
