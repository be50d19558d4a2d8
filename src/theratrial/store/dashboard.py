"""What a trial dashboard reads: screenings, enrolments, cycles and RECIST rows of a trial.

Each function takes ``site_pks`` (the primary keys of the sites the reader sees; ``None``
for every site) and reads only patients of those sites, so an adapter can show details of
its own sites and counts of the rest (:func:`trial_totals`). A patient counts once in the
screening funnel, with its newest screening for the trial (CONSORT, Schulz et al. 2010,
BMJ 340:c332: patients assessed for eligibility, excluded with the reasons).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session, selectinload

from theratrial.store.models import PatientRow, ProtocolVersionRow, ScreeningRow, SiteRow, TrialRow
from theratrial.store.models_clinical import CycleRow
from theratrial.store.models_records import RecistAssessmentRow
from theratrial.store.models_service import EnrolmentRow

__all__ = [
    "EnrolmentEntry",
    "ExclusionReason",
    "Funnel",
    "RecistEntry",
    "TreatedCount",
    "TrialTotals",
    "enrolled_patients",
    "latest_recist",
    "screening_funnel",
    "treated_by_level",
    "trial_cycles",
    "trial_totals",
]


@dataclass(frozen=True, slots=True)
class ExclusionReason:
    """A criterion not met, and how many ineligible patients it excluded."""

    criterion_id: str
    label: str
    patients: int


@dataclass(frozen=True, slots=True)
class Funnel:
    """Patients screened for a trial by the verdict of their newest screening.

    A patient excluded by several criteria counts under each in ``reasons``.
    """

    screened: int
    eligible: int
    incomplete: int
    ineligible: int
    reasons: tuple[ExclusionReason, ...]


@dataclass(frozen=True, slots=True)
class TrialTotals:
    """Counts over every site (no patient named): screened, eligible, enrolled patients."""

    screened: int
    eligible: int
    enrolled: int


@dataclass(frozen=True, slots=True)
class TreatedCount:
    """Patients given at least one cycle at a dose level, by enrolment cohort (every site)."""

    cohort_id: str | None
    dose_level: str | None
    patients: int


@dataclass(frozen=True, slots=True)
class EnrolmentEntry:
    """One enrolment: the patient's pseudonym, site code, cohort, consent and withdrawal."""

    patient_id: str
    site: str | None
    cohort: str | None
    consent_date: date
    withdrawn_date: date | None


@dataclass(frozen=True, slots=True)
class RecistEntry:
    """The newest stored RECIST evaluation of a patient (its JSON result)."""

    patient_id: str
    trial_id: str | None
    result: dict[str, Any]


def _in_sites(site_pks: Sequence[int] | None) -> ColumnElement[bool]:
    """The condition that the joined patient belongs to ``site_pks`` (always true for None)."""
    return true() if site_pks is None else PatientRow.site_pk.in_(list(site_pks))


def _newest_screenings(
    session: Session, trial_id: str, site_pks: Sequence[int] | None
) -> list[ScreeningRow]:
    stmt = (
        select(ScreeningRow)
        .join(ProtocolVersionRow, ScreeningRow.protocol_version_pk == ProtocolVersionRow.id)
        .join(TrialRow, ProtocolVersionRow.trial_pk == TrialRow.id)
        .join(PatientRow, ScreeningRow.patient_pk == PatientRow.id)
        .where(TrialRow.trial_id == trial_id, _in_sites(site_pks))
        .options(selectinload(ScreeningRow.criteria))
        .order_by(ScreeningRow.id)
    )
    newest: dict[int, ScreeningRow] = {}
    for row in session.scalars(stmt):
        newest[row.patient_pk] = row  # later screenings replace earlier ones
    return list(newest.values())


def screening_funnel(session: Session, *, trial_id: str, site_pks: Sequence[int] | None) -> Funnel:
    """The screening funnel of a trial over the patients of ``site_pks``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from theratrial.store import connect, session_scope
    >>> engine = connect(f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'funnel.sqlite'}")
    >>> with session_scope(engine) as session:
    ...     funnel = screening_funnel(session, trial_id="NCT06732505", site_pks=[])
    >>> funnel.screened, funnel.reasons
    (0, ())
    >>> engine.dispose()
    """
    rows = _newest_screenings(session, trial_id, site_pks)
    verdicts = Counter(r.verdict for r in rows)
    reasons: Counter[tuple[str, str]] = Counter()
    for r in rows:
        if r.verdict != "ineligible":
            continue
        for c in {(c.criterion_id, c.label) for c in r.criteria if c.status == "not_met"}:
            reasons[c] += 1
    return Funnel(
        screened=len(rows),
        eligible=verdicts["eligible"],
        incomplete=verdicts["incomplete"],
        ineligible=verdicts["ineligible"],
        reasons=tuple(
            ExclusionReason(cid, label, n)
            for (cid, label), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
    )


def trial_totals(session: Session, *, trial_id: str) -> TrialTotals:
    """Patients screened, eligible (newest screening) and enrolled at every site."""
    rows = _newest_screenings(session, trial_id, None)
    enrolled = session.scalar(
        select(func.count(EnrolmentRow.id))
        .join(TrialRow, EnrolmentRow.trial_pk == TrialRow.id)
        .where(TrialRow.trial_id == trial_id)
    )
    return TrialTotals(
        screened=len(rows),
        eligible=sum(r.verdict == "eligible" for r in rows),
        enrolled=int(enrolled or 0),
    )


def enrolled_patients(
    session: Session, *, trial_id: str, site_pks: Sequence[int] | None
) -> list[EnrolmentEntry]:
    """The trial's enrolments of patients of ``site_pks``, in the order enrolled."""
    stmt = (
        select(EnrolmentRow, PatientRow.pseudonym, SiteRow.code)
        .join(TrialRow, EnrolmentRow.trial_pk == TrialRow.id)
        .join(PatientRow, EnrolmentRow.patient_pk == PatientRow.id)
        .outerjoin(SiteRow, PatientRow.site_pk == SiteRow.id)
        .where(TrialRow.trial_id == trial_id, _in_sites(site_pks))
        .order_by(EnrolmentRow.id)
    )
    return [
        EnrolmentEntry(pid, site, row.cohort_id, row.consent_date, row.withdrawn_date)
        for row, pid, site in session.execute(stmt).all()
    ]


def trial_cycles(
    session: Session, *, trial_id: str, site_pks: Sequence[int] | None
) -> dict[str, list[CycleRow]]:
    """The stored cycles of the trial per patient pseudonym (cycle order, doses loaded)."""
    stmt = (
        select(PatientRow.pseudonym, CycleRow)
        .join(TrialRow, CycleRow.trial_pk == TrialRow.id)
        .join(PatientRow, CycleRow.patient_pk == PatientRow.id)
        .where(TrialRow.trial_id == trial_id, _in_sites(site_pks))
        .options(selectinload(CycleRow.doses))
        .order_by(PatientRow.pseudonym, CycleRow.cycle_number)
    )
    out: dict[str, list[CycleRow]] = {}
    for pid, row in session.execute(stmt).all():
        out.setdefault(pid, []).append(row)
    return out


def latest_recist(
    session: Session, *, trial_id: str | None, site_pks: Sequence[int] | None
) -> list[RecistEntry]:
    """The newest RECIST evaluation per patient (of one trial, or of any), by pseudonym."""
    stmt = (
        select(RecistAssessmentRow, PatientRow.pseudonym, TrialRow.trial_id)
        .join(PatientRow, RecistAssessmentRow.patient_pk == PatientRow.id)
        .outerjoin(TrialRow, RecistAssessmentRow.trial_pk == TrialRow.id)
        .where(_in_sites(site_pks))
        .order_by(RecistAssessmentRow.id)
    )
    if trial_id is not None:
        stmt = stmt.where(TrialRow.trial_id == trial_id)
    newest: dict[str, RecistEntry] = {}
    for row, pid, trial in session.execute(stmt).all():
        newest[pid] = RecistEntry(pid, trial, dict(row.result))
    return [newest[k] for k in sorted(newest)]


def treated_by_level(session: Session, *, trial_id: str) -> list[TreatedCount]:
    """Patients treated per cohort (their enrolment's) and dose level, over every site."""
    stmt = (
        select(EnrolmentRow.cohort_id, CycleRow.dose_level, CycleRow.patient_pk)
        .select_from(CycleRow)
        .join(TrialRow, CycleRow.trial_pk == TrialRow.id)
        .outerjoin(
            EnrolmentRow,
            (EnrolmentRow.patient_pk == CycleRow.patient_pk)
            & (EnrolmentRow.trial_pk == CycleRow.trial_pk),
        )
        .where(TrialRow.trial_id == trial_id)
    )
    patients: dict[tuple[str | None, str | None], set[int]] = {}
    for cohort, level, pk in session.execute(stmt).all():
        patients.setdefault((cohort, level), set()).add(pk)
    return [
        TreatedCount(cohort, level, len(pks))
        for (cohort, level), pks in sorted(patients.items(), key=lambda kv: str(kv[0]))
    ]
