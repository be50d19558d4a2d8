"""DLT records, tallies and independent escalation per cohort (NCT06732505 layout)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from theratrial.design import (
    Action,
    Boin,
    CohortPlan,
    DltRecord,
    ThreePlusThree,
    current_level_from_records,
    decide_per_cohort,
    split_by_cohort,
    tally_dlt,
)
from theratrial.errors import InputError, PatientRecordError

DAY0 = date(2025, 1, 6)


def _patient(pid: str, level: float, *, dlt: bool = False, day: int = 0) -> list[DltRecord]:
    given = DAY0 + timedelta(days=day)
    records = [DltRecord(pid, 1, level, administered_date=given)]
    if dlt:
        records.append(
            DltRecord(
                pid,
                1,
                level,
                event="thrombocytopenia",
                grade=4,
                is_dlt=True,
                administered_date=given,
                onset_date=given + timedelta(days=30),
            )
        )
    return records


def test_tally_counts_patients_once_and_dlts_inside_the_window() -> None:
    records = [
        *_patient("A1", 90),
        *_patient("A2", 90, dlt=True),
        *_patient("A3", 120, dlt=True),
        # a cycle-2 DLT lies outside the DLT assessment period (first cycle)
        DltRecord("A1", 2, 90, event="anaemia", grade=3, is_dlt=True, within_dlt_window=True),
    ]
    data = tally_dlt(records, [90, 120], dlt_window_days=56)
    assert (data.n, data.dlt) == ((2, 1), (1, 1))
    assert tally_dlt(records, [90, 120], dlt_window_days=56, dlt_cycles=2).dlt == (2, 1)
    assert tally_dlt(records, [90, 120], dlt_window_days=14).dlt == (0, 0)


def test_non_evaluable_patient_counts_only_with_a_dlt() -> None:
    records = [
        DltRecord("B1", 1, 90, evaluable=False),
        DltRecord(
            "B2",
            1,
            90,
            evaluable=False,
            event="nausea",
            grade=3,
            is_dlt=True,
            within_dlt_window=True,
        ),
        DltRecord("B3", 1, 90),
    ]
    assert tally_dlt(records, [90, 120]).n == (2, 0)


def test_window_without_dates_is_an_error_that_names_no_patient() -> None:
    records = [DltRecord("SECRET-ID", 1, 90, event="nausea", grade=3, is_dlt=True)]
    with pytest.raises(PatientRecordError, match="DLT window") as info:
        tally_dlt(records, [90])
    assert "SECRET-ID" not in str(info.value)


def test_unknown_dose_level_names_the_record_row() -> None:
    with pytest.raises(PatientRecordError, match="record 2"):
        tally_dlt([DltRecord("C1", 1, 90), DltRecord("C2", 1, 100)], [90, 120])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grade": 7}, "grade"),
        ({"is_dlt": True}, "event"),
        ({"onset_date": DAY0, "administered_date": DAY0 + timedelta(days=1)}, "onset"),
        ({"cycle": 0}, "minimum"),
    ],
)
def test_bad_records_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        DltRecord("D1", **{"cycle": 1, "dose_level": 90.0, **kwargs})  # type: ignore[arg-type]


def test_current_level_is_the_latest_first_cycle() -> None:
    records = [*_patient("E1", 120, day=0), *_patient("E2", 90, day=60)]
    assert current_level_from_records(records) == 90.0
    assert current_level_from_records([DltRecord("E3", 1, 90)]) is None


def test_two_cohorts_escalate_independently() -> None:
    # NCT06732505: 90 then 120 kBq/kg, cohorts by prior 177Lu-PRRT, escalated independently
    prior = [r for i in range(3) for r in _patient(f"P{i}", 90, day=i)]
    naive = [
        *_patient("N0", 90, dlt=True),
        *_patient("N1", 90, dlt=True, day=1),
        *_patient("N2", 90, day=2),
    ]
    cohort_of = {
        **{f"P{i}": "prior-prrt" for i in range(3)},
        **{f"N{i}": "prrt-naive" for i in range(3)},
    }
    groups = split_by_cohort([*prior, *naive], cohort_of)
    plans = [
        CohortPlan("prior-prrt", (90.0, 120.0), 90.0),
        CohortPlan("prrt-naive", (90.0, 120.0), 90.0),
    ]
    out = decide_per_cohort(Boin(0.25), plans, groups, dlt_window_days=56)
    assert out["prior-prrt"].decision.action is Action.ESCALATE
    assert out["prior-prrt"].decision.next_level == 120.0
    assert out["prrt-naive"].data.dlt == (2, 0)
    assert out["prrt-naive"].decision.action is Action.STAY  # 2/3 at the lowest level
    per_design = decide_per_cohort(
        {"prior-prrt": ThreePlusThree(), "prrt-naive": ThreePlusThree()},
        plans,
        groups,
        dlt_window_days=56,
    )
    assert per_design["prrt-naive"].decision.action is Action.STOP


def test_patient_without_cohort_and_cohort_without_plan() -> None:
    with pytest.raises(PatientRecordError, match="no escalation cohort"):
        split_by_cohort([DltRecord("F1", 1, 90)], {})
    with pytest.raises(InputError, match="without a plan"):
        decide_per_cohort(Boin(0.25), [], {"x": [DltRecord("F1", 1, 90)]})
