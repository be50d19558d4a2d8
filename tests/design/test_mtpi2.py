"""mTPI-2 (Guo et al. 2017): interval partition, unit probability mass, decisions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import beta as beta_dist

from theratrial.design import Action, DoseData, Mtpi2, mtpi2_intervals
from theratrial.errors import ParameterError


@pytest.mark.parametrize("target", [0.2, 0.25, 0.3, 0.33])
def test_intervals_partition_zero_to_one_with_equal_width(target: float) -> None:
    intervals = mtpi2_intervals(target, 0.05, 0.05)
    assert intervals[0][0] == 0.0
    assert intervals[-1][1] == 1.0
    for (_, hi), (lo, _) in itertools.pairwise(intervals):
        assert hi == pytest.approx(lo)
    widths = [hi - lo for lo, hi in intervals[1:-1]]
    assert widths == pytest.approx([0.1] * len(widths))
    assert (round(target - 0.05, 12), round(target + 0.05, 12)) in intervals


def test_upm_is_interval_mass_over_length() -> None:
    design = Mtpi2(0.3)
    upm = design.upm(6, 2)
    for (lo, hi), value in zip(design.intervals, upm, strict=True):
        mass = integrate.quad(lambda p: beta_dist.pdf(p, 3, 5), lo, hi)[0]
        assert value == pytest.approx(mass / (hi - lo), rel=1e-9)


def test_decision_table_target_030() -> None:
    design = Mtpi2(0.3)
    rows = {n: [design.code_name(n, y) for y in range(n + 1)] for n in (3, 6, 9)}
    assert rows[3] == ["E", "S", "D", "DU"]
    assert rows[6] == ["E", "E", "S", "D", "DU", "DU", "DU"]
    assert rows[9] == ["E", "E", "E", "S", "D"] + ["DU"] * 5


def test_du_coincides_with_the_beta_elimination_rule() -> None:
    design = Mtpi2(0.25)
    for n in range(3, 16):
        for y in range(n + 1):
            tail = beta_dist.sf(0.25, y + 1, n - y + 1)
            assert (design.code_name(n, y) == "DU") == (tail > 0.95)


@given(st.integers(1, 30), st.floats(0.15, 0.45))
def test_decisions_are_monotone_in_dlt_count(n: int, target: float) -> None:
    design = Mtpi2(target)
    codes = [design.code(n, y) for y in range(n + 1)]
    assert codes == sorted(codes)


def test_decide_uses_the_shared_conduct_rules() -> None:
    data = DoseData((60.0, 90.0, 120.0), n=(0, 3, 3), dlt=(0, 1, 3))
    decision = Mtpi2(0.3).decide(data, current=90, start=120)
    assert decision.eliminated_levels == (120.0,)
    assert decision.action is Action.STAY  # 1/3 at 90 is inside the EI
    assert decision.evidence["max_upm_interval"] == (0.25, 0.35)


def test_equivalence_interval_must_fit_around_the_target() -> None:
    with pytest.raises(ParameterError, match="equivalence interval"):
        Mtpi2(0.04, epsilon1=0.05)
