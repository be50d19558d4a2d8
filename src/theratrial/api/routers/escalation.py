"""``/trials/{trial_id}/escalation``: the next-cohort decision, and its signed record.

``GET`` asks the chosen design for one decision per escalation cohort from the stored DLT
observations (:func:`theratrial.design.decide_per_cohort`), as ``theratrial escalation``
does (one function, :func:`theratrial.store.escalation.escalation_decisions`); ``POST``
recomputes it and records the investigator's signature bound to a hash of
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
from theratrial.store.escalation import escalation_decisions

__all__ = ["router"]

router = APIRouter(prefix="/trials/{trial_id}/escalation", tags=["dose finding"])


def _decide(
    session: Any, trial_id: str, *, design: str | None, target: float | None, as_of: dt.date
) -> dict[str, Any]:
    protocol = protocol_for(session, trial_id)
    doc = escalation_decisions(session, protocol, design=design, target=target, as_of=as_of)
    cohorts = doc["cohorts"]
    window = doc["dlt_window_days"]
    result: dict[str, Any] = jsonable(
        {
            "trial_id": protocol.id,
            "design": doc["design"],
            "target": doc["target"],
            "design_source": doc["design_source"],
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
    design: str | None = Query(None, max_length=16, description="Default: the protocol's."),
    target: float | None = Query(None, gt=0, lt=1, description="Default: the protocol's."),
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The decision per escalation cohort, with the signatures given to it so far.

    The design and target are the protocol's (``dosing.design``, ``dosing.target_dlt_rate``)
    unless asked for; ``design_source`` says ``protocol``, ``assumed`` (BOIN at 0.25: the
    protocol states none) or ``request``.
    """
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
