"""3+3: closed-form probabilities (Storer 1989; Lin & Shih 2001) and decisions."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.design import (
    Action,
    DoseData,
    ThreePlusThree,
    escalation_probability,
    exact_operating_characteristics,
)
from theratrial.errors import ParameterError


@pytest.mark.parametrize(
    ("p", "expected"), [(0.1, 0.9061), (0.2, 0.7086), (0.3, 0.4943), (0.4, 0.3093)]
)
def test_escalation_probability_reference_values(p: float, expected: float) -> None:
    assert round(float(escalation_probability(p)), 4) == expected


def test_escalation_probability_is_one_at_zero_and_zero_at_one() -> None:
    assert escalation_probability([0.0, 1.0]).tolist() == [1.0, 0.0]


TRUTH = [0.05, 0.15, 0.30, 0.45, 0.60]


def test_exact_selection_matches_closed_form_without_top_confirmation() -> None:
    e = escalation_probability(TRUTH)
    reach = np.concatenate([[1.0], np.cumprod(e)[:-1]])
    expected_sel = np.append(reach[1:] * (1 - e[1:]), np.prod(e))
    q = 1 - np.asarray(TRUTH)
    expected_n = reach * (3 + 3 * 3 * np.asarray(TRUTH) * q**2)
    oc = exact_operating_characteristics(ThreePlusThree(confirm_top=False), TRUTH, max_n=30)
    assert np.allclose(np.asarray(oc.selection_pct) / 100, expected_sel, atol=1e-12)
    assert oc.stop_pct / 100 == pytest.approx(1 - e[0], abs=1e-12)
    assert np.allclose(oc.n_treated_mean, expected_n, atol=1e-12)
    assert oc.dlt_mean == pytest.approx(float(np.dot(expected_n, TRUTH)), abs=1e-12)


def test_exact_top_level_with_confirmation_needs_six_patients() -> None:
    p = TRUTH[-1]
    q = 1 - p
    e = escalation_probability(TRUTH)
    reach_top = float(np.prod(e[:-1]))
    passes_top = q**3 * (q**3 + 6 * p * q**2)
    oc = exact_operating_characteristics(ThreePlusThree(), TRUTH, max_n=30)
    assert oc.selection_pct[-1] / 100 == pytest.approx(reach_top * passes_top, abs=1e-12)
    assert oc.n_treated_mean[-1] == pytest.approx(reach_top * (3 + 3 * (q**3 + 3 * p * q**2)))


LEVELS = (1.0, 2.0, 3.0)


@pytest.mark.parametrize(
    ("n", "dlt", "current", "action", "nxt", "mtd"),
    [
        ((3, 0, 0), (0, 0, 0), 1, Action.ESCALATE, 2.0, None),
        ((3, 3, 0), (0, 1, 0), 2, Action.STAY, 2.0, None),
        ((3, 6, 0), (0, 1, 0), 2, Action.ESCALATE, 3.0, None),
        ((3, 6, 0), (0, 2, 0), 2, Action.SELECT_MTD, None, 1.0),
        ((3, 3, 0), (0, 2, 0), 2, Action.SELECT_MTD, None, 1.0),
        ((3, 0, 0), (2, 0, 0), 1, Action.STOP, None, None),
        ((3, 3, 3), (0, 0, 0), 3, Action.STAY, 3.0, None),  # confirm the top level
        ((3, 3, 6), (0, 0, 1), 3, Action.SELECT_MTD, None, 3.0),
        ((3, 2, 0), (0, 0, 0), 2, Action.WAIT, 2.0, None),  # complete the cohort first
        ((3, 2, 0), (0, 2, 0), 2, Action.SELECT_MTD, None, 1.0),  # 2 DLTs: too toxic now
    ],
)
def test_decisions_without_deescalation(
    n: tuple[int, ...],
    dlt: tuple[int, ...],
    current: float,
    action: Action,
    nxt: float | None,
    mtd: float | None,
) -> None:
    decision = ThreePlusThree().decide(DoseData(LEVELS, n=n, dlt=dlt), current=current)
    assert (decision.action, decision.next_level, decision.mtd_level) == (action, nxt, mtd)


def test_deescalation_expands_the_level_below_to_six() -> None:
    design = ThreePlusThree(deescalation=True)
    toxic = DoseData(LEVELS, n=(3, 3, 0), dlt=(0, 2, 0))
    first = design.decide(toxic, current=2)
    assert (first.action, first.next_level) == (Action.DEESCALATE, 1.0)
    ok = DoseData(LEVELS, n=(6, 3, 0), dlt=(1, 2, 0))
    second = design.decide(ok, current=1)
    assert (second.action, second.mtd_level) == (Action.SELECT_MTD, 1.0)
    bad = DoseData(LEVELS, n=(6, 3, 0), dlt=(2, 2, 0))
    assert design.decide(bad, current=1).action is Action.STOP


def test_deescalation_design_started_at_the_top() -> None:
    design = ThreePlusThree(deescalation=True)
    data = DoseData((60.0, 90.0, 120.0), n=(0, 0, 3), dlt=(0, 0, 2))
    decision = design.decide(data, start=120)
    assert (decision.action, decision.next_level) == (Action.DEESCALATE, 90.0)


def test_more_than_six_patients_at_a_level_is_refused() -> None:
    with pytest.raises(ParameterError, match="at most 6"):
        ThreePlusThree().decide(DoseData(LEVELS, n=(9, 0, 0), dlt=(0, 0, 0)))
