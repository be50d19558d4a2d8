"""``/trials/{trial_id}/dlts``: DLT-evaluable observations (as ``theratrial dlt add``).

One observation per patient and cycle: a repeat or a contradiction is refused unless
``correct`` with a ``reason`` (:func:`theratrial.store.clinical.add_dlts`). The record is
first checked as the escalation will read it (:class:`theratrial.design.DltRecord`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from theratrial.api.deps import Context, patient_in_scope, require, tx, visible_site_pks
from theratrial.api.permissions import Action
from theratrial.api.routers._common import jsonable, protocol_for, record
from theratrial.api.schemas import DltIn
from theratrial.design.escalation_plan import (
    check_correction,
    check_dlt_ids,
    level_values,
    validate_dlt_record,
)
from theratrial.store import register_protocol
from theratrial.store.dlt import add_dlts, dlt_rows

__all__ = ["router"]

router = APIRouter(prefix="/trials/{trial_id}/dlts", tags=["dose finding"])


@router.post("", status_code=201)
def add_dlt(
    trial_id: str, body: DltIn, ctx: Context = Depends(require(Action.RECORD_DLT))
) -> dict[str, Any]:
    """Record one observation (``correct`` + ``reason`` replaces the stored one)."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, body.patient_id)
        protocol = protocol_for(session, trial_id)
        check_dlt_ids(protocol, body.cohort, body.level)
        check_correction(body.correct, body.reason)
        values: dict[str, Any] = {
            "patient_id": body.patient_id,
            "cohort_id": body.cohort,
            "cycle": body.cycle,
            "dose_level": body.level,
            "dlt": body.dlt,
            "event": body.event.strip() if body.event and body.event.strip() else None,
            "grade": body.grade,
            "onset_date": body.onset,
            "administered_date": body.administered,
            "within_dlt_window": not body.outside_window,
        }
        validate_dlt_record(values, level_values(protocol)[body.level])
        register_protocol(session, protocol)
        done = add_dlts(
            session,
            trial_id=protocol.id,
            records=[{**values, "line": None}],
            correct=body.correct,
            reason=body.reason,
        )
        state = "corrected" if done.corrected else "unchanged" if done.unchanged else "recorded"
        if state != "unchanged":
            record(
                session,
                ctx,
                action="update" if done.corrected else "create",
                entity="dlt",
                entity_id=f"{protocol.id}/{body.patient_id}/{body.cycle}",
                changes=[(k, None, v) for k, v in values.items()],
                reason=body.reason,
            )
    return {"state": state, **jsonable(values)}


@router.get("")
def list_dlts(
    trial_id: str, ctx: Context = Depends(require(Action.READ_PATIENTS))
) -> dict[str, Any]:
    """The trial's DLT observations of the principal's sites, in the order recorded."""
    with tx(ctx.request) as session:
        protocol = protocol_for(session, trial_id)
        register_protocol(session, protocol)
        visible = visible_site_pks(session, ctx.principal)
        items = [
            {
                "patient_id": pid,
                "cohort": r.cohort_id,
                "cycle": r.cycle,
                "level": r.dose_level,
                "dlt": r.dlt,
                "event": r.event,
                "grade": r.grade,
                "onset": jsonable(r.onset_date),
                "administered": jsonable(r.administered_date),
                "within_dlt_window": r.within_dlt_window,
                "correction_reason": r.correction_reason,
            }
            for pid, r in dlt_rows(session, trial_id=protocol.id)
            if visible is None or _site_of(session, r.patient_pk) in visible
        ]
    return {"items": items}


def _site_of(session: Any, patient_pk: int) -> int | None:
    from theratrial.store.models import PatientRow

    row = session.get(PatientRow, patient_pk)
    return None if row is None else row.site_pk
