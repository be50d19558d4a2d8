"""``/patients/{patient_id}/screenings``: screen the stored record against a trial, and list.

The response of ``POST`` is exactly the object ``theratrial screen --json`` prints
(:func:`theratrial.eligibility.screening_doc.screening_as_dict`), and the screening is
stored with its per-criterion results and evidence (:func:`theratrial.store.save_screening`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from theratrial.api.deps import Context, patient_in_scope, require, tx
from theratrial.api.permissions import Action
from theratrial.api.routers._common import MAX_LIMIT, page, protocol_for, record, stored_record
from theratrial.api.schemas import ScreeningIn
from theratrial.eligibility import Patient, screen
from theratrial.eligibility.screening_doc import screening_as_dict
from theratrial.store import save_screening
from theratrial.store.models import ProtocolVersionRow, ScreeningRow, SiteRow, TrialRow

__all__ = ["router"]

router = APIRouter(prefix="/patients/{patient_id}/screenings", tags=["screenings"])


@router.post("", status_code=201)
def run_screening(
    patient_id: str, body: ScreeningIn, ctx: Context = Depends(require(Action.SCREEN))
) -> dict[str, Any]:
    """Screen the patient's stored record against ``trial_id``; store and return it."""
    with tx(ctx.request) as session:
        row, patient = stored_patient(session, ctx, patient_id)
        protocol = protocol_for(session, body.trial_id)
        today = dt.date.today()
        result = screen(patient, protocol, on=body.date or patient.screening_date or today)
        if body.date is None and patient.screening_date is None:
            note = f"the record has no screening_date; screened as of today ({today})"
            result = replace(result, assumptions=(note, *result.assumptions))
        site = session.scalar(select(SiteRow.code).where(SiteRow.id == row.site_pk))
        payload = store_screening(session, ctx, result, protocol, site, patient_id)
    return payload


def stored_patient(session: Any, ctx: Context, patient_id: str) -> tuple[Any, Patient]:
    """The patient's row (404 for another site's) and its stored record (409 without one)."""
    row = patient_in_scope(session, ctx.principal, patient_id)
    return row, stored_record(session, patient_id)


def store_screening(
    session: Any, ctx: Context, result: Any, protocol: Any, site: str | None, patient_id: str
) -> dict[str, Any]:
    """Store one screening with its audit record; return its JSON form."""
    stored = save_screening(session, result, protocol, site_code=site)
    payload: dict[str, Any] = screening_as_dict(result)
    record(
        session,
        ctx,
        action="create",
        entity="screening",
        entity_id=str(stored.id),
        changes=[
            ("patient_id", None, patient_id),
            ("trial_id", None, protocol.id),
            ("verdict", None, payload["verdict"]),
        ],
    )
    return payload


@router.get("")
def list_screenings(
    patient_id: str,
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    cursor: int | None = Query(None, ge=0),
    trial_id: str | None = Query(None, max_length=64),
    verdict: str | None = Query(None, max_length=16),
) -> dict[str, Any]:
    """The patient's stored screenings, oldest first, with criteria and evidence."""
    with tx(ctx.request) as session:
        row = patient_in_scope(session, ctx.principal, patient_id)
        stmt = (
            select(ScreeningRow, TrialRow.trial_id)
            .join(ProtocolVersionRow, ScreeningRow.protocol_version_pk == ProtocolVersionRow.id)
            .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
            .where(ScreeningRow.patient_pk == row.id)
            .options(selectinload(ScreeningRow.criteria))
            .order_by(ScreeningRow.id)
            .limit(limit + 1)
        )
        if cursor is not None:
            stmt = stmt.where(ScreeningRow.id > cursor)
        if trial_id is not None:
            stmt = stmt.where(TrialRow.trial_id == trial_id)
        if verdict is not None:
            stmt = stmt.where(ScreeningRow.verdict == verdict)
        items = [
            {
                "id": s.id,
                "patient_id": patient_id,
                "trial_id": trial,
                "screening_date": s.screening_date.isoformat(),
                "verdict": s.verdict,
                "cohorts": list(s.cohorts),
                "counts": {
                    "met": s.n_met,
                    "not_met": s.n_not_met,
                    "unknown": s.n_unknown,
                    "needs_review": s.n_needs_review,
                },
                "assumptions": list(s.assumptions),
                "criteria": [
                    {
                        "id": c.criterion_id,
                        "section": c.section,
                        "kind": c.kind,
                        "label": c.label,
                        "status": c.status,
                        "reason": c.reason,
                        "evidence": list(c.evidence),
                    }
                    for c in s.criteria
                ],
            }
            for s, trial in session.execute(stmt).all()
        ]
    return page(items, limit=limit, cursor_of="id")
