"""BOIN: boundaries (Liu & Yuan 2015; reference sheet section 5), decisions, MTD selection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theratrial.design import Action, Boin, DoseData, boin_boundaries
from theratrial.errors import ParameterError


@pytest.mark.parametrize(
    ("target", "lambda_e", "lambda_d"),
    [(0.20, 0.1572, 0.2385), (0.25, 0.1968, 0.2984), (0.30, 0.2365, 0.3585)],
)
def test_boundaries_match_reference_to_4_decimals(
    target: float, lambda_e: float, lambda_d: float
) -> None:
    b = boin_boundaries(target)
    assert round(b.lambda_e, 4) == lambda_e
    assert round(b.lambda_d, 4) == lambda_d


@pytest.mark.parametrize(
    ("target", "expected"),
    [(0.20, [2, 3, 4, 5]), (0.25, [3, 4, 5, 6]), (0.30, [3, 4, 5, 7])],
)
def test_elimination_cutoffs_match_reference(target: float, expected: list[int]) -> None:
    b = boin_boundaries(target, max_n=12)
    assert [b.eliminate_if_dlt_ge[n - 1] for n in (3, 6, 9, 12)] == expected


def test_full_table_target_030_matches_published_decision_table() -> None:
    # Yuan et al. Clin Cancer Res 2016, Table 1 (target 0.3, n = 1..12)
    b = boin_boundaries(0.3, max_n=12)
    assert b.escalate_if_dlt_le == (0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2)
    assert b.deescalate_if_dlt_ge == (1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5)
    assert b.eliminate_if_dlt_ge == (None, None, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7)


@given(st.floats(0.05, 0.6), st.integers(1, 40))
def test_boundaries_are_ordered(target: float, n: int) -> None:
    b = boin_boundaries(target, max_n=n)
    i = n - 1
    assert 0 < b.lambda_e < target < b.lambda_d
    assert b.escalate_if_dlt_le[i] < b.deescalate_if_dlt_ge[i]
    elim = b.eliminate_if_dlt_ge[i]
    if elim is not None:
        assert b.deescalate_if_dlt_ge[i] <= elim


@pytest.mark.parametrize("target", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_target_outside_unit_interval_is_refused(target: float) -> None:
    with pytest.raises(ParameterError, match="outside"):
        Boin(target)


def test_p_saf_above_target_is_refused() -> None:
    with pytest.raises(ParameterError, match="p_saf"):
        boin_boundaries(0.25, p_saf=0.3)


LEVELS = (60.0, 90.0, 120.0)


@pytest.mark.parametrize(
    ("n", "dlt", "action", "next_level"),
    [
        ((0, 0, 0), (0, 0, 0), Action.STAY, 120.0),  # nobody treated: start at the top
        ((0, 0, 3), (0, 0, 0), Action.STAY, 120.0),  # escalation indicated at the top level
        ((0, 0, 6), (0, 0, 1), Action.STAY, 120.0),  # 1/6 <= 0.1968*6
        ((0, 0, 6), (0, 0, 2), Action.DEESCALATE, 90.0),  # 2/6 >= 0.2984*6 -> 2
        ((0, 0, 6), (0, 0, 4), Action.ELIMINATE, 90.0),  # 4/6: Pr(p > 0.25) > 0.95
        ((0, 0, 3), (0, 0, 3), Action.ELIMINATE, 90.0),
    ],
)
def test_action1_deescalation_start_at_the_top(
    n: tuple[int, ...], dlt: tuple[int, ...], action: Action, next_level: float
) -> None:
    decision = Boin(0.25).decide(DoseData(LEVELS, n=n, dlt=dlt), start=120)
    assert decision.action is action
    assert decision.next_level == next_level
    assert decision.current_level == 120.0


def test_elimination_reports_the_levels_and_blocks_reescalation() -> None:
    data = DoseData(LEVELS, n=(0, 3, 6), dlt=(0, 0, 4))
    decision = Boin(0.25).decide(data, current=90, start=120)
    assert decision.eliminated_levels == (120.0,)
    # 0/3 at 90 calls for escalation, but 120 is eliminated: stay at 90
    assert decision.action is Action.STAY
    assert decision.next_level == 90.0


def test_lowest_level_eliminated_stops_without_mtd() -> None:
    data = DoseData(LEVELS, n=(3, 0, 6), dlt=(3, 0, 2))
    decision = Boin(0.25).decide(data, current=60, start=120)
    assert decision.action is Action.STOP
    assert decision.mtd_level is None
    assert decision.eliminated_levels == LEVELS


def test_inferred_current_level_is_the_frontier_from_the_start() -> None:
    data = DoseData(LEVELS, n=(0, 3, 6), dlt=(0, 0, 3))
    decision = Boin(0.25).decide(data, start=120)
    assert decision.current_inferred
    assert decision.current_level == 90.0
    assert decision.action is Action.ESCALATE  # 0/3 at 90, 120 not eliminated (3/6 < 4)


def test_maximum_sample_size_selects_the_mtd() -> None:
    data = DoseData(LEVELS, n=(6, 6, 6), dlt=(0, 1, 3))
    decision = Boin(0.25).decide(data, current=90, max_n=18)
    assert decision.action is Action.SELECT_MTD
    assert decision.mtd_level == 90.0
    assert decision.next_level is None


def test_n_earlystop_stops_when_the_decision_is_to_stay() -> None:
    design = Boin(0.25, n_earlystop=9)
    stay = DoseData(LEVELS, n=(3, 9, 0), dlt=(0, 2, 0))  # 2/9: stay region (1 < 2 < 3)
    assert design.decide(stay, current=90).action is Action.SELECT_MTD
    move = DoseData(LEVELS, n=(3, 9, 0), dlt=(0, 1, 0))  # 1/9: escalate, no stop
    assert design.decide(move, current=90).action is Action.ESCALATE


def test_extrasafe_stops_earlier_at_the_lowest_level() -> None:
    # 2/3 at the lowest level, target 0.25: Pr(p > 0.25 | Beta(3, 2)) = 0.9492, not > 0.95
    data = DoseData(LEVELS, n=(3, 0, 0), dlt=(2, 0, 0))
    assert Boin(0.25).decide(data).action is Action.STAY  # de-escalation impossible
    assert Boin(0.25).decide(data).next_level == 60.0
    strict = Boin(0.25, extrasafe=True)  # cut-off 0.95 - 0.05 = 0.90 < 0.9492
    assert strict.decide(data).action is Action.STOP
    assert strict.select_mtd(data).mtd_index is None


@pytest.mark.parametrize(
    ("n", "dlt", "mtd"),
    [
        ((3, 3, 15, 9, 0), (0, 0, 4, 4, 0), 2),  # BOIN select.mtd documentation example
        ((3, 3, 0, 0, 0), (0, 0, 0, 0, 0), 1),  # tie below target: the higher dose
        ((3, 6, 0, 0, 0), (2, 2, 0, 0, 0), 0),  # pooled tie above target: the lower dose
        ((3, 0, 0, 0, 0), (3, 0, 0, 0, 0), None),  # lowest eliminated
    ],
)
def test_select_mtd_isotonic_conventions(
    n: tuple[int, ...], dlt: tuple[int, ...], mtd: int | None
) -> None:
    data = DoseData((1, 2, 3, 4, 5), n=n, dlt=dlt)
    assert Boin(0.3).select_mtd(data).mtd_index == mtd


def test_bound_mtd_refuses_a_level_above_lambda_d() -> None:
    data = DoseData((1, 2), n=(6, 0), dlt=(3, 0))  # estimate 0.5 > lambda_d 0.3585
    assert Boin(0.3).select_mtd(data).mtd_index == 0
    assert Boin(0.3, bound_mtd=True).select_mtd(data).mtd_index is None


def test_decision_carries_the_boundaries_used() -> None:
    decision = Boin(0.25).decide(DoseData(LEVELS, n=(0, 0, 6), dlt=(0, 0, 2)), start=120)
    ev = decision.evidence
    assert ev["escalate_if_dlt_le"] == 1
    assert ev["deescalate_if_dlt_ge"] == 2
    assert ev["eliminate_if_dlt_ge"] == 4
    assert round(float(ev["lambda_e"]), 4) == 0.1968  # type: ignore[arg-type]
    estimate = decision.estimates[2]
    assert estimate.observed_rate == pytest.approx(2 / 6)
    assert estimate.estimated_rate == pytest.approx(2.05 / 6.1)
