"""The screening engine: one patient against one trial, or against every bundled trial.

Each criterion comes back *met*, *not_met*, *unknown* (data missing or too old) or
*needs_review* (an investigator attestation), with a one-line reason and the evidence used.
The verdict is *ineligible* when any criterion is not met, else *incomplete* when any is
unknown, else *eligible* (attestations still awaiting the investigator are listed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date

from theratrial.eligibility._context import Context
from theratrial.eligibility._rules import evaluate
from theratrial.eligibility.evidence import CriterionResult, Screening, Status, Verdict
from theratrial.eligibility.patient import Patient
from theratrial.errors import ParameterError
from theratrial.protocol.schema import Protocol

__all__ = ["assign_cohorts", "find_trials", "screen", "screen_many", "verdict_of"]


def verdict_of(statuses: Iterable[Status]) -> Verdict:
    """The overall verdict for a set of criterion statuses.

    Examples
    --------
    >>> verdict_of([Status.MET, Status.NEEDS_REVIEW])
    <Verdict.ELIGIBLE: 'eligible'>
    >>> verdict_of([Status.MET, Status.UNKNOWN, Status.NOT_MET])
    <Verdict.INELIGIBLE: 'ineligible'>
    """
    seen = set(statuses)
    if Status.NOT_MET in seen:
        return Verdict.INELIGIBLE
    if Status.UNKNOWN in seen:
        return Verdict.INCOMPLETE
    return Verdict.ELIGIBLE


def _screening_date(patient: Patient, on: date | None) -> date:
    when = on or patient.screening_date
    if when is None:
        raise ParameterError(
            "no screening date",
            field="screening_date",
            hint="add 'screening_date' to the record or pass the date explicitly",
        )
    return when


def screen(patient: Patient, protocol: Protocol, *, on: date | None = None) -> Screening:
    """Screen ``patient`` against ``protocol`` on the date ``on``.

    ``on`` defaults to the record's ``screening_date``. Time windows that count back from
    the treatment start or the consent use those dates when recorded, else the screening
    date (said in ``assumptions``).
    """
    when = _screening_date(patient, on)
    ctx = Context(patient=patient, on=when, lab_max_age_days=protocol.lab_max_age_days)
    results = []
    for criterion in protocol.criteria:
        ctx.criterion_id = criterion.id
        outcome = evaluate(criterion.rule, ctx)
        results.append(
            CriterionResult(
                id=criterion.id,
                section=criterion.section,
                kind=criterion.rule.rule,
                label=criterion.label,
                source=criterion.source,
                status=outcome.status,
                reason=outcome.reason,
                evidence=outcome.evidence,
            )
        )
    cohorts = assign_cohorts(patient, protocol, on=when)
    return Screening(
        patient_id=patient.patient_id,
        trial_id=protocol.id,
        screening_date=when,
        verdict=verdict_of(r.status for r in results),
        criteria=tuple(results),
        cohorts=cohorts,
        assumptions=tuple(ctx.assumptions),
    )


def assign_cohorts(
    patient: Patient, protocol: Protocol, *, on: date | None = None
) -> tuple[str, ...]:
    """The cohorts whose assignment rule the patient meets (all rule-free cohorts too)."""
    when = _screening_date(patient, on)
    ctx = Context(patient=patient, on=when, lab_max_age_days=protocol.lab_max_age_days)
    chosen = []
    for cohort in protocol.cohorts:
        if cohort.assign_if is None or evaluate(cohort.assign_if, ctx).status is Status.MET:
            chosen.append(cohort.id)
    return tuple(chosen)


_RANK = {Verdict.ELIGIBLE: 0, Verdict.INCOMPLETE: 1, Verdict.INELIGIBLE: 2}


def find_trials(
    patient: Patient, protocols: Sequence[Protocol], *, on: date | None = None
) -> list[Screening]:
    """Screen one patient against several trials and rank them (the trial finder).

    Eligible trials come first, then incomplete ones, then ineligible ones; within a
    verdict, fewer failed criteria, fewer unknowns and a higher share of met criteria rank
    higher.
    """
    screenings = [screen(patient, p, on=on) for p in protocols]
    return sorted(
        screenings,
        key=lambda s: (
            _RANK[s.verdict],
            s.count(Status.NOT_MET),
            s.count(Status.UNKNOWN),
            -s.score,
            s.trial_id,
        ),
    )


def screen_many(
    patients: Sequence[Patient],
    protocols: Sequence[Protocol],
    *,
    on: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Screening]:
    """Screen every patient against every protocol; ``progress(done, total)`` is called."""
    out: list[Screening] = []
    total = len(patients)
    for i, patient in enumerate(patients, start=1):
        out.extend(screen(patient, p, on=on) for p in protocols)
        if progress is not None:
            progress(i, total)
    return out
