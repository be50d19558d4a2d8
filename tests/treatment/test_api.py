"""The public API of theratrial.treatment is pinned."""

from __future__ import annotations

import theratrial.treatment as treatment


def test_export_list_is_pinned() -> None:
    assert sorted(treatment.__all__) == sorted(
        [
            "CycleDose", "CycleWindow", "DispensingOrder", "LimitCheck", "NextCyclePlan",
            "OrganTotal", "Prescription", "active_limits", "cumulative_doses",
            "cycle_dose_from_region", "cycle_schedule", "dispensing_activity", "dose_level",
            "history_from_dosimetry", "net_administered_activity_mbq", "next_cycle_window",
            "organ_of", "per_cycle_organ_doses",
            "plan_next_cycle", "prescribe_activity",
            # enrolment and the plausibility of recorded cycles
            "DISPENSING_TOLERANCE", "CycleLimits", "CycleRecord", "Enrolment", "RegionDose",
            "activity_ceiling_mbq", "check_cycle_doses", "check_cycle_record",
            "dose_ceiling_gy", "require_enrolment",
        ]
    )  # fmt: skip
    for name in treatment.__all__:
        assert hasattr(treatment, name), name
