"""Reading and writing trials, patients and screenings.

Each public function works inside a caller's session (see
:func:`theratrial.store.db.session_scope`), so one import is one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from theratrial.eligibility.evidence import Screening, Status
from theratrial.errors import InputError
from theratrial.ids import check_pseudonym
from theratrial.protocol.schema import Protocol
from theratrial.store.models import (
    CriterionResultRow,
    PatientRow,
    ProtocolVersionRow,
    ScreeningRow,
    SiteRow,
    TrialRow,
)
from theratrial.treatment.enrolment import Enrolment

__all__ = [
    "count_rows",
    "enrolment_of",
    "find_patient",
    "get_or_create_patient",
    "get_or_create_site",
    "register_protocol",
    "save_screening",
    "save_screenings",
    "screening_summary",
    "stored_protocol",
]


def register_protocol(session: Session, protocol: Protocol) -> ProtocolVersionRow:
    """Store a protocol version (idempotent: the same content is stored once)."""
    content = protocol.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    trial = session.scalar(select(TrialRow).where(TrialRow.trial_id == protocol.id))
    if trial is None:
        trial = TrialRow(trial_id=protocol.id, title=protocol.title, phase=protocol.phase)
        session.add(trial)
        session.flush()
    version = session.scalar(
        select(ProtocolVersionRow).where(
            ProtocolVersionRow.trial_pk == trial.id, ProtocolVersionRow.content_sha256 == digest
        )
    )
    if version is None:
        version = ProtocolVersionRow(trial_pk=trial.id, content_sha256=digest, content=content)
        session.add(version)
        session.flush()
    return version


def get_or_create_site(session: Session, code: str, *, name: str | None = None) -> SiteRow:
    """The site with ``code``, created when new."""
    site = session.scalar(select(SiteRow).where(SiteRow.code == code))
    if site is None:
        site = SiteRow(code=code, name=name)
        session.add(site)
        session.flush()
    return site


def _trial(session: Session, trial_id: str) -> TrialRow:
    """The stored trial ``trial_id``, or an ``InputError`` that says how to add it."""
    trial = session.scalar(select(TrialRow).where(TrialRow.trial_id == trial_id))
    if trial is None:
        raise InputError(
            f"trial {trial_id!r} is not in the database",
            field="trial",
            hint="screen a patient for it first, or register the protocol",
        )
    return trial


def _check_pseudonym(pseudonym: str) -> None:
    """Refuse anything that is not a pseudonymous id (a name, say).

    The one rule of :func:`theratrial.ids.check_pseudonym`, raised as an ``InputError``.
    """
    try:
        check_pseudonym(pseudonym, field="patient_id")
    except InputError as exc:
        exc.message = f"cannot store the patient: {exc.message}"
        raise


def get_or_create_patient(
    session: Session, pseudonym: str, *, site_code: str | None = None
) -> PatientRow:
    """The patient with this pseudonymous id, created when new."""
    _check_pseudonym(pseudonym)
    patient = session.scalar(select(PatientRow).where(PatientRow.pseudonym == pseudonym))
    if patient is None:
        site = get_or_create_site(session, site_code) if site_code else None
        patient = PatientRow(pseudonym=pseudonym, site_pk=site.id if site else None)
        session.add(patient)
        session.flush()
    return patient


def save_screening(
    session: Session,
    screening: Screening,
    protocol: Protocol,
    *,
    site_code: str | None = None,
    version: ProtocolVersionRow | None = None,
) -> ScreeningRow:
    """Store one screening with its per-criterion results.

    ``version`` is the stored protocol version when the caller registered it already.
    """
    version = version or register_protocol(session, protocol)
    patient = get_or_create_patient(session, screening.patient_id, site_code=site_code)
    row = ScreeningRow(
        patient_pk=patient.id,
        protocol_version_pk=version.id,
        screening_date=screening.screening_date,
        verdict=screening.verdict.value,
        n_met=screening.count(Status.MET),
        n_not_met=screening.count(Status.NOT_MET),
        n_unknown=screening.count(Status.UNKNOWN),
        n_needs_review=screening.count(Status.NEEDS_REVIEW),
        cohorts=list(screening.cohorts),
        assumptions=list(screening.assumptions),
        criteria=[
            CriterionResultRow(
                criterion_id=c.id,
                section=c.section,
                kind=c.kind,
                label=c.label,
                status=c.status.value,
                reason=c.reason,
                evidence=[e.as_dict() for e in c.evidence],
            )
            for c in screening.criteria
        ],
    )
    session.add(row)
    session.flush()
    return row


def save_screenings(
    session: Session,
    screenings: Sequence[Screening],
    protocols: Sequence[Protocol],
    *,
    sites: dict[str, str] | None = None,
) -> list[ScreeningRow]:
    """Store many screenings; ``protocols`` must hold every trial they refer to."""
    by_id = {p.id: p for p in protocols}
    versions = {p.id: register_protocol(session, p) for p in protocols}  # hashed once each
    sites = sites or {}
    return [
        save_screening(
            session,
            s,
            by_id[s.trial_id],
            site_code=sites.get(s.patient_id),
            version=versions[s.trial_id],
        )
        for s in screenings
    ]


def screening_summary(session: Session) -> list[tuple[str, str, int]]:
    """(trial id, verdict, number of screenings) for every stored combination."""
    stmt = (
        select(TrialRow.trial_id, ScreeningRow.verdict, func.count(ScreeningRow.id))
        .join(ProtocolVersionRow, ScreeningRow.protocol_version_pk == ProtocolVersionRow.id)
        .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
        .group_by(TrialRow.trial_id, ScreeningRow.verdict)
        .order_by(TrialRow.trial_id, ScreeningRow.verdict)
    )
    return [(t, v, int(n)) for t, v, n in session.execute(stmt).all()]


def count_rows(session: Session, model: type[Any]) -> int:
    """Number of rows in a table (for tests and summaries)."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def find_patient(session: Session, pseudonym: str) -> PatientRow | None:
    """The patient with this pseudonymous id, or None (never creates one)."""
    return session.scalar(select(PatientRow).where(PatientRow.pseudonym == pseudonym))


def stored_protocol(session: Session, trial_id: str) -> Protocol | None:
    """The newest stored version of a trial's protocol, validated again (None if absent)."""
    content = session.scalar(
        select(ProtocolVersionRow.content)
        .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
        .where(TrialRow.trial_id == trial_id)
        .order_by(ProtocolVersionRow.id.desc())
        .limit(1)
    )
    return Protocol.model_validate(content) if content is not None else None


def enrolment_of(session: Session, *, patient_id: str, trial_id: str) -> Enrolment:
    """What the store holds of a patient in a trial: screening verdicts and cycles given.

    Reads only: an unknown patient gives an empty :class:`~theratrial.treatment.Enrolment`
    (see :func:`theratrial.treatment.require_enrolment` for the rule applied to it).
    """
    from theratrial.store.models_clinical import CycleRow

    patient = find_patient(session, patient_id)
    if patient is None:
        return Enrolment(patient_id, trial_id)
    screenings = session.execute(
        select(ScreeningRow.screening_date, ScreeningRow.verdict)
        .join(ProtocolVersionRow, ScreeningRow.protocol_version_pk == ProtocolVersionRow.id)
        .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
        .where(ScreeningRow.patient_pk == patient.id, TrialRow.trial_id == trial_id)
    ).all()
    cycles = session.scalars(
        select(CycleRow.cycle_number)
        .join(TrialRow, CycleRow.trial_pk == TrialRow.id)
        .where(CycleRow.patient_pk == patient.id, TrialRow.trial_id == trial_id)
        .order_by(CycleRow.cycle_number)
    ).all()
    return Enrolment(
        patient_id,
        trial_id,
        screenings=tuple((d, str(v)) for d, v in screenings),
        cycles_given=tuple(int(c) for c in cycles),
    )
