"""``/patients/{patient_id}/timeline``: a patient's screening, scans, cycles, labs and response.

Also the pieces the screening and patient pages need beyond the resources of their own:

- ``POST /patients/validate``: a record checked exactly as ``POST /patients`` checks it
  (:func:`theratrial.eligibility.parse_patient`, the site-code rule and the principal's
  sites), storing nothing: ``200`` with the validated record, or the same problem details
  (status and field errors) the store request would return;
- ``POST /patients/{patient_id}/trial-finder``: the stored record screened against every
  trial and ranked (:func:`theratrial.eligibility.find_trials`); each screening is stored and
  audited like ``POST .../screenings`` (as ``theratrial screen --all --db`` does);
- ``GET /patients/{patient_id}/timeline/organ-doses`` and ``.../organ-doses.svg``: the
  cumulative absorbed dose, BED and RBE-weighted dose per organ after each cycle against the
  protocol's limits (:func:`theratrial.store.timeline.organ_dose_series`), and the figure of
  the cycle report (:func:`theratrial.report.dosimetry_plots.cumulative_dose_figure`);
- ``GET /patient-summaries``: the visible patients with their last screening and enrolments.

Every read is limited to the principal's sites (another site's patient is a 404).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.api.deps import (
    Context,
    patient_in_scope,
    require,
    tx,
)
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import MAX_LIMIT, load_record, page, protocol_for
from theratrial.api.routers.patients import check_record, record_text, visible_patients
from theratrial.api.routers.screenings import store_screening, stored_patient
from theratrial.eligibility import find_trials
from theratrial.protocol import bundled_protocols
from theratrial.protocol.schema import Protocol
from theratrial.store import stored_protocol
from theratrial.store.clinical import cycles_of
from theratrial.store.models import PatientRow, SiteRow, TrialRow
from theratrial.store.timeline import (
    cycle_timeline,
    enrolment_summaries,
    latest_recist,
    organ_dose_series,
    patient_summaries,
    screening_summaries,
    trials_of,
)
from theratrial.store.treatment_plans import cycle_history
from theratrial.treatment import active_limits

__all__ = ["router"]

router = APIRouter(tags=["timeline"])

_TYPES = ("application/json", "application/yaml", "application/x-yaml", "text/yaml", "text/plain")


@router.post("/patients/validate")
async def validate_record(
    ctx: Context = Depends(require(Action.WRITE_PATIENTS)),
) -> dict[str, Any]:
    """Check a record (JSON or YAML body) as ``POST /patients`` would; store nothing."""
    patient = check_record(await record_text(ctx.request), ctx.principal)
    return {
        "valid": True,
        "patient_id": patient.patient_id,
        "site": patient.site,
        "record": patient.model_dump(mode="json", exclude_none=True),
    }


def _site_code(session: Session, row: PatientRow) -> str | None:
    return session.scalar(select(SiteRow.code).where(SiteRow.id == row.site_pk))


def _organ_doses(session: Session, patient_id: str, protocol: Protocol) -> dict[str, Any]:
    cycles = cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
    doc = organ_dose_series(cycle_history(cycles), active_limits(protocol))
    return {"trial_id": protocol.id, **doc}


def _known_trial(session: Session, trial_id: str) -> Protocol:
    return protocol_for(session, trial_id, field="trial")


@router.get("/patients/{patient_id}/timeline")
def patient_timeline(
    patient_id: str, ctx: Context = Depends(require(Action.READ_PATIENTS))
) -> dict[str, Any]:
    """Screenings, enrolments, record labs and scans, cycles with windows, doses, RECIST."""
    with tx(ctx.request) as session:
        row = patient_in_scope(session, ctx.principal, patient_id)
        content = load_record(session, patient_id) or {}
        trials = []
        for trial_id in trials_of(session, row.id):
            protocol = protocol_for(session, trial_id)
            cycles = cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
            trials.append(
                {
                    "trial_id": protocol.id,
                    "title": protocol.title,
                    "schedule": None
                    if protocol.schedule is None
                    else protocol.schedule.model_dump(mode="json"),
                    **cycle_timeline(cycles, protocol.schedule),
                    "organ_doses": organ_dose_series(
                        cycle_history(cycles), active_limits(protocol)
                    ),
                }
            )
        labs = sorted(content.get("labs") or [], key=lambda lab: (lab.get("date", ""), lab["name"]))
        return {
            "patient_id": patient_id,
            "site": _site_code(session, row),
            "screening_date": content.get("screening_date"),
            "has_record": bool(content),
            "screenings": screening_summaries(session, row.id),
            "enrolments": enrolment_summaries(session, row.id),
            "labs": labs,
            "record_imaging": list(content.get("imaging") or []),
            "trials": trials,
            "recist": latest_recist(session, row.id),
        }


@router.get("/patients/{patient_id}/timeline/organ-doses.svg")
def organ_doses_svg(
    patient_id: str,
    trial: str = Query(..., min_length=1, max_length=64, description="the trial's id"),
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
) -> Response:
    """The cumulative organ-dose figure (SVG) of the patient's cycles in ``trial``."""
    from theratrial.report.dosimetry_plots import cumulative_dose_figure

    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        protocol = _known_trial(session, trial)
        history = cycle_history(cycles_of(session, patient_id=patient_id, trial_id=protocol.id))
        if not history:
            raise ProblemError(
                409,
                f"no cycle doses stored for this patient in {protocol.id}",
                field="trial",
                hint="record a cycle with its dosimetry first",
            )
        figure = cumulative_dose_figure(history, active_limits(protocol))
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return Response(
        out.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/patients/{patient_id}/timeline/organ-doses")
def organ_doses(
    patient_id: str,
    trial: str = Query(..., min_length=1, max_length=64, description="the trial's id"),
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
) -> dict[str, Any]:
    """The numbers of the organ-dose figure: cumulative Gy per organ and cycle, limits."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        return {
            "patient_id": patient_id,
            **_organ_doses(session, patient_id, _known_trial(session, trial)),
        }


def _all_protocols(session: Session) -> list[Protocol]:
    """Every trial: the bundled protocols, then the stored ones that are not bundled."""
    protocols = list(bundled_protocols())
    known = {p.id for p in protocols}
    for trial_id in session.scalars(select(TrialRow.trial_id).order_by(TrialRow.trial_id)):
        if trial_id in known:
            continue
        stored = stored_protocol(session, trial_id)
        if stored is not None:
            protocols.append(stored)
            known.add(stored.id)
    return protocols


@router.post("/patients/{patient_id}/trial-finder", status_code=201)
def trial_finder(patient_id: str, ctx: Context = Depends(require(Action.SCREEN))) -> dict[str, Any]:
    """Screen the stored record against every trial, rank, store each screening."""
    with tx(ctx.request) as session:
        row, patient = stored_patient(session, ctx, patient_id)
        protocols = {p.id: p for p in _all_protocols(session)}
        today = dt.date.today()
        found = find_trials(patient, list(protocols.values()), on=patient.screening_date or today)
        if patient.screening_date is None:
            note = f"the record has no screening_date; screened as of today ({today})"
            found = [replace(s, assumptions=(note, *s.assumptions)) for s in found]
        site = _site_code(session, row)
        items = []
        for rank, result in enumerate(found, start=1):
            protocol = protocols[result.trial_id]
            payload = store_screening(session, ctx, result, protocol, site, patient_id)
            title = protocol.title
            items.append({"rank": rank, "title": title, **payload})
    return {"patient_id": patient_id, "items": items}


@router.get("/patient-summaries")
def list_patient_summaries(
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    cursor: int | None = Query(None, ge=0, description="next_cursor of the previous page"),
    id_prefix: str | None = Query(None, max_length=64, description="pseudonyms starting so"),
) -> dict[str, Any]:
    """The visible patients, oldest first, with site, last screening and enrolments."""
    with tx(ctx.request) as session:
        rows = visible_patients(
            session, ctx.principal, limit=limit, cursor=cursor, id_prefix=id_prefix
        )
        extra = patient_summaries(session, [r.id for r, _ in rows])
        items = [
            {"patient_id": r.pseudonym, "site": code, "cursor": r.id, **extra[r.id]}
            for r, code in rows
        ]
    return page(items, limit=limit, cursor_of="cursor")
