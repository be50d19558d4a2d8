"""The unit of DLT data: one patient, one cycle, one event or none (private module).

:class:`DltRecord` is public as :class:`theratrial.design.DltRecord` (and
``theratrial.design.cohorts.DltRecord``); it lives here so that the record and its checks
stay apart from the escalation logic of :mod:`theratrial.design.cohorts`. Grades are
CTCAE v5 grades 1-5 (NCI Common Terminology Criteria for Adverse Events v5.0, 2017); the
DLT window runs from the administration (day 0) to day ``dlt_window_days`` inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from theratrial.design._checks import check_count
from theratrial.errors import PatientRecordError

__all__ = ["DltRecord"]


@dataclass(frozen=True, slots=True)
class DltRecord:
    """One patient-cycle observation for the DLT assessment.

    Attributes
    ----------
    patient_id
        Pseudonymous study identifier (never a name or hospital number).
    cycle
        Treatment cycle, 1-based.
    dose_level
        Dose level given in this cycle (protocol unit, e.g. kBq/kg).
    event
        Adverse event term (CTCAE v5), ``None`` for "no event" (the patient was assessed).
    grade
        CTCAE grade 1-5 of the event.
    onset_date, administered_date
        Event onset and administration of this cycle.
    is_dlt
        The event meets the protocol's DLT definition (investigator adjudication).
    within_dlt_window
        The event began inside the DLT window; ``None``: derive it from the dates.
    evaluable
        The patient completed the DLT window (or had a DLT).
    """

    patient_id: str
    cycle: int
    dose_level: float
    event: str | None = None
    grade: int | None = None
    onset_date: date | None = None
    administered_date: date | None = None
    is_dlt: bool = False
    within_dlt_window: bool | None = None
    evaluable: bool = True

    def __post_init__(self) -> None:
        if not self.patient_id:
            raise PatientRecordError("empty patient identifier", field="patient_id")
        check_count(self.cycle, field="cycle", minimum=1)
        if self.grade is not None and not 1 <= self.grade <= 5:
            raise PatientRecordError(
                f"CTCAE grade {self.grade} is outside 1-5", field="grade", hint="use 1 to 5"
            )
        if self.is_dlt and self.event is None:
            raise PatientRecordError(
                "a DLT without an event term", field="event", hint="name the adverse event"
            )
        if self.onset_date and self.administered_date and self.onset_date < self.administered_date:
            raise PatientRecordError(
                "event onset before the administration of its cycle",
                field="onset_date",
                hint="check the dates, or record the event under the cycle in which it began",
            )

    def in_window(self, dlt_window_days: float | None) -> bool:
        """Whether the event began inside the DLT window.

        Examples
        --------
        >>> r = DltRecord("P01", 1, 90.0, event="thrombocytopenia", grade=4, is_dlt=True,
        ...               administered_date=date(2025, 1, 6), onset_date=date(2025, 2, 20))
        >>> r.in_window(56), r.in_window(28)
        (True, False)
        """
        if self.within_dlt_window is not None:
            return self.within_dlt_window
        if dlt_window_days is None or self.onset_date is None or self.administered_date is None:
            raise PatientRecordError(
                "cannot tell whether the event fell inside the DLT window",
                field="within_dlt_window",
                hint="set within_dlt_window, or give both dates and the DLT window in days",
            )
        return 0 <= (self.onset_date - self.administered_date).days <= dlt_window_days
