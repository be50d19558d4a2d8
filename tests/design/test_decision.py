"""The common interface: current-level inference."""

from __future__ import annotations

import pytest

from theratrial.design import Action, DoseData, infer_current_index
from theratrial.design.decision import resolve_current


@pytest.mark.parametrize(
    ("n", "start", "expected"),
    [
        ((0, 0, 0), 0, 0),
        ((0, 0, 0), 2, 2),
        ((3, 3, 0), 0, 1),
        ((0, 6, 6), 2, 1),  # de-escalation start at the top: the lowest treated level
        ((3, 0, 3), 1, 0),  # start in the middle, tie: the lower level
    ],
)
def test_infer_current_index(n: tuple[int, ...], start: int, expected: int) -> None:
    data = DoseData((1, 2, 3), n=n, dlt=(0, 0, 0))
    assert infer_current_index(data, start) == expected


def test_given_current_level_wins() -> None:
    data = DoseData((1, 2, 3), n=(3, 3, 0), dlt=(0, 0, 0))
    assert resolve_current(data, current=1, start=None) == (0, 0, False)


def test_action_values_are_the_cli_words() -> None:
    assert [a.value for a in Action] == [
        "escalate",
        "stay",
        "de-escalate",
        "eliminate",
        "stop",
        "select_mtd",
        "wait",
    ]
