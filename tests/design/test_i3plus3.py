"""i3+3 (Liu, Wang & Ji 2020): the interval rules and the one-DLT-fewer check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.design import Action, DoseData, I3plus3


@pytest.mark.parametrize(
    ("target", "n", "expected"),
    [
        (0.3, 3, ["E", "S", "D", "DU"]),
        (0.3, 6, ["E", "E", "S", "D", "DU", "DU", "DU"]),
        (0.25, 3, ["E", "S", "D", "DU"]),
        (0.25, 4, ["E", "S", "D", "DU", "DU"]),
        (0.3, 1, ["E", "S"]),  # 1/1 is above the EI, but 0/1 is below it: stay
    ],
)
def test_decision_rows(target: float, n: int, expected: list[str]) -> None:
    design = I3plus3(target)
    assert [design.code_name(n, y) for y in range(n + 1)] == expected


def test_equivalence_interval_ends_are_inside() -> None:
    design = I3plus3(0.3)  # EI [0.25, 0.35]
    assert design.code_name(4, 1) == "S"  # 0.25 exactly
    assert design.code_name(20, 7) == "S"  # 0.35 exactly


@given(st.integers(1, 30), st.floats(0.15, 0.45))
def test_decisions_are_monotone_in_dlt_count(n: int, target: float) -> None:
    design = I3plus3(target)
    codes = [design.code(n, y) for y in range(n + 1)]
    assert codes == sorted(codes)


def test_decide_de_escalates_above_the_interval() -> None:
    data = DoseData((60.0, 90.0, 120.0), n=(3, 6, 0), dlt=(0, 3, 0))
    decision = I3plus3(0.3).decide(data, current=90)
    assert (decision.action, decision.next_level) == (Action.DEESCALATE, 60.0)
    assert decision.evidence["rate_one_dlt_fewer"] == pytest.approx(2 / 6)
