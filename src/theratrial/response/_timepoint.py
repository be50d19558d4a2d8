"""Per-time-point rules of RECIST 1.1: target and non-target responses, new lesions.

See :mod:`theratrial.response.recist` for the rules and the documented interpretations
(Eisenhauer et al. 2009, Eur J Cancer 45:228-247, section 4.3).
"""

from __future__ import annotations

import math

from theratrial.errors import PatientRecordError
from theratrial.response.assessment import (
    NODAL_NORMAL_MM,
    Assessment,
    LesionObservation,
    LesionStatus,
    TimePoint,
)
from theratrial.response.category import ResponseCategory
from theratrial.response.targets import BaselineSelection

__all__ = [
    "PD_MIN_INCREASE_MM",
    "PD_MIN_INCREASE_PCT",
    "PR_MIN_DECREASE_PCT",
    "new_lesion_registry",
    "non_target_response",
    "percent_change",
    "target_response",
]

#: Minimum decrease of the sum from baseline for PR, percent (RECIST 1.1, 4.3.1).
PR_MIN_DECREASE_PCT = 30.0
#: Minimum increase of the sum over the nadir for PD, percent (RECIST 1.1, 4.3.1).
PD_MIN_INCREASE_PCT = 20.0
#: Minimum absolute increase of the sum over the nadir for PD, mm (RECIST 1.1, 4.3.1).
PD_MIN_INCREASE_MM = 5.0

_C = ResponseCategory
_EPS = 1e-9


def _ge(value: float, threshold: float) -> bool:
    return value >= threshold - _EPS * max(1.0, abs(threshold))


def _meets_pd(total_mm: float, nadir_mm: float) -> bool:
    increase = total_mm - nadir_mm
    if not _ge(increase, PD_MIN_INCREASE_MM):
        return False
    return nadir_mm <= 0.0 or _ge(increase * 100.0, PD_MIN_INCREASE_PCT * nadir_mm)


def percent_change(value: float, reference: float) -> float | None:
    """Percent change of ``value`` from ``reference``; None for a reference <= 0."""
    return None if reference <= 0.0 else round(100.0 * (value - reference) / reference, 10)


def _reappeared(lesion: LesionObservation) -> bool:
    size = lesion.measurement_mm
    if lesion.nodal:
        return size is not None and size >= NODAL_NORMAL_MM
    return lesion.is_present and (size is None or size > 0.0)


def target_response(
    tp: TimePoint,
    sel: BaselineSelection,
    nadir_mm: float,
    after_cr: bool,
    notes: list[str],
) -> tuple[ResponseCategory, float | None, float, tuple[str, ...]]:
    """Target response, complete sum (or None), measured sum and the targets not assessed."""
    if not sel.target_ids:
        return _C.NA, None, 0.0, ()
    observed = {tid: tp.lesion(tid) for tid in sel.target_ids}
    missing = tuple(
        tid for tid, les in observed.items() if les is None or les.measurement_mm is None
    )
    measured = [
        les for les in observed.values() if les is not None and les.measurement_mm is not None
    ]
    measured_sum = math.fsum(float(les.measurement_mm or 0.0) for les in measured)
    if after_cr and any(_reappeared(les) for les in measured):
        notes.append("target lesion reappeared after CR: PD")
        return _C.PD, (None if missing else measured_sum), measured_sum, missing
    if missing:
        if _meets_pd(measured_sum, nadir_mm):
            notes.append(f"PD on the measured targets alone ({len(missing)} not assessed)")
            return _C.PD, None, measured_sum, missing
        return _C.NE, None, measured_sum, missing
    total = measured_sum
    present = [les for les in observed.values() if les is not None]
    all_gone = all(
        (float(les.measurement_mm or 0.0) < NODAL_NORMAL_MM)
        if les.nodal
        else float(les.measurement_mm or 0.0) == 0.0
        for les in present
    )
    if all_gone:
        return _C.CR, total, total, ()
    if _meets_pd(total, nadir_mm):
        return _C.PD, total, total, ()
    decrease = sel.baseline_sum_mm - total
    if sel.baseline_sum_mm > 0 and _ge(decrease * 100.0, PR_MIN_DECREASE_PCT * sel.baseline_sum_mm):
        return _C.PR, total, total, ()
    return _C.SD, total, total, ()


def non_target_response(
    tp: TimePoint, sel: BaselineSelection, after_cr: bool, notes: list[str]
) -> ResponseCategory:
    """Non-target response: PD, NE, NON-CR/NON-PD or CR (NA without non-targets)."""
    if not sel.non_target_ids:
        return _C.NA
    progressed = missing = persisting = False
    for nid in sel.non_target_ids:
        les = tp.lesion(nid)
        status = None if les is None else les.effective_status
        if les is None or status is LesionStatus.NOT_EVALUATED:
            missing = True
        elif status is LesionStatus.UNEQUIVOCAL_PROGRESSION:
            progressed = True
        elif les.is_present:
            persisting = True
            if after_cr and _reappeared(les):
                progressed = True
                notes.append(f"non-target lesion {nid} reappeared after CR: PD")
    if progressed:
        return _C.PD
    if missing:
        return _C.NE
    if persisting or tp.tumour_markers_normal is False:
        return _C.NON_CR_NON_PD
    return _C.CR


def new_lesion_registry(
    assessment: Assessment, baseline_ids: frozenset[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """First time point of each new lesion, and the confirmation index of equivocal ones."""
    first_seen: dict[str, int] = {}
    equivocal_first: dict[str, int] = {}
    confirmed_at: dict[str, int] = {}
    for index, tp in enumerate(assessment.time_points[1:], start=1):
        for pos, les in enumerate(tp.lesions):
            if les.lesion_id in baseline_ids:
                continue
            if not les.new and les.lesion_id not in first_seen:
                raise PatientRecordError(
                    f"lesion {les.lesion_id!r} was not recorded at baseline",
                    field=f"time_points[{index}].lesions[{pos}].id",
                    hint='mark it "new": true if it is a new lesion, or use its baseline id',
                )
            first_seen.setdefault(les.lesion_id, index)
            if not les.is_present:
                continue
            if les.equivocal:
                equivocal_first.setdefault(les.lesion_id, index)
            elif les.lesion_id in equivocal_first:
                confirmed_at.setdefault(les.lesion_id, index)
    dated = {lid: equivocal_first[lid] for lid in confirmed_at}
    return dated, confirmed_at
