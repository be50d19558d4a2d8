"""``/patients/{patient_id}/cycles``: administrations, their dosimetry, the next-cycle plan.

Recording checks what ``theratrial cycle record`` checks, with the same public functions:
the trial's therapy nuclide and dose level, :func:`theratrial.treatment.check_cycle_record`
(activity within the prescription plus dispensing tolerance, date not in the future nor
before the eligible screening) and :func:`theratrial.treatment.check_cycle_doses`. The plan
is :func:`theratrial.treatment.plan_next_cycle` over the stored cycles. Re-recording a
stored cycle needs a ``reason``; the physicist's approval of a cycle's dosimetry and the
physician's prescription are signed (``.../sign``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends

from theratrial.api import signatures
from theratrial.api.accounts import AuthError
from theratrial.api.deps import Context, patient_in_scope, require, tx
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import jsonable, protocol_for, record, require_reason
from theratrial.api.schemas import CycleIn, SignIn
from theratrial.store import register_protocol, treatment_plans
from theratrial.store.clinical import cycles_of, record_cycle, save_dose_results, save_time_activity
from theratrial.store.cycle_views import cycle_view
from theratrial.store.repository import enrolment_of
from theratrial.treatment import (
    CycleRecord,
    RegionDose,
    check_cycle_doses,
    check_cycle_record,
    dose_level,
    require_enrolment,
)

__all__ = ["router"]

router = APIRouter(prefix="/patients/{patient_id}", tags=["cycles"])

_cycle_view = cycle_view
"""The stored cycle as signed, listed and audited (one function in the store)."""


@router.post("/cycles", status_code=201)
def add_cycle(
    patient_id: str, body: CycleIn, ctx: Context = Depends(require(Action.RECORD_CYCLE))
) -> dict[str, Any]:
    """Store one administration and its dosimetry in one transaction."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        protocol = protocol_for(session, body.trial_id)
        nuclide = protocol.therapy_nuclide()
        if nuclide is None:
            raise ProblemError(
                422, f"trial {protocol.id} has no therapy radiopharmaceutical", field="trial_id"
            )
        if body.level is not None:
            dose_level(protocol, body.level)
        when = dt.datetime.combine(body.date, dt.time(9, 0), tzinfo=dt.UTC) if body.date else None
        check_cycle_record(
            protocol,
            CycleRecord(body.cycle, body.activity_mbq, body.date, body.weight_kg, body.level),
            today=dt.date.today(),
        )
        rows = [r.model_dump(exclude_none=True) for r in body.dosimetry]
        check_cycle_doses(
            nuclide,
            body.activity_mbq,
            [RegionDose(r.region, r.dose_gy, r.mass_g) for r in body.dosimetry],
        )
        register_protocol(session, protocol)
        old = [
            c
            for c in cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
            if c.cycle_number == body.cycle
        ]
        reason = require_reason(body.reason, what=f"cycle {body.cycle}") if old else None
        before = _cycle_view(old[0]) if old else None
        row = record_cycle(
            session,
            patient_id=patient_id,
            trial_id=protocol.id,
            cycle_number=body.cycle,
            nuclide=nuclide,
            activity_mbq=body.activity_mbq,
            administered_at=when,
            dose_level=body.level,
            weight_kg=body.weight_kg,
        )
        save_dose_results(session, row, rows)
        points = [
            (str(r["region"]), float(t), float(a))
            for r in rows
            if isinstance(r.get("activity_mbq"), list)
            for t, a in zip(r.get("times_h") or body.times_h, r["activity_mbq"], strict=False)
        ]
        save_time_activity(session, row, points)
        session.refresh(row)
        after = _cycle_view(row)
        record(
            session,
            ctx,
            action="update" if old else "create",
            entity="cycle",
            entity_id=f"{protocol.id}/{patient_id}/{body.cycle}",
            changes=[
                (k, (before or {}).get(k), v)
                for k, v in after.items()
                if (before or {}).get(k) != v
            ],
            reason=reason,
        )
    return after


@router.get("/cycles")
def list_cycles(
    patient_id: str, trial_id: str, ctx: Context = Depends(require(Action.READ_PATIENTS))
) -> dict[str, Any]:
    """The patient's stored cycles of a trial with their dosimetry."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        protocol = protocol_for(session, trial_id)
        return {
            "items": [
                _cycle_view(c)
                for c in cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
            ]
        }


def _plan(session: Any, patient_id: str, trial_id: str) -> dict[str, Any]:
    """The document ``theratrial plan --json`` prints (``treatment_plans.next_cycle_plan``)."""
    protocol = protocol_for(session, trial_id)
    require_enrolment(enrolment_of(session, patient_id=patient_id, trial_id=protocol.id))
    cycles = cycles_of(session, patient_id=patient_id, trial_id=protocol.id)
    return treatment_plans.next_cycle_plan(protocol, patient_id, cycles).payload


@router.get("/plan")
def next_cycle_plan(
    patient_id: str, trial_id: str, ctx: Context = Depends(require(Action.READ_PATIENTS))
) -> dict[str, Any]:
    """The next-cycle prescription under the organ limits, with its signatures."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        plan = _plan(session, patient_id, trial_id)
        entity_id = f"{plan['trial_id']}/{patient_id}/{plan['next_cycle']}"
        sigs = signatures.signatures_for(session, "prescription", entity_id, current=plan)
        return {**plan, "signatures": [jsonable(s) for s in sigs]}


@router.post("/plan/sign", status_code=201)
def sign_prescription(
    patient_id: str, trial_id: str, body: SignIn, ctx: Context = Depends(require(Action.PRESCRIBE))
) -> dict[str, Any]:
    """The physician signs the next-cycle prescription exactly as planned now."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        plan = _plan(session, patient_id, trial_id)
        sig = sign_content(
            session,
            ctx,
            body,
            entity="prescription",
            entity_id=f"{plan['trial_id']}/{patient_id}/{plan['next_cycle']}",
            content=plan,
        )
    return {"signature": sig, "content": plan}


def _stored_cycle(session: Any, patient_id: str, trial_id: str, cycle: int) -> tuple[Any, Any]:
    """The trial's protocol and the stored cycle ``cycle`` of the patient (404 when absent)."""
    protocol = protocol_for(session, trial_id)
    for row in cycles_of(session, patient_id=patient_id, trial_id=protocol.id):
        if row.cycle_number == cycle:
            return protocol, row
    raise ProblemError(404, f"no cycle {cycle} stored", field="cycle")


@router.post("/cycles/{cycle}/dosimetry/sign", status_code=201)
def sign_dosimetry(
    patient_id: str,
    cycle: int,
    trial_id: str,
    body: SignIn,
    ctx: Context = Depends(require(Action.APPROVE_DOSIMETRY)),
) -> dict[str, Any]:
    """The physicist approves a cycle's stored dosimetry; a later change voids it."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        protocol, row = _stored_cycle(session, patient_id, trial_id, cycle)
        content = _cycle_view(row)
        sig = sign_content(
            session,
            ctx,
            body,
            entity="cycle_dosimetry",
            entity_id=f"{protocol.id}/{patient_id}/{cycle}",
            content=content,
        )
    return {"signature": sig, "content": content}


@router.get("/cycles/{cycle}/dosimetry/signatures")
def dosimetry_signatures(
    patient_id: str,
    cycle: int,
    trial_id: str,
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
) -> dict[str, Any]:
    """Signatures of a cycle's dosimetry, each marked void when the data changed since."""
    with tx(ctx.request) as session:
        patient_in_scope(session, ctx.principal, patient_id)
        protocol, row = _stored_cycle(session, patient_id, trial_id, cycle)
        sigs = signatures.signatures_for(
            session,
            "cycle_dosimetry",
            f"{protocol.id}/{patient_id}/{cycle}",
            current=_cycle_view(row),
        )
        return {"items": [jsonable(s) for s in sigs]}


def sign_content(
    session: Any,
    ctx: Context,
    body: SignIn,
    *,
    entity: str,
    entity_id: str,
    content: dict[str, Any],
) -> Any:
    """Sign ``content`` for the principal (password re-checked, meaning recorded)."""
    if body.meaning not in signatures.MEANINGS:
        raise ProblemError(
            422,
            f"unknown meaning {body.meaning!r}",
            field="meaning",
            hint=f"use one of {', '.join(signatures.MEANINGS)}",
        )
    try:
        view = signatures.sign(
            session,
            ctx.principal,
            password=body.password,
            entity=entity,
            entity_id=entity_id,
            meaning=body.meaning,
            content=content,
            now=dt.datetime.now(dt.UTC),
        )
    except AuthError as exc:  # a wrong password at signing: refused, the session stays valid
        raise ProblemError(403, f"signature refused: {exc.message}", field="password") from exc
    return jsonable(view)
