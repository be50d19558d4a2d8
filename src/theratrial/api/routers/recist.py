"""``/patients/{patient_id}/recist``: RECIST 1.1 evaluation of assessments, stored and read.

The evaluation is :func:`theratrial.response.evaluate_recist_dict` (Eisenhauer et al. 2009,
Eur J Cancer 45:228-247) and its JSON form that of ``theratrial recist --json``
(:func:`theratrial.response.recist_doc.recist_payload`). The assessments and the result are
stored as a row of ``recist_assessments`` (optionally for one trial); a new evaluation that
differs from the stored one needs a reason, and the audit trail records each change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.api.deps import Context, patient_in_scope, require, tx
from theratrial.api.permissions import Action
from theratrial.api.routers._common import jsonable, protocol_for, record, require_reason
from theratrial.api.schemas import RecistIn
from theratrial.response.recist import evaluate_recist_dict
from theratrial.response.recist_doc import recist_payload
from theratrial.store import register_protocol
from theratrial.store.models import TrialRow
from theratrial.store.models_records import RecistAssessmentRow

__all__ = ["router"]

router = APIRouter(prefix="/patients/{patient_id}/recist", tags=["response"])


def _latest(session: Session, patient_pk: int, trial_pk: int | None) -> RecistAssessmentRow | None:
    stmt = select(RecistAssessmentRow).where(RecistAssessmentRow.patient_pk == patient_pk)
    stmt = stmt.where(
        RecistAssessmentRow.trial_pk.is_(None)
        if trial_pk is None
        else RecistAssessmentRow.trial_pk == trial_pk
    )
    return session.scalar(stmt.order_by(RecistAssessmentRow.id.desc()).limit(1))


def _trial_pk(session: Session, trial_id: str | None) -> tuple[int | None, str | None]:
    if trial_id is None:
        return None, None
    protocol = protocol_for(session, trial_id)
    register_protocol(session, protocol)
    pk = session.scalar(select(TrialRow.id).where(TrialRow.trial_id == protocol.id))
    return pk, protocol.id


def _view(row: RecistAssessmentRow, patient_id: str, trial_id: str | None) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "trial_id": trial_id,
        "assessments": row.content,
        "evaluation": row.result,
        "created_at": jsonable(row.created_at),
        "actor": row.actor,
    }


@router.post("", status_code=201)
def evaluate(
    patient_id: str, body: RecistIn, ctx: Context = Depends(require(Action.WRITE_RECIST))
) -> dict[str, Any]:
    """Evaluate the assessments, store assessments and result, return the evaluation."""
    with tx(ctx.request) as session:
        patient = patient_in_scope(session, ctx.principal, patient_id)
        payload = recist_payload(evaluate_recist_dict(body.assessments, file="body"))
        trial_pk, trial_id = _trial_pk(session, body.trial_id)
        old = _latest(session, patient.id, trial_pk)
        content = {"assessments": body.assessments}
        if old is not None and old.content == content and old.result == payload:
            return payload
        reason = require_reason(body.reason, what="a RECIST evaluation") if old else None
        session.add(
            RecistAssessmentRow(
                patient_pk=patient.id,
                trial_pk=trial_pk,
                content=content,
                result=payload,
                actor=ctx.actor,
            )
        )
        session.flush()
        record(
            session,
            ctx,
            action="update" if old else "create",
            entity="recist",
            entity_id=f"{trial_id}/{patient_id}" if trial_id else patient_id,
            changes=[
                ("assessments", old.content["assessments"] if old else None, body.assessments),
                (
                    "best_overall_response",
                    old.result.get("best_overall_response") if old else None,
                    payload["best_overall_response"],
                ),
            ],
            reason=reason,
        )
    return payload


@router.get("")
def get_evaluation(
    patient_id: str,
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    trial_id: str | None = None,
) -> dict[str, Any]:
    """The newest stored assessments and evaluation (``recist: null`` when none is stored)."""
    with tx(ctx.request) as session:
        patient = patient_in_scope(session, ctx.principal, patient_id)
        trial_pk, trial = _trial_pk(session, trial_id)
        row = _latest(session, patient.id, trial_pk)
        return {
            "patient_id": patient_id,
            "recist": None if row is None else _view(row, patient_id, trial),
        }
