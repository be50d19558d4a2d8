"""Baseline measurability and the choice of target and non-target lesions (RECIST 1.1).

Rules (Eisenhauer et al. 2009, Eur J Cancer 45:228-247, sections 3.1-3.2; EORTC RECIST 1.1
questions and clarifications):

- measurable non-nodal lesion: longest diameter >= 10 mm on CT/MRI (or caliper), >= 20 mm
  on chest X-ray;
- measurable (pathological) lymph node: short axis >= 15 mm; a node of 10 to < 15 mm is
  pathological but non-measurable (non-target); a node < 10 mm is normal and not followed;
- at most 5 target lesions, at most 2 per organ, all lymph nodes counting as one organ,
  chosen by size and representative of all involved organs; every other lesion present at
  baseline is a non-target lesion.

Interpretation: when the input does not flag targets, the selection takes, first, the largest
measurable lesion of each involved organ (organs in order of their largest lesion) and then
fills the remaining places by size, so that up to five organs are represented before a
second lesion of any organ is added. Ties keep input order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from theratrial.errors import PatientRecordError
from theratrial.response.assessment import (
    NODAL_NORMAL_MM,
    LesionObservation,
    LesionStatus,
    TimePoint,
)

__all__ = [
    "MEASURABLE_MIN_MM",
    "NODE_MEASURABLE_MIN_MM",
    "XRAY_MEASURABLE_MIN_MM",
    "BaselineSelection",
    "is_measurable",
    "select_targets",
]

#: Smallest measurable longest diameter on CT/MRI or by caliper, mm (RECIST 1.1, 3.1.1).
MEASURABLE_MIN_MM = 10.0
#: Smallest measurable longest diameter on chest X-ray, mm (RECIST 1.1, 3.1.1).
XRAY_MEASURABLE_MIN_MM = 20.0
#: Smallest measurable short axis of a pathological lymph node, mm (RECIST 1.1, 3.1.1).
NODE_MEASURABLE_MIN_MM = 15.0

_XRAY_METHODS = frozenset({"xray", "x-ray", "cxr", "chest_xray", "chest x-ray", "radiograph"})


@dataclass(frozen=True, slots=True)
class BaselineSelection:
    """Target and non-target lesions fixed at baseline.

    Attributes
    ----------
    target_ids, non_target_ids
        Lesion ids, targets in order of selection (or input order when flagged).
    normal_node_ids
        Nodes with a short axis < 10 mm at baseline: normal, not followed.
    baseline_sum_mm
        Sum of the target diameters (long axis; short axis for nodes), mm.
    selected_by
        ``"input"`` when the input flagged the targets, ``"rules"`` when they were chosen here.
    warnings
        Deviations from RECIST in the input's own choice (a non-measurable target...).
    """

    target_ids: tuple[str, ...]
    non_target_ids: tuple[str, ...]
    normal_node_ids: tuple[str, ...]
    baseline_sum_mm: float
    selected_by: str
    warnings: tuple[str, ...] = ()


def is_measurable(lesion: LesionObservation) -> bool:
    """True when a baseline lesion is measurable by RECIST 1.1.

    Examples
    --------
    >>> is_measurable(LesionObservation("L1", "liver", measurement_mm=10.0))
    True
    >>> is_measurable(LesionObservation("N1", "lymph node", nodal=True, measurement_mm=14.9))
    False
    >>> is_measurable(LesionObservation("P1", "lung", measurement_mm=19.0, method="xray"))
    False
    """
    size = lesion.measurement_mm
    if size is None or lesion.effective_status in (
        LesionStatus.ABSENT,
        LesionStatus.TOO_SMALL,
        LesionStatus.NOT_EVALUATED,
    ):
        return False
    if lesion.nodal:
        return size >= NODE_MEASURABLE_MIN_MM
    if lesion.method in _XRAY_METHODS:
        return size >= XRAY_MEASURABLE_MIN_MM
    return size >= MEASURABLE_MIN_MM


def _is_normal_node(lesion: LesionObservation) -> bool:
    size = lesion.measurement_mm
    return lesion.nodal and size is not None and size < NODAL_NORMAL_MM


def _rule_selection(
    candidates: list[LesionObservation], *, max_targets: int, max_per_organ: int
) -> list[LesionObservation]:
    ranked = sorted(candidates, key=lambda les: -float(les.measurement_mm or 0.0))
    chosen: list[LesionObservation] = []
    per_organ: dict[str, int] = {}
    for lesion in ranked:  # round 1: the largest lesion of each organ
        if len(chosen) < max_targets and lesion.organ_key not in per_organ:
            chosen.append(lesion)
            per_organ[lesion.organ_key] = 1
    for lesion in ranked:  # round 2: fill by size within the per-organ cap
        if len(chosen) >= max_targets:
            break
        if lesion in chosen or per_organ.get(lesion.organ_key, 0) >= max_per_organ:
            continue
        chosen.append(lesion)
        per_organ[lesion.organ_key] = per_organ.get(lesion.organ_key, 0) + 1
    return chosen


def select_targets(
    baseline: TimePoint, *, max_targets: int = 5, max_per_organ: int = 2
) -> BaselineSelection:
    """Fix the target and non-target lesions of a baseline time point.

    When any baseline lesion is flagged ``target: true``, the input's choice is kept
    (unflagged lesions are non-targets; deviations from the rules become warnings);
    otherwise the targets are chosen by the rules in the module docstring among the
    lesions not flagged ``target: false``.

    Parameters
    ----------
    baseline
        The baseline time point.
    max_targets, max_per_organ
        RECIST 1.1 caps: 5 lesions in all, 2 per organ.

    Returns
    -------
    BaselineSelection

    Raises
    ------
    PatientRecordError
        A flagged target without a baseline measurement, or no lesion at all.

    Examples
    --------
    >>> from datetime import date
    >>> les = [LesionObservation(f"L{i}", "liver", measurement_mm=float(20 + i)) for i in range(3)]
    >>> les.append(LesionObservation("N1", "neck node", nodal=True, measurement_mm=16.0))
    >>> sel = select_targets(TimePoint(date(2024, 1, 1), tuple(les)))
    >>> sel.target_ids, sel.non_target_ids, sel.baseline_sum_mm
    (('L2', 'N1', 'L1'), ('L0',), 59.0)
    """
    if max_targets < 1 or max_per_organ < 1:
        raise PatientRecordError(
            "target caps must be at least 1", field="max_targets", hint="use 5 and 2 (RECIST)"
        )
    present = [
        les
        for les in baseline.lesions
        if les.effective_status is not LesionStatus.ABSENT and not _is_normal_node(les)
    ]
    normal_nodes = tuple(les.lesion_id for les in baseline.lesions if _is_normal_node(les))
    if not present:
        raise PatientRecordError(
            "no lesion present at baseline",
            field="time_points[0].lesions",
            hint="RECIST needs at least one lesion at baseline; check the first time point",
        )
    warnings: list[str] = []
    flagged = any(les.target is True for les in baseline.lesions)
    if flagged:
        targets = [les for les in baseline.lesions if les.target]
        for les in targets:
            if les.measurement_mm is None:
                raise PatientRecordError(
                    f"target lesion {les.lesion_id!r} has no baseline measurement",
                    field="time_points[0].lesions.measurement_mm",
                    hint="measure every target lesion at baseline, or mark it non-target",
                )
            if not is_measurable(les):
                warnings.append(f"target lesion {les.lesion_id} is not measurable at baseline")
        if len(targets) > max_targets:
            warnings.append(f"{len(targets)} target lesions (RECIST allows {max_targets})")
        counts: dict[str, int] = {}
        for les in targets:
            counts[les.organ_key] = counts.get(les.organ_key, 0) + 1
        for organ, count in counts.items():
            if count > max_per_organ:
                warnings.append(f"{count} target lesions in {organ} (at most {max_per_organ})")
        if not targets:
            warnings.append("no target lesion: non-target disease only")
        target_ids = [les.lesion_id for les in targets]
    else:
        measurable = [les for les in present if is_measurable(les) and les.target is not False]
        chosen = _rule_selection(measurable, max_targets=max_targets, max_per_organ=max_per_organ)
        target_ids = [les.lesion_id for les in chosen]
        targets = chosen
        no_organ = [les.lesion_id for les in measurable if not les.nodal and not les.organ.strip()]
        if no_organ:
            warnings.append(
                f"no organ given for {', '.join(no_organ)}: the 2-per-organ rule was not applied"
            )
    non_targets = tuple(les.lesion_id for les in present if les.lesion_id not in target_ids)
    total = math.fsum(float(les.measurement_mm or 0.0) for les in targets)
    return BaselineSelection(
        target_ids=tuple(target_ids),
        non_target_ids=non_targets,
        normal_node_ids=tuple(i for i in normal_nodes if i not in target_ids),
        baseline_sum_mm=total,
        selected_by="input" if flagged else "rules",
        warnings=tuple(warnings),
    )
