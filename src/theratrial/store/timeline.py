"""A patient's timeline read from the store: screenings, enrolments, cycles, doses, RECIST.

The pieces the patient pages show, each a plain JSON-ready mapping built from stored rows
and the public functions of the science packages:

- :func:`screening_summaries` and :func:`enrolment_summaries`: what was decided, when;
- :func:`cycle_timeline`: each administration with its activity (MBq) and date, and the
  window the protocol's schedule allowed for it
  (:func:`theratrial.treatment.next_cycle_window`), plus the window of the next cycle;
- :func:`organ_dose_series`: the cumulative absorbed dose, BED and RBE-weighted dose of
  each organ after each cycle (:func:`theratrial.treatment.history.cumulative_doses`)
  against the protocol limits that apply (:func:`theratrial.treatment.planning.active_limits`)
  — the numbers :func:`theratrial.report.dosimetry_plots.cumulative_dose_figure` draws;
- :func:`latest_recist`: the newest stored RECIST 1.1 evaluation;
- :func:`patient_summaries`: the last screening and the enrolments of many patients at once.

Examples
--------
>>> from types import SimpleNamespace as NS
>>> import datetime as dt
>>> from theratrial.protocol import Schedule
>>> s = Schedule(interval_weeks=8, window_min_weeks=7, window_max_weeks=10, max_cycles=4)
>>> def cycle(n, day):
...     when = dt.datetime(2026, *day, 9, tzinfo=dt.UTC)
...     return NS(cycle_number=n, administered_at=when, nuclide="Lu-177", activity_mbq=7400.0,
...               dose_level=None, weight_kg=70.0, doses=[])
>>> doc = cycle_timeline([cycle(1, (1, 5)), cycle(2, (3, 2))], s)
>>> doc["cycles"][1]["window"], doc["cycles"][1]["in_window"]
({'nominal': '2026-03-02', 'earliest': '2026-02-23', 'latest': '2026-03-16'}, True)
>>> doc["next"]["cycle"], doc["next"]["window"]["nominal"]
(3, '2026-04-27')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from theratrial.protocol import OrganLimit, Schedule
from theratrial.store.cycle_views import cycle_view
from theratrial.store.models import ProtocolVersionRow, ScreeningRow, TrialRow
from theratrial.store.models_clinical import CycleRow
from theratrial.store.models_records import RecistAssessmentRow
from theratrial.store.models_service import EnrolmentRow
from theratrial.treatment import CycleDose, next_cycle_window
from theratrial.treatment.history import cumulative_doses

__all__ = [
    "QUANTITIES",
    "cycle_timeline",
    "enrolment_summaries",
    "latest_recist",
    "organ_dose_series",
    "patient_summaries",
    "screening_summaries",
    "trials_of",
]

QUANTITIES = ("absorbed_dose_gy", "bed_gy", "rbe_weighted_dose_gy")
"""The cumulative quantities of an organ, each in Gy, as protocol limits name them."""


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


def _window(schedule: Schedule, previous: dt.date, cycle: int) -> dict[str, str]:
    w = next_cycle_window(schedule, previous=previous, cycle=cycle)
    return {
        "nominal": w.nominal.isoformat(),
        "earliest": w.earliest.isoformat(),
        "latest": w.latest.isoformat(),
    }


def screening_summaries(session: Session, patient_pk: int) -> list[dict[str, Any]]:
    """The patient's stored screenings, oldest first: trial, date, verdict, cohorts, counts."""
    stmt = (
        select(ScreeningRow, TrialRow.trial_id)
        .join(ProtocolVersionRow, ScreeningRow.protocol_version_pk == ProtocolVersionRow.id)
        .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
        .where(ScreeningRow.patient_pk == patient_pk)
        .options(selectinload(ScreeningRow.criteria))
        .order_by(ScreeningRow.id)
    )
    return [
        {
            "id": s.id,
            "trial_id": trial,
            "screening_date": _iso(s.screening_date),
            "screened_at": _iso(s.created_at),
            "verdict": s.verdict,
            "cohorts": list(s.cohorts),
            "counts": {
                "met": s.n_met,
                "not_met": s.n_not_met,
                "unknown": s.n_unknown,
                "needs_review": s.n_needs_review,
            },
            "not_met": [c.criterion_id for c in s.criteria if c.status == "not_met"],
            "unknown": [c.criterion_id for c in s.criteria if c.status == "unknown"],
        }
        for s, trial in session.execute(stmt).all()
    ]


def enrolment_summaries(session: Session, patient_pk: int) -> list[dict[str, Any]]:
    """The patient's enrolments (one per trial): cohort, consent date, withdrawal."""
    rows = session.execute(
        select(EnrolmentRow, TrialRow.trial_id)
        .join(TrialRow, EnrolmentRow.trial_pk == TrialRow.id)
        .where(EnrolmentRow.patient_pk == patient_pk)
        .order_by(EnrolmentRow.id)
    ).all()
    return [
        {
            "trial_id": trial,
            "cohort": row.cohort_id,
            "consent_date": _iso(row.consent_date),
            "enrolled_at": _iso(row.enrolled_at),
            "withdrawn": row.withdrawn_date is not None,
            "withdrawn_date": _iso(row.withdrawn_date),
            "withdrawal_reason": row.withdrawal_reason,
        }
        for row, trial in rows
    ]


def trials_of(session: Session, patient_pk: int) -> list[str]:
    """Trials the patient is enrolled in or has cycles of, in order of first appearance."""
    enrolled = session.scalars(
        select(TrialRow.trial_id)
        .join(EnrolmentRow, EnrolmentRow.trial_pk == TrialRow.id)
        .where(EnrolmentRow.patient_pk == patient_pk)
        .order_by(EnrolmentRow.id)
    ).all()
    treated = session.scalars(
        select(TrialRow.trial_id)
        .join(CycleRow, CycleRow.trial_pk == TrialRow.id)
        .where(CycleRow.patient_pk == patient_pk)
        .order_by(CycleRow.id)
    ).all()
    return list(dict.fromkeys([*enrolled, *treated]))


def cycle_timeline(cycles: Sequence[Any], schedule: Schedule | None) -> dict[str, Any]:
    """Stored cycles with the window each was due in, and the next cycle's window.

    Cycle ``k`` (k > 1) is due in the window the schedule gives after the date cycle
    ``k - 1`` was actually given; ``in_window`` is None when either date is unknown or the
    protocol has no schedule. ``next`` is None after the protocol's last cycle, without a
    schedule, or when the last cycle has no date.
    """
    out: list[dict[str, Any]] = []
    previous: dt.date | None = None
    previous_number: int | None = None
    for c in cycles:
        given = c.administered_at.date() if c.administered_at is not None else None
        window = None
        in_window = None
        if schedule is not None and previous is not None and previous_number == c.cycle_number - 1:
            window = _window(schedule, previous, c.cycle_number)
            if given is not None:
                in_window = window["earliest"] <= given.isoformat() <= window["latest"]
        view = cycle_view(c)
        out.append(
            {
                **{k: v for k, v in view.items() if k != "dosimetry"},
                "date": _iso(given),
                "window": window,
                "in_window": in_window,
                "regions": [d["region"] for d in view["dosimetry"]],
            }
        )
        previous, previous_number = given, c.cycle_number
    nxt = None
    if (
        schedule is not None
        and cycles
        and previous is not None
        and cycles[-1].cycle_number < schedule.max_cycles
    ):
        number = cycles[-1].cycle_number + 1
        nxt = {"cycle": number, "window": _window(schedule, previous, number)}
    return {
        "cycles": out,
        "next": nxt,
        "max_cycles": None if schedule is None else schedule.max_cycles,
        "units": {"activity_mbq": "MBq", "weight_kg": "kg"},
    }


def organ_dose_series(
    history: Sequence[CycleDose], limits: Iterable[OrganLimit], *, combine: str = "max"
) -> dict[str, Any]:
    """Cumulative dose of each organ after each cycle, against each applicable limit.

    ``organs[i].cycles[j]`` holds the cumulative absorbed dose, BED and RBE-weighted dose
    (Gy) after cycle ``j`` (None where a cycle lacks what the quantity needs);
    ``organs[i].limits`` the protocol limits of that organ with the cumulative value now
    and the fraction of the limit used (1.0 = reached).

    Examples
    --------
    >>> from theratrial.treatment import CycleDose
    >>> from theratrial.protocol import OrganLimit
    >>> h = [CycleDose(1, "kidneys", 7400.0, 4.0), CycleDose(2, "kidneys", 7400.0, 5.0)]
    >>> lim = OrganLimit(organ="kidneys", quantity="absorbed_dose_gy", limit=23.0, source="EANM")
    >>> doc = organ_dose_series(h, [lim])
    >>> [c["absorbed_dose_gy"] for c in doc["organs"][0]["cycles"]]
    [4.0, 9.0]
    >>> round(doc["organs"][0]["limits"][0]["fraction"], 3)
    0.391
    """
    limits = list(limits)
    organs: list[dict[str, Any]] = []
    numbers = sorted({c.cycle for c in history})
    for organ in sorted({c.organ for c in history}):
        series = []
        for number in numbers:
            upto = [c for c in history if c.cycle <= number and c.organ == organ]
            if not any(c.cycle == number for c in upto):
                continue
            total = cumulative_doses(upto, combine=combine)[organ]
            series.append({"cycle": number, **{q: total.value(q) for q in QUANTITIES}})
        now = series[-1] if series else {}
        own = []
        for lim in limits:
            if lim.organ != organ:
                continue
            value = now.get(lim.quantity)
            own.append(
                {
                    "quantity": lim.quantity,
                    "limit_gy": lim.limit,
                    "applies_if": lim.applies_if,
                    "source": lim.source,
                    "cumulative_gy": value,
                    "fraction": None if value is None or lim.limit <= 0 else value / lim.limit,
                    "reached": None if value is None else value >= lim.limit,
                }
            )
        organs.append({"organ": organ, "cycles": series, "limits": own})
    return {
        "combine": combine,
        "organs": organs,
        "units": dict.fromkeys(QUANTITIES, "Gy"),
    }


def latest_recist(session: Session, patient_pk: int) -> dict[str, Any] | None:
    """The newest stored RECIST 1.1 evaluation of the patient (any trial), or None."""
    row = session.execute(
        select(RecistAssessmentRow, TrialRow.trial_id)
        .outerjoin(TrialRow, RecistAssessmentRow.trial_pk == TrialRow.id)
        .where(RecistAssessmentRow.patient_pk == patient_pk)
        .order_by(RecistAssessmentRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    assessment, trial = row
    result = dict(assessment.result)
    return {
        "trial_id": trial,
        "created_at": _iso(assessment.created_at),
        "best_overall_response": result.get("best_overall_response"),
        "best_change_from_baseline_pct": result.get("best_change_from_baseline_pct"),
        "time_points": list(result.get("time_points") or []),
        "units": result.get("units"),
    }


def patient_summaries(session: Session, patient_pks: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For each patient key: the newest screening, the newest per trial, and the enrolments.

    ``last_screening`` is the one stored last (trial, date, verdict); ``screenings`` holds the
    newest screening of each trial, by trial id (a trial finder stores one per trial).
    """
    out: dict[int, dict[str, Any]] = {
        pk: {"last_screening": None, "screenings": [], "enrolments": []} for pk in patient_pks
    }
    per_trial: dict[int, dict[str, dict[str, Any]]] = {pk: {} for pk in patient_pks}
    if not patient_pks:
        return out
    screenings = session.execute(
        select(ScreeningRow, TrialRow.trial_id)
        .join(ProtocolVersionRow, ScreeningRow.protocol_version_pk == ProtocolVersionRow.id)
        .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
        .where(ScreeningRow.patient_pk.in_(patient_pks))
        .order_by(ScreeningRow.id)
    ).all()
    for s, trial in screenings:
        view = {"trial_id": trial, "screening_date": _iso(s.screening_date), "verdict": s.verdict}
        out[s.patient_pk]["last_screening"] = view
        per_trial[s.patient_pk][trial] = view
    for pk, by_trial in per_trial.items():
        out[pk]["screenings"] = [by_trial[t] for t in sorted(by_trial)]
    enrolments = session.execute(
        select(EnrolmentRow, TrialRow.trial_id)
        .join(TrialRow, EnrolmentRow.trial_pk == TrialRow.id)
        .where(EnrolmentRow.patient_pk.in_(patient_pks))
        .order_by(EnrolmentRow.id)
    ).all()
    for e, trial in enrolments:
        out[e.patient_pk]["enrolments"].append(
            {"trial_id": trial, "cohort": e.cohort_id, "withdrawn": e.withdrawn_date is not None}
        )
    return out
