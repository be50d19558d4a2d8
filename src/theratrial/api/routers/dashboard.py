"""``/trials/{trial_id}/dashboard`` and the escalation board's operating characteristics.

The dashboard gathers what the store and the science packages already compute: the
screening funnel and enrolments (:mod:`theratrial.store.dashboard`), each patient's cycle
windows (:func:`theratrial.treatment.cycle_schedule`), cumulative organ doses against the
protocol's limits (:func:`theratrial.store.treatment_plans.next_cycle_plan`, the plan the
physician signs), DLT counts (:func:`theratrial.store.dlt.dlt_counts`) and the design's
current decision per cohort (:func:`theratrial.store.escalation.escalation_decisions`).
Patient details are those of the reader's sites only; counts over every site carry no
patient id (``trial_totals``, ``dlt_counts``, the escalation state).

The operating characteristics simulate the trial's design on an assumed scenario
(:func:`theratrial.design.simulate`, drawn by
:func:`theratrial.report.design_plots.operating_characteristics_figure`).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select

from theratrial.api.deps import Context, require, tx, visible_site_pks
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import jsonable, protocol_for
from theratrial.design import create_design, simulate
from theratrial.design.decision_doc import simulation_as_dict
from theratrial.design.escalation_plan import plans_from_protocol, protocol_design
from theratrial.errors import TheratrialError
from theratrial.protocol.schema import Protocol
from theratrial.store import register_protocol
from theratrial.store.dashboard import (
    enrolled_patients,
    screening_funnel,
    treated_by_level,
    trial_cycles,
    trial_totals,
)
from theratrial.store.dlt import dlt_counts, dlt_rows
from theratrial.store.escalation import escalation_decisions, level_unit
from theratrial.store.models import PatientRow
from theratrial.store.models_clinical import CycleRow
from theratrial.store.treatment_plans import next_cycle_plan
from theratrial.treatment import cycle_schedule

__all__ = ["router"]

router = APIRouter(prefix="/trials/{trial_id}", tags=["dashboard"])

MAX_OC_TRIALS = 5000
"""Most simulated trials one request runs (a few seconds at most)."""


def _cycles_view(protocol: Protocol, pid: str, cycles: list[CycleRow], today: dt.date) -> Any:
    given = [c.administered_at.date() for c in cycles if c.administered_at is not None]
    windows: list[dict[str, Any]] = []
    note = None
    if protocol.schedule is not None and given:
        try:
            sched = cycle_schedule(protocol.schedule, first_cycle=given[0], given=given)
        except TheratrialError as exc:
            note = exc.message
        else:
            windows = [
                {
                    "cycle": w.cycle,
                    "nominal": w.nominal,
                    "earliest": w.earliest,
                    "latest": w.latest,
                    "given": w.given,
                    "in_window": w.in_window,
                    "state": "given"
                    if w.given
                    else "overdue"
                    if today > w.latest
                    else "due"
                    if today >= w.earliest
                    else "planned",
                }
                for w in sched
            ]
    due = next((w for w in windows if w["given"] is None), None)
    return {
        "patient_id": pid,
        "cycles_given": len(cycles),
        "activity_mbq": [c.activity_mbq for c in cycles],
        "windows": windows,
        "next": due,
        "note": note,
    }


def _doses_view(protocol: Protocol, pid: str, cycles: list[CycleRow]) -> dict[str, Any]:
    """Cumulative doses and the limit checks of the next-cycle plan (one rule, the planner's)."""
    try:
        plan = next_cycle_plan(protocol, pid, cycles).payload
    except TheratrialError as exc:
        return {"patient_id": pid, "organs": [], "limits": [], "note": exc.message}
    return {
        "patient_id": pid,
        "organs": plan["organs"],
        "limits": plan["limits"],
        "stop": plan["stop"],
        "note": "; ".join(plan["reasons"]) or None,
    }


def _escalation_state(session: Any, protocol: Protocol, today: dt.date) -> dict[str, Any]:
    try:
        doc = escalation_decisions(session, protocol, as_of=today)
    except TheratrialError as exc:
        rule = protocol_design(protocol)
        return {
            "available": False, "note": exc.message, "cohorts": [], "design": rule.design,
            "target": rule.target, "design_source": rule.source,
        }  # fmt: skip
    return {
        "available": True,
        "design": doc["design"],
        "target": doc["target"],
        "design_source": doc["design_source"],
        "as_of": doc["as_of"],
        "dlt_window_days": doc["dlt_window_days"],
        "cohorts": [
            {
                "cohort": c["cohort"],
                "decision": c["decision"],
                "current_level": c["current_level"],
                "next_level": c["next_level"],
                "next_level_id": c["next_level_id"],
                "mtd": c["mtd"],
                "level_unit": c["level_unit"],
                "reason": c["reason"],
                "missing": len(c["missing"]),
            }
            for c in doc["cohorts"]
        ],
    }


@router.get("/dashboard")
def dashboard(trial_id: str, ctx: Context = Depends(require(Action.READ_TRIALS))) -> dict[str, Any]:
    """Funnel, enrolment, cycles, organ doses, DLTs and escalation state of one trial."""
    today = dt.date.today()
    with tx(ctx.request) as session:
        protocol = protocol_for(session, trial_id)
        register_protocol(session, protocol)
        sites = visible_site_pks(session, ctx.principal)
        funnel = screening_funnel(session, trial_id=protocol.id, site_pks=sites)
        enrolled = enrolled_patients(session, trial_id=protocol.id, site_pks=sites)
        by_cohort: dict[str, int] = {}
        by_site: dict[str, int] = {}
        for e in enrolled:
            if e.withdrawn_date is None:
                by_cohort[e.cohort or "(none)"] = by_cohort.get(e.cohort or "(none)", 0) + 1
                by_site[e.site or "(none)"] = by_site.get(e.site or "(none)", 0) + 1
        cycles = trial_cycles(session, trial_id=protocol.id, site_pks=sites)
        visible_pks = (
            None
            if sites is None
            else set(session.scalars(select(PatientRow.id).where(PatientRow.site_pk.in_(sites))))
        )
        dlt_events = [
            {
                "patient_id": pid,
                "cohort": r.cohort_id,
                "level": r.dose_level,
                "cycle": r.cycle,
                "dlt": r.dlt,
                "event": r.event,
                "grade": r.grade,
                "within_dlt_window": r.within_dlt_window,
            }
            for pid, r in dlt_rows(session, trial_id=protocol.id)
            if visible_pks is None or r.patient_pk in visible_pks
        ]
        return {
            "trial_id": protocol.id,
            "title": protocol.title,
            "phase": protocol.phase,
            "as_of": today.isoformat(),
            "scope": "all sites" if sites is None else "your sites",
            "funnel": jsonable(funnel),
            "trial_totals": jsonable(trial_totals(session, trial_id=protocol.id)),
            "enrolment": {
                "by_cohort": [{"cohort": k, "patients": v} for k, v in sorted(by_cohort.items())],
                "by_site": [{"site": k, "patients": v} for k, v in sorted(by_site.items())],
                "withdrawn": sum(e.withdrawn_date is not None for e in enrolled),
                "patients": jsonable(enrolled),
            },
            "schedule": None
            if protocol.schedule is None
            else {
                "interval_weeks": protocol.schedule.interval_weeks,
                "window_min_weeks": protocol.schedule.window_min_weeks,
                "window_max_weeks": protocol.schedule.window_max_weeks,
                "max_cycles": protocol.schedule.max_cycles,
            },
            "cycles": jsonable([_cycles_view(protocol, p, c, today) for p, c in cycles.items()]),
            "organ_doses": jsonable([_doses_view(protocol, p, c) for p, c in cycles.items()]),
            "dlt_counts": jsonable(dlt_counts(session, trial_id=protocol.id)),
            "treated": jsonable(treated_by_level(session, trial_id=protocol.id)),
            "dlt_events": jsonable(dlt_events),
            "escalation": _escalation_state(session, protocol, today),
            "units": {
                "activity_mbq": "MBq",
                "absorbed_dose_gy": "Gy",
                "bed_gy": "Gy",
                "limit": "Gy",
                "window": "dates (ISO 8601)",
                "interval_weeks": "weeks",
            },
        }


@dataclass
class OcQuery:
    """The query of both operating-characteristics routes (one simulation, JSON or SVG)."""

    cohort: str | None = Query(
        None, max_length=64, description="Escalation cohort (default: the first)."
    )
    design: str | None = Query(None, max_length=16, description="Default: the protocol's design.")
    target: float | None = Query(
        None, gt=0, lt=1, description="Target DLT probability (default: the protocol's)."
    )
    n_trials: int = Query(1000, ge=1, le=MAX_OC_TRIALS, description="Simulated trials.")
    seed: int = Query(20250101, ge=0, le=2**32 - 1)
    truth: str | None = Query(
        None, max_length=400, description="True DLT probability per level, a,b,..."
    )
    max_n: int | None = Query(None, ge=1, le=300, description="Patients per simulated trial.")


def _simulate(session: Any, trial_id: str, query: OcQuery) -> dict[str, Any]:
    cohort, truth, max_n = query.cohort, query.truth, query.max_n
    protocol = protocol_for(session, trial_id)
    rule = protocol_design(protocol, design=query.design, target=query.target)
    plans = plans_from_protocol(protocol)
    plan = next((p for p in plans if p.cohort_id == cohort), None) if cohort else plans[0]
    if plan is None:
        raise ProblemError(
            404,
            f"no escalation cohort {cohort!r}",
            field="cohort",
            hint=f"use one of {', '.join(p.cohort_id for p in plans)}",
        )
    levels = list(plan.levels)
    assumed = truth is None
    if truth is None:
        probs = [min(0.05 + 0.1 * i, 0.9) for i in range(len(levels))]
    else:
        try:
            probs = [float(t) for t in truth.split(",") if t.strip()]
        except ValueError:
            raise ProblemError(
                422,
                f"truth {truth!r} is not a list of probabilities",
                field="truth",
                hint="write one true DLT probability per level, comma-separated, e.g. 0.1,0.3",
            ) from None
        if len(probs) != len(levels):
            raise ProblemError(
                422,
                f"{len(probs)} true DLT probabilities for {len(levels)} dose levels",
                field="truth",
                hint=f"give one per level ({', '.join(f'{v:g}' for v in levels)})",
            )
    size = plan.cohort_size or 3
    oc = simulate(
        create_design(rule.design, target=rule.target),
        probs,
        cohort_size=size,
        max_n=max_n or plan.max_n or 8 * size,
        start_level=levels.index(plan.start_level),
        n_trials=query.n_trials,
        seed=query.seed,
        levels=levels,
    )
    doc = simulation_as_dict(oc, level_unit(protocol))
    doc["trial_id"] = protocol.id
    doc["cohort"] = plan.cohort_id
    doc["design_source"] = rule.source
    doc["scenario"] = (
        "assumed: the protocol states no true DLT probabilities; 0.05 at the lowest level "
        "rising by 0.10 per level"
        if assumed
        else "given"
    )
    return {"doc": doc, "oc": oc, "unit": level_unit(protocol)}


def _figure_svg(out: dict[str, Any]) -> bytes:
    """The simulation drawn as the escalation report draws it (MTD selection, allocation)."""
    from theratrial.report.design_plots import operating_characteristics_figure

    doc = out["doc"]
    rule = doc["design"] + (f" (target {doc['target']:g})" if doc["target"] is not None else "")
    fig = operating_characteristics_figure(
        out["oc"],
        level_unit=out["unit"],
        title=f"{rule}, cohort {doc['cohort']}, {doc['n_trials']} simulated trials",
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


@router.get("/escalation/operating-characteristics")
def operating_characteristics(
    trial_id: str,
    ctx: Context = Depends(require(Action.READ_TRIALS)),
    query: OcQuery = Depends(),
    figure: bool = Query(False, description="Also return the SVG figure (figure_svg)."),
) -> dict[str, Any]:
    """Simulated operating characteristics of the design for one cohort (JSON, with units).

    ``figure=true`` adds the figure as SVG text, so that a page shows table and figure
    from one simulation.
    """
    with tx(ctx.request) as session:
        out = _simulate(session, trial_id, query)
    doc: dict[str, Any] = out["doc"]
    if figure:
        doc["figure_svg"] = _figure_svg(out).decode("utf-8")
    return doc


@router.get("/escalation/operating-characteristics.svg")
def operating_characteristics_svg(
    trial_id: str,
    ctx: Context = Depends(require(Action.READ_TRIALS)),
    query: OcQuery = Depends(),
) -> Response:
    """The same simulation drawn as the report draws it (MTD selection and allocation)."""
    with tx(ctx.request) as session:
        out = _simulate(session, trial_id, query)
    return Response(_figure_svg(out), media_type="image/svg+xml")
