"""Eligibility screening with evidence.

Public API
----------
Patient records (:mod:`~theratrial.eligibility.patient`): :class:`Patient`,
:func:`load_patient`, :func:`parse_patient`.
Screening (:mod:`~theratrial.eligibility.screening`): :func:`screen`, :func:`find_trials`,
:func:`screen_many`, :func:`assign_cohorts`; results :class:`Screening`,
:class:`CriterionResult`, :class:`Evidence`, :class:`Status`, :class:`Verdict`.
Derived values (:mod:`~theratrial.eligibility.clinical`) and units
(:mod:`~theratrial.eligibility.units`).
"""

from theratrial.eligibility import clinical, units
from theratrial.eligibility.evidence import CriterionResult, Evidence, Screening, Status, Verdict
from theratrial.eligibility.patient import Patient, load_patient, parse_patient
from theratrial.eligibility.screening import assign_cohorts, find_trials, screen, screen_many

__all__ = [
    "CriterionResult",
    "Evidence",
    "Patient",
    "Screening",
    "Status",
    "Verdict",
    "assign_cohorts",
    "clinical",
    "find_trials",
    "load_patient",
    "parse_patient",
    "screen",
    "screen_many",
    "units",
]
