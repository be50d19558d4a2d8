"""Screening outcomes: statuses, verdicts and the evidence behind them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

__all__ = ["CriterionResult", "Evidence", "Outcome", "Screening", "Status", "Verdict"]


class Status(enum.StrEnum):
    """The outcome of one criterion (a requirement: *met* is fine for the trial)."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"
    """Data missing or too old to decide."""
    NEEDS_REVIEW = "needs_review"
    """Only the investigator can decide (an attestation)."""


class Verdict(enum.StrEnum):
    """The overall screening verdict."""

    ELIGIBLE = "eligible"
    """Every criterion met; attestations may still await the investigator."""
    INELIGIBLE = "ineligible"
    """At least one criterion not met."""
    INCOMPLETE = "incomplete"
    """None failed, but at least one could not be decided from the data."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One value used to decide a criterion: the item, its value and unit, its date.

    ``note`` says where a derived value came from (formula and inputs).
    """

    item: str
    value: float | int | str | bool | None
    unit: str | None = None
    date: date | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, float | int | str | bool | None]:
        """JSON-ready form (the date as ISO text).

        Examples
        --------
        >>> Evidence("lab.alt", 90.0, "U/L").as_dict()
        {'item': 'lab.alt', 'value': 90.0, 'unit': 'U/L', 'date': None, 'note': None}
        """
        return {
            "item": self.item,
            "value": self.value,
            "unit": self.unit,
            "date": self.date.isoformat() if self.date else None,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """The status of a rule with its one-line reason and the evidence used."""

    status: Status
    reason: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """The outcome of one protocol criterion for one patient.

    ``kind`` is the rule kind of the criterion (``lab``, ``any_of``, ``attestation``...);
    ``section`` tells whether the protocol lists it under inclusion or exclusion.
    """

    id: str
    section: str
    kind: str
    label: str
    source: str
    status: Status
    reason: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Screening:
    """A patient screened against one trial."""

    patient_id: str
    trial_id: str
    screening_date: date
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    cohorts: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()

    def count(self, status: Status) -> int:
        """How many criteria have ``status``."""
        return sum(1 for c in self.criteria if c.status is status)

    @property
    def score(self) -> float:
        """Fraction of criteria met (attestations awaiting review count as half)."""
        if not self.criteria:
            return 0.0
        met = self.count(Status.MET) + 0.5 * self.count(Status.NEEDS_REVIEW)
        return met / len(self.criteria)
