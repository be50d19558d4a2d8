"""``/trials/{trial_id}/escalation``: the next-cohort decision, and its signed record.

``GET`` asks the chosen design for one decision per escalation cohort from the stored DLT
observations (:func:`theratrial.design.decide_per_cohort`), as ``theratrial escalation``
does; ``POST`` recomputes it and records the investigator's signature bound to a hash of
exactly that decision (21 CFR 11.50, 11.70).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query

from theratrial.api import signatures
from theratrial.api.deps import Context, require, tx
from theratrial.api.permissions import Action
from theratrial.api.routers._common import jsonable, protocol_for
from theratrial.api.routers.cycles import sign_content
from theratrial.api.schemas import EscalationSignIn
from theratrial.design import DltRecord, create_design, decide_per_cohort
from theratrial.design.decision_doc import decision_as_dict
from theratrial.design.escalation_plan import level_values, plans_from_protocol
from theratrial.store.dlt import dlt_rows

__all__ = ["router"]

router = APIRouter(prefix="/trials/{trial_id}/escalation", tags=["dose finding"])


def _decide(
    session: Any, trial_id: str, *, design: str, target: float, as_of: dt.date
) -> dict[str, Any]:
    protocol = protocol_for(session, trial_id)
    values = level_values(protocol)
    plans = plans_from_protocol(protocol, values)
    records: dict[str, list[DltRecord]] = {}
    from theratrial.store import register_protocol

    register_protocol(session, protocol)
    for pseudonym, row in dlt_rows(session, trial_id=protocol.id):
        records.setdefault(row.cohort_id, []).append(
            DltRecord(
                pseudonym,
                row.cycle,
                values[row.dose_level],
                event=row.event,
                grade=row.grade,
                onset_date=row.onset_date,
                administered_date=row.administered_date,
                is_dlt=row.dlt,
                within_dlt_window=row.within_dlt_window,
            )
        )
    window = protocol.dosing.dlt_window_days if protocol.dosing else None
    decisions = decide_per_cohort(
        create_design(design, target=target), plans, records, dlt_window_days=window, as_of=as_of
    )
    unit = "kBq/kg" if protocol.dosing and protocol.dosing.rule == "per_weight" else "GBq"
    by_value = {v: k for k, v in values.items()}
    cohorts = []
    for plan in plans:
        d = decisions[plan.cohort_id]
        item = {
            "cohort": plan.cohort_id,
            **decision_as_dict(d.decision, d.data, plan.start_level, unit),
        }
        nxt = d.decision.next_level
        item["next_level_id"] = by_value.get(nxt) if nxt is not None else None
        cohorts.append(item)
    result: dict[str, Any] = jsonable(
        {
            "trial_id": protocol.id,
            "design": design,
            "target": target,
            "as_of": as_of,
            "dlt_window_days": window,
            "cohorts": cohorts,
        }
    )
    return result


@router.get("")
def get_decision(
    trial_id: str,
    ctx: Context = Depends(require(Action.RUN_ESCALATION)),
    design: str = Query("boin", max_length=16),
    target: float = Query(0.25, gt=0, lt=1),
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The decision per escalation cohort, with the signatures given to it so far."""
    with tx(ctx.request) as session:
        payload = _decide(
            session, trial_id, design=design, target=target, as_of=as_of or dt.date.today()
        )
        sigs = signatures.signatures_for(
            session, "escalation", payload["trial_id"], current=payload
        )
        return {**payload, "signatures": [jsonable(s) for s in sigs]}


@router.post("", status_code=201)
def sign_decision(
    trial_id: str, body: EscalationSignIn, ctx: Context = Depends(require(Action.SIGN_ESCALATION))
) -> dict[str, Any]:
    """Sign the decision as computed now (password re-asked, meaning recorded)."""
    with tx(ctx.request) as session:
        payload = _decide(
            session,
            trial_id,
            design=body.design,
            target=body.target,
            as_of=body.as_of or dt.date.today(),
        )
        sig = sign_content(
            session, ctx, body, entity="escalation", entity_id=payload["trial_id"], content=payload
        )
    return {"signature": sig, "content": payload}
