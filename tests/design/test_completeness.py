"""A decision needs a complete cohort whose DLT windows have ended; until then: wait."""

from __future__ import annotations

from datetime import date

import pytest

from theratrial.design import (
    Action,
    Boin,
    CohortPlan,
    DltRecord,
    DoseData,
    ThreePlusThree,
    decide_per_cohort,
    decide_when_complete,
)
from theratrial.errors import ParameterError

LEVELS = (90.0, 120.0)


@pytest.mark.parametrize("design", [Boin(0.25), ThreePlusThree()])
def test_one_patient_without_dlt_waits_for_the_cohort(design: Boin | ThreePlusThree) -> None:
    """The issue: after one patient without DLT the answer was 'escalate to 120'."""
    data = DoseData(LEVELS, n=(1, 0), dlt=(0, 0))
    decision = decide_when_complete(design, data, cohort_size=3)
    assert decision.action is Action.WAIT
    assert decision.next_level == 90.0
    assert [(m.kind, m.patients, m.level) for m in decision.missing] == [("enrol", 2, 90.0)]


def test_complete_cohort_decides() -> None:
    data = DoseData(LEVELS, n=(3, 0), dlt=(0, 0))
    decision = decide_when_complete(Boin(0.25), data, cohort_size=3)
    assert (decision.action, decision.next_level, decision.missing) == (Action.ESCALATE, 120.0, ())


def test_partial_last_cohort_waits() -> None:
    data = DoseData(LEVELS, n=(5, 0), dlt=(0, 0))
    decision = decide_when_complete(Boin(0.25), data, cohort_size=3, last_cohort=(2, 0))
    assert decision.action is Action.WAIT
    assert decision.missing[0].patients == 1


def test_escalation_is_never_taken_early() -> None:
    # 0/5 of a cohort of 6: every outcome of the 6th patient escalates under BOIN 0.3, but
    # the escalation still waits for the complete cohort
    data = DoseData(LEVELS, n=(5, 0), dlt=(0, 0))
    assert decide_when_complete(Boin(0.3), data, cohort_size=6).action is Action.WAIT


def test_a_settled_safety_decision_is_given_at_once() -> None:
    # 3+3: two DLTs among the first two patients at 120 -> too toxic whatever the third
    data = DoseData(LEVELS, n=(3, 2), dlt=(0, 2))
    decision = decide_when_complete(ThreePlusThree(), data, cohort_size=3, current=120.0)
    assert decision.action is Action.SELECT_MTD
    assert decision.mtd_level == 90.0
    assert decision.missing[0].patients == 1


def test_last_cohort_that_does_not_fit_is_refused() -> None:
    with pytest.raises(ParameterError, match="last cohort"):
        decide_when_complete(
            Boin(0.25), DoseData(LEVELS, n=(1, 0), dlt=(0, 0)), cohort_size=3, last_cohort=(3, 0)
        )


def _records(*dates: date) -> dict[str, list[DltRecord]]:
    return {"c": [DltRecord(f"P{i}", 1, 90, administered_date=d) for i, d in enumerate(dates)]}


@pytest.mark.parametrize(
    ("as_of", "action", "open_ids"),
    [
        (date(2026, 3, 1), Action.WAIT, ["P2"]),  # P2 given 2026-01-05: window to 2026-03-02
        (date(2026, 3, 2), Action.WAIT, ["P2"]),  # the last day of the window
        (date(2026, 3, 3), Action.ESCALATE, []),
    ],
)
def test_open_dlt_windows_make_the_cohort_wait(
    as_of: date, action: Action, open_ids: list[str]
) -> None:
    plans = [CohortPlan("c", LEVELS, 90.0, cohort_size=3)]
    records = _records(date(2025, 11, 3), date(2025, 11, 10), date(2026, 1, 5))
    out = decide_per_cohort(Boin(0.25), plans, records, dlt_window_days=56, as_of=as_of)
    decision = out["c"].decision
    assert decision.action is action
    assert [m.patient_id for m in decision.missing] == open_ids
    if open_ids:
        assert decision.missing[0].window_ends == date(2026, 3, 2)
        assert decision.next_level is None  # nobody new until the window ends


def test_a_dlt_inside_the_window_completes_the_patient() -> None:
    plans = [CohortPlan("c", LEVELS, 90.0, cohort_size=3)]
    recs = {
        "c": [
            DltRecord("P0", 1, 90, administered_date=date(2026, 1, 5)),
            DltRecord("P1", 1, 90, administered_date=date(2026, 1, 5)),
            DltRecord(
                "P2",
                1,
                90,
                event="thrombocytopenia",
                grade=4,
                is_dlt=True,
                administered_date=date(2026, 1, 5),
                onset_date=date(2026, 1, 20),
            ),
        ]
    }
    out = decide_per_cohort(Boin(0.25), plans, recs, dlt_window_days=56, as_of=date(2026, 2, 1))
    assert [m.patient_id for m in out["c"].decision.missing] == ["P0", "P1"]
