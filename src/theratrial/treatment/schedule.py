"""Cycle schedule: nominal dates and allowed windows from the protocol.

Cycle k+1 is due ``interval_weeks`` after cycle k was actually given, and may be given
between ``window_min_weeks`` and ``window_max_weeks`` after it
(:class:`theratrial.protocol.Schedule`); until a cycle has been given, later cycles are
planned from the nominal date of the one before. At most ``max_cycles`` cycles.

Examples
--------
>>> from datetime import date
>>> from theratrial.protocol import find_protocol
>>> plan = cycle_schedule(find_protocol("NCT01842165").schedule, first_cycle=date(2026, 1, 5))
>>> [(w.cycle, w.nominal.isoformat()) for w in plan][:2]
[(1, '2026-01-05'), (2, '2026-03-30')]
>>> plan[1].earliest.isoformat(), plan[1].latest.isoformat()
('2026-03-23', '2026-04-06')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from theratrial.errors import ParameterError
from theratrial.protocol import Schedule

__all__ = ["CycleWindow", "cycle_schedule", "next_cycle_window"]


@dataclass(frozen=True, slots=True)
class CycleWindow:
    """When one cycle is due.

    Attributes
    ----------
    cycle
        Cycle number (1-based).
    nominal, earliest, latest
        Due date and the allowed window (inclusive).
    given
        The date it was given, when it has been.
    in_window
        Whether the given date fell inside the window (None until given).
    """

    cycle: int
    nominal: date
    earliest: date
    latest: date
    given: date | None
    in_window: bool | None


def _weeks(value: float) -> timedelta:
    return timedelta(days=round(7.0 * value, 6))


def next_cycle_window(schedule: Schedule, *, previous: date, cycle: int) -> CycleWindow:
    """The window of cycle ``cycle`` given that the previous one was (or is due) on ``previous``.

    Examples
    --------
    >>> from theratrial.protocol import Schedule
    >>> s = Schedule(interval_weeks=8, window_min_weeks=7, window_max_weeks=10, max_cycles=4)
    >>> w = next_cycle_window(s, previous=date(2026, 1, 1), cycle=2)
    >>> w.nominal.isoformat(), w.latest.isoformat()
    ('2026-02-26', '2026-03-12')
    """
    return CycleWindow(
        cycle,
        previous + _weeks(schedule.interval_weeks),
        previous + _weeks(schedule.window_min_weeks),
        previous + _weeks(schedule.window_max_weeks),
        None,
        None,
    )


def cycle_schedule(
    schedule: Schedule, *, first_cycle: date, given: Sequence[date] = ()
) -> tuple[CycleWindow, ...]:
    """All cycles of the protocol, with the dates already given and their window checks.

    Parameters
    ----------
    schedule
        The protocol's schedule.
    first_cycle
        Date of (or planned for) cycle 1.
    given
        Dates on which cycles 1, 2, ... were given, in order (the first replaces
        ``first_cycle``).

    Raises
    ------
    ParameterError
        When more cycles were given than the protocol allows, or dates go backwards.
    """
    if len(given) > schedule.max_cycles:
        raise ParameterError(
            f"{len(given)} cycles given but the protocol allows {schedule.max_cycles}",
            field="given",
        )
    for i in range(1, len(given)):
        if given[i] <= given[i - 1]:
            raise ParameterError(
                f"cycle {i + 1} date {given[i]} is not after cycle {i} ({given[i - 1]})",
                field="given",
            )
    start = given[0] if given else first_cycle
    windows = [
        CycleWindow(1, start, start, start, given[0] if given else None, True if given else None)
    ]
    for cycle in range(2, schedule.max_cycles + 1):
        previous = windows[-1].given or windows[-1].nominal
        window = next_cycle_window(schedule, previous=previous, cycle=cycle)
        if cycle <= len(given):
            day = given[cycle - 1]
            window = CycleWindow(
                cycle, window.nominal, window.earliest, window.latest, day,
                window.earliest <= day <= window.latest,
            )  # fmt: skip
        windows.append(window)
    return tuple(windows)
