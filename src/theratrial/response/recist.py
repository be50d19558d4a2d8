"""RECIST 1.1 time-point responses and best overall response of one patient.

Implements Eisenhauer et al. 2009 (Eur J Cancer 45:228-247), sections 4.3-4.4, Tables 1-3:

- target response: CR when every non-nodal target lesion has disappeared and every nodal
  target has a short axis < 10 mm; PD when the sum of diameters is >= 20 % above the
  nadir (the smallest sum on study, baseline included) AND >= 5 mm above it; PR when the
  sum is >= 30 % below the baseline sum; SD otherwise. CR is tested first, then PD, PR.
- non-target response: PD on unequivocal progression; NE when a non-target lesion was not
  assessed; CR when all have disappeared (nodes < 10 mm) and tumour markers are not
  abnormal; NON-CR/NON-PD otherwise.
- new lesions: any unequivocal new lesion is PD. An equivocal new lesion is PD only once a
  later scan confirms it, and the PD is then dated at its first sighting (section 4.3.3).
- overall response from Tables 1-2 (:func:`~theratrial.response.category.overall_response`),
  best overall response from section 4.4 and Table 3
  (:func:`~theratrial.response.best_response.best_overall_response`).

Interpretations (documented choices):

- Missing target measurements (section 4.3.4, "missing assessments"): the sum is NE,
  unless the sum of the target lesions that were measured already meets PD against the
  nadir; then the target response is PD.
- Reappearance after CR (EORTC RECIST 1.1 questions and clarifications): lesions that
  disappear and reappear are PD only when the last evaluable overall response was CR; any
  reappearing lesion (non-nodal > 0 mm, node >= 10 mm) then makes its category PD.
  Otherwise a reappearing target lesion simply re-enters the sum.
- Comparisons at the thresholds (30 %, 20 %, 5 mm) are inclusive with a 1e-9 tolerance,
  so that 35 mm against a 50 mm baseline is exactly a 30 % decrease.
- ``change_from_nadir_pct`` compares with the nadir before the time point; it is None when
  that nadir is 0 mm (then PD needs only the 5 mm absolute increase).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from theratrial.response._parse import assessment_from_dict
from theratrial.response._timepoint import (
    PD_MIN_INCREASE_MM,
    PD_MIN_INCREASE_PCT,
    PR_MIN_DECREASE_PCT,
    new_lesion_registry,
    non_target_response,
    percent_change,
    target_response,
)
from theratrial.response.assessment import Assessment
from theratrial.response.best_response import BestResponse, best_overall_response
from theratrial.response.category import ResponseCategory, overall_response
from theratrial.response.targets import BaselineSelection, select_targets

__all__ = [
    "PD_MIN_INCREASE_MM",
    "PD_MIN_INCREASE_PCT",
    "PR_MIN_DECREASE_PCT",
    "RecistEvaluation",
    "TimePointResponse",
    "evaluate_recist",
    "evaluate_recist_dict",
]

_C = ResponseCategory


@dataclass(frozen=True, slots=True)
class TimePointResponse:
    """The RECIST response at one time point.

    Attributes
    ----------
    date, day
        Date of the time point and days from the reference date.
    is_baseline
        True for the first time point (responses are None there).
    sum_mm
        Sum of the target diameters, mm; None when a target lesion was not assessed.
    measured_sum_mm
        Sum over the target lesions that were measured (equals ``sum_mm`` when complete).
    missing_target_ids
        Target lesions not assessed at this time point.
    nadir_mm
        Smallest sum on study before this time point (baseline included), mm.
    change_from_baseline_pct, change_from_nadir_pct
        Percent change of ``sum_mm``; None when the sum is NE (or the nadir is 0 mm).
    target, non_target
        Category responses (``NA`` when there is no such lesion at baseline).
    new_lesions
        True when an unequivocal (or later confirmed) new lesion is seen.
    new_lesion_ids, equivocal_new_lesion_ids
        The new lesions seen, unequivocal and still equivocal.
    overall
        Overall time-point response (Table 1 or 2).
    notes
        Why the response is what it is, where a rule beyond the thresholds applied.
    """

    date: date
    day: int
    is_baseline: bool
    sum_mm: float | None
    measured_sum_mm: float
    missing_target_ids: tuple[str, ...]
    nadir_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    target: ResponseCategory | None
    non_target: ResponseCategory | None
    new_lesions: bool
    new_lesion_ids: tuple[str, ...]
    equivocal_new_lesion_ids: tuple[str, ...]
    overall: ResponseCategory | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecistEvaluation:
    """A patient's RECIST 1.1 evaluation.

    Attributes
    ----------
    baseline
        Targets and non-targets fixed at baseline.
    time_points
        One :class:`TimePointResponse` per time point, baseline first.
    best_overall_response
        The BOR asked for: confirmed when ``confirm_days`` is set, else unconfirmed.
    best_overall_response_unconfirmed, best_overall_response_confirmed
        Both forms (the confirmed one is None when ``confirm_days`` is None).
    best_change_from_baseline_pct
        Largest decrease (most negative change) of the sum up to the first PD; for the
        waterfall plot. None when no follow-up sum is evaluable.
    confirm_days, min_sd_days
        The options used.
    """

    baseline: BaselineSelection
    time_points: tuple[TimePointResponse, ...]
    best_overall_response: BestResponse
    best_overall_response_unconfirmed: BestResponse
    best_overall_response_confirmed: BestResponse | None
    best_change_from_baseline_pct: float | None
    confirm_days: int | None
    min_sd_days: int


def evaluate_recist(
    assessment: Assessment,
    *,
    confirm_days: int | None = None,
    min_sd_days: int = 0,
    max_targets: int = 5,
    max_per_organ: int = 2,
) -> RecistEvaluation:
    """Evaluate RECIST 1.1 at every time point and derive the best overall response.

    Parameters
    ----------
    assessment
        The patient's time points, baseline first.
    confirm_days
        Minimum days between a CR/PR and its confirmation; None: no confirmation needed.
    min_sd_days
        Minimum days from the reference date for SD to count in the BOR.
    max_targets, max_per_organ
        Caps for the baseline selection of targets (5 and 2 in RECIST 1.1).

    Returns
    -------
    RecistEvaluation

    Raises
    ------
    PatientRecordError
        Inconsistent records: a follow-up lesion unknown at baseline and not marked new, a
        target without a baseline measurement, no lesion at baseline.

    Examples
    --------
    >>> from theratrial.response import assessment_from_dict
    >>> tps = [{"date": d, "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": m}]}
    ...        for d, m in [("2024-01-01", 50), ("2024-03-01", 34), ("2024-04-15", 30)]]
    >>> ev = evaluate_recist(assessment_from_dict({"time_points": tps}), confirm_days=28)
    >>> [tp.overall.value for tp in ev.time_points[1:]], ev.best_overall_response.response.value
    (['PR', 'PR'], 'PR')
    >>> ev.time_points[1].change_from_baseline_pct
    -32.0
    """
    sel = select_targets(assessment.baseline, max_targets=max_targets, max_per_organ=max_per_organ)
    baseline_ids = frozenset(les.lesion_id for les in assessment.baseline.lesions)
    dated_equivocal, confirmed_at = new_lesion_registry(assessment, baseline_ids)
    base = assessment.baseline
    results = [
        TimePointResponse(
            date=base.date,
            day=assessment.day(base.date),
            is_baseline=True,
            sum_mm=sel.baseline_sum_mm,
            measured_sum_mm=sel.baseline_sum_mm,
            missing_target_ids=(),
            nadir_mm=None,
            change_from_baseline_pct=0.0 if sel.target_ids else None,
            change_from_nadir_pct=0.0 if sel.target_ids else None,
            target=None,
            non_target=None,
            new_lesions=False,
            new_lesion_ids=(),
            equivocal_new_lesion_ids=(),
            overall=None,
            notes=sel.warnings,
        )
    ]
    nadir = sel.baseline_sum_mm
    last_evaluable: ResponseCategory | None = None
    for index, tp in enumerate(assessment.time_points[1:], start=1):
        notes: list[str] = []
        after_cr = last_evaluable is _C.CR
        if tp.not_done:
            notes.append("no assessment done at this time point")
            target = _C.NE if sel.target_ids else _C.NA
            total, measured_sum, missing = None, 0.0, sel.target_ids
            non_target = _C.NE if sel.non_target_ids else _C.NA
        else:
            target, total, measured_sum, missing = target_response(tp, sel, nadir, after_cr, notes)
            non_target = non_target_response(tp, sel, after_cr, notes)
        new_ids: list[str] = []
        equivocal_ids: list[str] = []
        for les in tp.lesions:
            if les.lesion_id in baseline_ids or not les.is_present:
                continue
            if not les.equivocal or dated_equivocal.get(les.lesion_id) == index:
                new_ids.append(les.lesion_id)
                if les.equivocal:
                    notes.append(
                        f"equivocal new lesion {les.lesion_id} confirmed at time point "
                        f"{confirmed_at[les.lesion_id]}: PD dated from this time point"
                    )
            else:
                equivocal_ids.append(les.lesion_id)
        if target is _C.NA and non_target is _C.NA:
            overall = _C.PD if new_ids else _C.NE
        else:
            overall = overall_response(target, non_target, bool(new_ids))
        results.append(
            TimePointResponse(
                date=tp.date,
                day=assessment.day(tp.date),
                is_baseline=False,
                sum_mm=total,
                measured_sum_mm=measured_sum,
                missing_target_ids=tuple(missing),
                nadir_mm=nadir,
                change_from_baseline_pct=(
                    None if total is None else percent_change(total, sel.baseline_sum_mm)
                ),
                change_from_nadir_pct=None if total is None else percent_change(total, nadir),
                target=target,
                non_target=non_target,
                new_lesions=bool(new_ids),
                new_lesion_ids=tuple(new_ids),
                equivocal_new_lesion_ids=tuple(equivocal_ids),
                overall=overall,
                notes=tuple(notes),
            )
        )
        if total is not None:
            nadir = min(nadir, total)
        if overall is not _C.NE:
            last_evaluable = overall
    follow_ups = [(r.day, r.overall) for r in results[1:] if r.overall is not None]
    has_targets = bool(sel.target_ids)
    unconfirmed = best_overall_response(
        follow_ups, confirm_days=None, min_sd_days=min_sd_days, target_disease=has_targets
    )
    confirmed = (
        None
        if confirm_days is None
        else best_overall_response(
            follow_ups,
            confirm_days=confirm_days,
            min_sd_days=min_sd_days,
            target_disease=has_targets,
        )
    )
    changes: list[float] = []
    for r in results[1:]:
        if r.change_from_baseline_pct is not None:
            changes.append(r.change_from_baseline_pct)
        if r.overall is _C.PD:
            break
    return RecistEvaluation(
        baseline=sel,
        time_points=tuple(results),
        best_overall_response=confirmed if confirmed is not None else unconfirmed,
        best_overall_response_unconfirmed=unconfirmed,
        best_overall_response_confirmed=confirmed,
        best_change_from_baseline_pct=min(changes) if changes else None,
        confirm_days=confirm_days,
        min_sd_days=min_sd_days,
    )


def evaluate_recist_dict(
    data: Mapping[str, Any] | list[Any],
    *,
    confirm_days: int | None = None,
    min_sd_days: int = 0,
    file: str | None = None,
) -> RecistEvaluation:
    """Parse an assessment record (see :func:`assessment_from_dict`) and evaluate it.

    Examples
    --------
    >>> ev = evaluate_recist_dict([
    ...     {"date": "2024-01-01",
    ...      "lesions": [{"id": "N1", "organ": "node", "measurement_mm": 20}]},
    ...     {"date": "2024-03-01", "lesions": [{"id": "N1", "measurement_mm": 8}]}])
    >>> ev.time_points[1].target.value, ev.time_points[1].sum_mm
    ('CR', 8.0)
    """
    assessment = assessment_from_dict(data, file=file)
    return evaluate_recist(assessment, confirm_days=confirm_days, min_sd_days=min_sd_days)
