"""Cycle schedule windows from the protocol."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from theratrial.errors import ParameterError
from theratrial.protocol import Schedule, find_protocol
from theratrial.treatment.schedule import cycle_schedule, next_cycle_window

BORDET = find_protocol("NCT01842165").schedule
assert BORDET is not None


def test_nominal_schedule_of_four_cycles() -> None:
    plan = cycle_schedule(BORDET, first_cycle=date(2026, 1, 5))
    assert [w.cycle for w in plan] == [1, 2, 3, 4]
    assert all(b.nominal - a.nominal == timedelta(weeks=12) for a, b in itertools.pairwise(plan))
    assert plan[1].earliest == date(2026, 1, 5) + timedelta(weeks=11)
    assert plan[1].latest == date(2026, 1, 5) + timedelta(weeks=13)
    assert all(w.given is None for w in plan)


def test_given_dates_move_later_windows_and_are_checked() -> None:
    given = [date(2026, 1, 5), date(2026, 4, 20)]  # 15 weeks later: outside 11-13 weeks
    plan = cycle_schedule(BORDET, first_cycle=date(2026, 1, 5), given=given)
    assert plan[1].given == date(2026, 4, 20)
    assert plan[1].in_window is False
    assert plan[2].nominal == date(2026, 4, 20) + timedelta(weeks=12)
    assert plan[2].in_window is None


def test_fractional_weeks() -> None:
    s = Schedule(interval_weeks=6.5, window_min_weeks=6, window_max_weeks=7, max_cycles=2)
    w = next_cycle_window(s, previous=date(2026, 1, 1), cycle=2)
    assert w.nominal == date(2026, 1, 1) + timedelta(days=45.5 // 1)


def test_bad_schedules() -> None:
    with pytest.raises(ParameterError, match="allows 4"):
        cycle_schedule(BORDET, first_cycle=date(2026, 1, 5), given=[date(2026, 1, 5)] * 5)
    with pytest.raises(ParameterError, match="not after"):
        cycle_schedule(
            BORDET, first_cycle=date(2026, 1, 5), given=[date(2026, 2, 1), date(2026, 1, 1)]
        )
