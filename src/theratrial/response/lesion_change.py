"""Lesion-level change in diameter: the per-lesion outcome of lesion-by-lesion trials.

The Bordet 177Lu-octreotate trial (multimodality prediction of lesion outcome) reports, per
lesion, the change of the longest transverse diameter from baseline. The diameter followed
is RECIST's (Eisenhauer et al. 2009, Eur J Cancer 45:228-247): the long axis of a non-nodal
lesion and the short axis of a lymph node (``axis`` says which). Every lesion measured at
baseline with a diameter > 0 mm is followed, targets and non-targets alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from theratrial.response.assessment import Assessment
from theratrial.response.targets import select_targets

__all__ = ["LesionChange", "LesionSummary", "lesion_changes", "lesion_summaries"]


@dataclass(frozen=True, slots=True)
class LesionChange:
    """One lesion at one follow-up time point.

    Attributes
    ----------
    lesion_id, organ, nodal
        The lesion.
    role
        ``target`` or ``non-target`` (baseline selection).
    axis
        ``long`` (non-nodal) or ``short`` (lymph node).
    date, day
        The follow-up date and days from the reference date.
    baseline_mm, measurement_mm
        Diameters at baseline and now (None when not measured now), mm.
    change_mm, change_pct
        Absolute (mm) and relative (percent of baseline) change; None when not measured.
    """

    lesion_id: str
    organ: str
    nodal: bool
    role: str
    axis: str
    date: date
    day: int
    baseline_mm: float
    measurement_mm: float | None
    change_mm: float | None
    change_pct: float | None


@dataclass(frozen=True, slots=True)
class LesionSummary:
    """A lesion's course: baseline, nadir, best and last change.

    Attributes
    ----------
    best_change_pct
        Most negative percent change over follow-up (the lesion's best response).
    last_change_pct
        Percent change at the last follow-up where it was measured.
    n_measured
        Number of follow-up time points with a measurement.
    """

    lesion_id: str
    organ: str
    nodal: bool
    role: str
    axis: str
    baseline_mm: float
    nadir_mm: float | None
    best_change_pct: float | None
    last_mm: float | None
    last_change_pct: float | None
    last_day: int | None
    n_measured: int


def lesion_changes(assessment: Assessment) -> tuple[LesionChange, ...]:
    """Change of each baseline-measured lesion at every follow-up time point.

    Parameters
    ----------
    assessment
        One patient's time points, baseline first.

    Returns
    -------
    tuple of LesionChange
        Ordered by time point, then by baseline lesion order.

    Examples
    --------
    >>> from theratrial.response import assessment_from_dict
    >>> a = assessment_from_dict([
    ...     {"date": "2024-01-01",
    ...      "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": 40}]},
    ...     {"date": "2024-03-01", "lesions": [{"id": "L1", "measurement_mm": 30}]}])
    >>> c = lesion_changes(a)[0]
    >>> c.change_mm, c.change_pct, c.axis
    (-10.0, -25.0, 'long')
    """
    sel = select_targets(assessment.baseline)
    followed = [
        les
        for les in assessment.baseline.lesions
        if les.measurement_mm is not None and les.measurement_mm > 0.0
    ]
    out: list[LesionChange] = []
    for tp in assessment.time_points[1:]:
        for base in followed:
            now = tp.lesion(base.lesion_id)
            size = None if now is None or tp.not_done else now.measurement_mm
            base_mm = float(base.measurement_mm or 0.0)
            change = None if size is None else size - base_mm
            out.append(
                LesionChange(
                    lesion_id=base.lesion_id,
                    organ=base.organ,
                    nodal=base.nodal,
                    role="target" if base.lesion_id in sel.target_ids else "non-target",
                    axis="short" if base.nodal else "long",
                    date=tp.date,
                    day=assessment.day(tp.date),
                    baseline_mm=base_mm,
                    measurement_mm=size,
                    change_mm=change,
                    change_pct=None if change is None else round(100.0 * change / base_mm, 10),
                )
            )
    return tuple(out)


def lesion_summaries(assessment: Assessment) -> tuple[LesionSummary, ...]:
    """Per-lesion nadir, best and last change over follow-up.

    Examples
    --------
    >>> from theratrial.response import assessment_from_dict
    >>> a = assessment_from_dict([
    ...     {"date": "2024-01-01",
    ...      "lesions": [{"id": "L1", "organ": "liver", "measurement_mm": 40}]},
    ...     {"date": "2024-03-01", "lesions": [{"id": "L1", "measurement_mm": 30}]},
    ...     {"date": "2024-05-01", "lesions": [{"id": "L1", "measurement_mm": 36}]}])
    >>> s = lesion_summaries(a)[0]
    >>> s.nadir_mm, s.best_change_pct, s.last_change_pct, s.n_measured
    (30.0, -25.0, -10.0, 2)
    """
    sel = select_targets(assessment.baseline)
    changes = lesion_changes(assessment)
    by_lesion: dict[str, list[LesionChange]] = {}
    for change in changes:
        by_lesion.setdefault(change.lesion_id, []).append(change)
    out: list[LesionSummary] = []
    for base in assessment.baseline.lesions:
        rows = by_lesion.get(base.lesion_id)
        if base.measurement_mm is None or base.measurement_mm <= 0.0:
            continue
        measured = [r for r in rows or [] if r.measurement_mm is not None]
        sizes = [float(r.measurement_mm) for r in measured if r.measurement_mm is not None]
        pcts = [float(r.change_pct) for r in measured if r.change_pct is not None]
        last = measured[-1] if measured else None
        out.append(
            LesionSummary(
                lesion_id=base.lesion_id,
                organ=base.organ,
                nodal=base.nodal,
                role="target" if base.lesion_id in sel.target_ids else "non-target",
                axis="short" if base.nodal else "long",
                baseline_mm=float(base.measurement_mm),
                nadir_mm=min(sizes) if sizes else None,
                best_change_pct=min(pcts) if pcts else None,
                last_mm=None if last is None else last.measurement_mm,
                last_change_pct=None if last is None else last.change_pct,
                last_day=None if last is None else last.day,
                n_measured=len(measured),
            )
        )
    return tuple(out)
