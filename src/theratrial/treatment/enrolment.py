"""Whether a patient is known to a trial, so that a next cycle may be planned for them.

A plan prescribes radioactivity to a person: it needs a patient the trial has enrolled.
theratrial takes a patient as enrolled in a trial when the store holds, for that trial,

- an **eligible** screening (every inclusion criterion met, no exclusion criterion hit;
  the verdict of :mod:`theratrial.eligibility`), or
- a **recorded cycle** (an administration already given under the protocol).

An ineligible or incomplete screening alone never enrols a patient (ICH E6(R3) GCP 2.8 and
4.2: treatment follows documented eligibility), and a patient the store has never seen is
refused with what to record first.

Examples
--------
>>> from datetime import date
>>> e = Enrolment("NET-7", "NCT01842165", screenings=((date(2026, 3, 2), "ineligible"),))
>>> e.enrolled
False
>>> require_enrolment(e)
Traceback (most recent call last):
...
theratrial.errors.InputError: field 'patient_id': patient 'NET-7' is not enrolled ...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from theratrial.errors import InputError

__all__ = ["ELIGIBLE", "Enrolment", "require_enrolment"]

ELIGIBLE = "eligible"
"""The screening verdict that enrols a patient (``theratrial.eligibility.Verdict.ELIGIBLE``)."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the store knows of one patient in one trial.

    Attributes
    ----------
    patient_id, trial_id
        Pseudonymous patient id and trial id.
    screenings
        ``(screening date, verdict)`` of every stored screening for this trial, any order.
    cycles_given
        Numbers of the cycles recorded for this trial.
    """

    patient_id: str
    trial_id: str
    screenings: tuple[tuple[date, str], ...] = ()
    cycles_given: tuple[int, ...] = ()

    @property
    def eligible_since(self) -> date | None:
        """Date of the first eligible screening (None without one)."""
        dates = [d for d, verdict in self.screenings if verdict == ELIGIBLE]
        return min(dates) if dates else None

    @property
    def enrolled(self) -> bool:
        """An eligible screening or a recorded cycle for this trial."""
        return self.eligible_since is not None or bool(self.cycles_given)


def require_enrolment(enrolment: Enrolment) -> Enrolment:
    """``enrolment`` itself when the patient is enrolled, else an error saying what is missing.

    Raises
    ------
    InputError
        ``field='patient_id'``: the patient has no eligible screening and no recorded
        cycle for the trial; the message gives the verdicts of the screenings there are.
    """
    if enrolment.enrolled:
        return enrolment
    pid, trial = enrolment.patient_id, enrolment.trial_id
    record = (
        f"record the cycle already given with `theratrial cycle record --patient {pid} "
        f"--trial {trial} --cycle 1 --activity-mbq MBQ --date YYYY-MM-DD` (add --weight-kg "
        "for a kBq/kg trial)"
    )
    if enrolment.screenings:
        seen = ", ".join(
            f"{verdict} on {day.isoformat()}" for day, verdict in sorted(enrolment.screenings)
        )
        raise InputError(
            f"patient {pid!r} is not enrolled in {trial}: screened {seen}, and no cycle is "
            "recorded; no plan for a patient without an eligible screening",
            field="patient_id",
            hint=f"re-screen the patient once the missing criteria are met, or {record}",
        )
    raise InputError(
        f"patient {pid!r} is not enrolled in {trial}: the store holds no eligible screening "
        "and no recorded cycle for this patient in this trial",
        field="patient_id",
        hint=(
            f"check the id; store an eligible screening (`theratrial screen PATIENT.yaml "
            f"--trial {trial} --db ...`), or {record}"
        ),
    )
