"""Treatment planning: activity prescription, dispensing, cycle schedule, organ-limit gating.

Reads the protocol objects of :mod:`theratrial.protocol` (dosing, schedule, organ limits)
and the dosimetry of :mod:`theratrial.dosimetry`. Pure: no database, no printing.

Public API
----------
Prescription
    ``prescribe_activity(protocol, *, level_id=None, weight_kg=None)`` -> ``Prescription``
    (fixed GBq or kBq/kg x weight); ``dose_level(protocol, level_id)``.
Dispensing
    ``dispensing_activity(activity_mbq, *, nuclide, administration_time, calibration_time)``
    -> ``DispensingOrder``; ``net_administered_activity_mbq(...)``.
Schedule
    ``cycle_schedule(schedule, *, first_cycle, given=())`` -> ``CycleWindow`` per cycle;
    ``next_cycle_window(schedule, *, previous, cycle)``.
Planning
    ``CycleDose`` (one organ, one cycle), ``cycle_dose_from_region(region_dose, ...)``,
    ``history_from_dosimetry(patient_dosimetry_result, *, organs=None)``,
    ``cumulative_doses(history)`` -> ``OrganTotal`` per organ, ``active_limits(protocol,
    *, risk_factors)``, ``plan_next_cycle(protocol, history, ...)`` -> ``NextCyclePlan``
    (largest activity under every limit, reduction, stop), ``organ_of(region)``.
Enrolment
    ``Enrolment`` (screenings and cycles of a patient in a trial), ``require_enrolment``
    (an eligible screening or a recorded cycle, else an error saying what to record).
Plausibility
    ``CycleRecord``, ``RegionDose``, ``check_cycle_record(protocol, record, *, today,
    screening_date)`` (activity above prescription + dispensing tolerance, dates after
    today or before screening), ``check_cycle_doses(nuclide, activity_mbq, doses)``
    (absorbed dose above the physical ceiling ``dose_ceiling_gy``),
    ``DISPENSING_TOLERANCE``.
"""

from __future__ import annotations

from theratrial.treatment.dispensing import (
    DISPENSING_TOLERANCE,
    DispensingOrder,
    dispensing_activity,
    net_administered_activity_mbq,
)
from theratrial.treatment.enrolment import Enrolment, require_enrolment
from theratrial.treatment.history import (
    CycleDose,
    OrganTotal,
    cumulative_doses,
    cycle_dose_from_region,
    history_from_dosimetry,
    organ_of,
    per_cycle_organ_doses,
)
from theratrial.treatment.planning import LimitCheck, NextCyclePlan, active_limits, plan_next_cycle
from theratrial.treatment.plausibility import (
    CycleLimits,
    CycleRecord,
    RegionDose,
    activity_ceiling_mbq,
    check_cycle_doses,
    check_cycle_record,
    dose_ceiling_gy,
)
from theratrial.treatment.prescription import Prescription, dose_level, prescribe_activity
from theratrial.treatment.schedule import CycleWindow, cycle_schedule, next_cycle_window

__all__ = [
    "DISPENSING_TOLERANCE",
    "CycleDose",
    "CycleLimits",
    "CycleRecord",
    "CycleWindow",
    "DispensingOrder",
    "Enrolment",
    "LimitCheck",
    "NextCyclePlan",
    "OrganTotal",
    "Prescription",
    "RegionDose",
    "active_limits",
    "activity_ceiling_mbq",
    "check_cycle_doses",
    "check_cycle_record",
    "cumulative_doses",
    "cycle_dose_from_region",
    "cycle_schedule",
    "dispensing_activity",
    "dose_ceiling_gy",
    "dose_level",
    "history_from_dosimetry",
    "net_administered_activity_mbq",
    "next_cycle_window",
    "organ_of",
    "per_cycle_organ_doses",
    "plan_next_cycle",
    "prescribe_activity",
    "require_enrolment",
]
