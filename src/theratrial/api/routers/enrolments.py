"""``/patients/{patient_id}/enrolments``: enrolment in a trial, its cohort, and withdrawal.

A patient is enrolled after an eligible screening of the trial
(:func:`theratrial.treatment.require_enrolment`), on the date of informed consent (ICH E6(R3)
2.8: consent before any trial procedure, so not after today). The cohort is the protocol's
assignment rule applied to the stored record (:func:`theratrial.eligibility.assign_cohorts`):
a requested cohort must be one the rule allows; with none requested the rule must name
exactly one. Withdrawal keeps the enrolment with its date and reason. Every change is an
audit record; changing a stored enrolment needs a reason. The enrolment belongs to the
patient's site, and another site's patient is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from theratrial.api.deps import Context, patient_in_scope, require, tx
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import (
    jsonable,
    protocol_for,
    record,
    require_reason,
    stored_record,
)
from theratrial.api.schemas import EnrolmentIn, WithdrawalIn
from theratrial.eligibility import assign_cohorts
from theratrial.store import register_protocol
from theratrial.store.models import PatientRow, TrialRow
from theratrial.store.models_service import EnrolmentRow
from theratrial.store.repository import enrolment_of
from theratrial.treatment import require_enrolment

__all__ = ["router"]

router = APIRouter(prefix="/patients/{patient_id}/enrolments", tags=["enrolment"])

_FIELDS = ("cohort_id", "consent_date", "withdrawn_date", "withdrawal_reason")


def _view(row: EnrolmentRow, patient_id: str, trial_id: str) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "trial_id": trial_id,
        "cohort": row.cohort_id,
        "consent_date": jsonable(row.consent_date),
        "enrolled_at": jsonable(row.enrolled_at),
        "withdrawn": row.withdrawn_date is not None,
        "withdrawn_date": jsonable(row.withdrawn_date),
        "withdrawal_reason": row.withdrawal_reason,
    }


def _snapshot(row: EnrolmentRow | None) -> dict[str, Any]:
    return {} if row is None else {k: jsonable(getattr(row, k)) for k in _FIELDS}


def _trial_pk(session: Session, trial_id: str) -> tuple[int, str]:
    protocol = protocol_for(session, trial_id)
    register_protocol(session, protocol)
    pk = session.scalar(select(TrialRow.id).where(TrialRow.trial_id == protocol.id))
    assert pk is not None  # registered just above
    return pk, protocol.id


def _find(session: Session, patient: PatientRow, trial_pk: int) -> EnrolmentRow | None:
    return session.scalar(
        select(EnrolmentRow).where(
            EnrolmentRow.patient_pk == patient.id, EnrolmentRow.trial_pk == trial_pk
        )
    )


def _not_future(day: dt.date, *, field: str) -> None:
    if day > dt.date.today():
        raise ProblemError(422, f"{field} {day} is in the future", field=field)


@router.post("", status_code=201)
def enrol(
    patient_id: str, body: EnrolmentIn, ctx: Context = Depends(require(Action.ENROL))
) -> dict[str, Any]:
    """Enrol the patient in a trial, in the cohort the protocol's rule assigns."""
    _not_future(body.consent_date, field="consent_date")
    with tx(ctx.request) as session:
        patient = patient_in_scope(session, ctx.principal, patient_id)
        protocol = protocol_for(session, body.trial_id)
        trial_pk, trial_id = _trial_pk(session, body.trial_id)
        require_enrolment(enrolment_of(session, patient_id=patient_id, trial_id=trial_id))
        allowed = assign_cohorts(stored_record(session, patient_id), protocol, on=body.consent_date)
        if body.cohort is not None and body.cohort not in allowed:
            raise ProblemError(
                422,
                f"the protocol's assignment rule does not put this patient in {body.cohort!r}",
                field="cohort",
                hint=f"use one of {', '.join(allowed) or '(none: no cohort rule is met)'}",
            )
        if body.cohort is None and len(allowed) != 1:
            raise ProblemError(
                422,
                "the assignment rule names "
                + ("no cohort" if not allowed else f"several cohorts ({', '.join(allowed)})"),
                field="cohort",
                hint="choose the cohort" if allowed else "check the record against the protocol",
            )
        cohort = body.cohort or allowed[0]
        row = _find(session, patient, trial_pk)
        before = _snapshot(row)
        if row is not None and row.withdrawn_date is not None:
            raise ProblemError(409, "the patient was withdrawn from this trial", field="trial_id")
        if row is not None and (row.cohort_id, row.consent_date) == (cohort, body.consent_date):
            return _view(row, patient_id, trial_id)
        reason = require_reason(body.reason, what="the enrolment") if row is not None else None
        if row is None:
            row = EnrolmentRow(
                patient_pk=patient.id,
                trial_pk=trial_pk,
                site_pk=patient.site_pk,
                enrolled_at=dt.datetime.now(dt.UTC),
                consent_date=body.consent_date,
                cohort_id=cohort,
            )
            session.add(row)
        else:
            row.cohort_id, row.consent_date = cohort, body.consent_date
        session.flush()
        after = _snapshot(row)
        record(
            session,
            ctx,
            action="update" if before else "create",
            entity="enrolment",
            entity_id=f"{trial_id}/{patient_id}",
            changes=[(k, before.get(k), v) for k, v in after.items() if before.get(k) != v],
            reason=reason,
        )
        return _view(row, patient_id, trial_id)


@router.get("")
def list_enrolments(
    patient_id: str, ctx: Context = Depends(require(Action.READ_PATIENTS))
) -> dict[str, Any]:
    """The patient's enrolments, one per trial."""
    with tx(ctx.request) as session:
        patient = patient_in_scope(session, ctx.principal, patient_id)
        rows = session.execute(
            select(EnrolmentRow, TrialRow.trial_id)
            .join(TrialRow, EnrolmentRow.trial_pk == TrialRow.id)
            .where(EnrolmentRow.patient_pk == patient.id)
            .order_by(EnrolmentRow.id)
        ).all()
        return {"items": [_view(row, patient_id, trial) for row, trial in rows]}


@router.post("/{trial_id}/withdrawal", status_code=201)
def withdraw(
    patient_id: str,
    trial_id: str,
    body: WithdrawalIn,
    ctx: Context = Depends(require(Action.ENROL)),
) -> dict[str, Any]:
    """Withdraw the patient from a trial on ``date`` for ``reason`` (kept with the enrolment)."""
    _not_future(body.date, field="date")
    reason = body.reason.strip()
    if not reason:
        raise ProblemError(422, "a withdrawal needs its reason", field="reason")
    with tx(ctx.request) as session:
        patient = patient_in_scope(session, ctx.principal, patient_id)
        trial_pk, trial = _trial_pk(session, trial_id)
        row = _find(session, patient, trial_pk)
        if row is None:
            raise ProblemError(409, f"the patient is not enrolled in {trial}", field="trial_id")
        if row.withdrawn_date is not None:
            raise ProblemError(409, f"already withdrawn on {row.withdrawn_date}", field="trial_id")
        if body.date < row.consent_date:
            raise ProblemError(
                422,
                f"withdrawal date {body.date} is before consent ({row.consent_date})",
                field="date",
            )
        row.withdrawn_date, row.withdrawal_reason = body.date, reason
        session.flush()
        record(
            session,
            ctx,
            action="update",
            entity="enrolment",
            entity_id=f"{trial}/{patient_id}",
            changes=[("withdrawn_date", None, body.date), ("withdrawal_reason", None, reason)],
            reason=reason,
        )
        return _view(row, patient_id, trial)
