"""Decision tables for the protocol file."""

from __future__ import annotations

import pytest

from theratrial.design import Boin, Crm, DoseData, I3plus3, Mtpi2, ThreePlusThree, decision_table
from theratrial.design.boin import boin_boundaries
from theratrial.errors import ParameterError


@pytest.mark.parametrize("target", [0.2, 0.25, 0.3])
def test_boin_table_agrees_with_the_boundaries(target: float) -> None:
    table = decision_table(Boin(target), max_n=18)
    b = boin_boundaries(target, max_n=18)
    assert [r.escalate_if_dlt_le for r in table.rows] == list(b.escalate_if_dlt_le)
    assert [r.deescalate_if_dlt_ge for r in table.rows] == list(b.deescalate_if_dlt_ge)
    assert [r.eliminate_if_dlt_ge for r in table.rows] == list(b.eliminate_if_dlt_ge)
    assert [len(r.decisions) for r in table.rows] == list(range(2, 20))


@pytest.mark.parametrize("design", [Boin(0.25), Mtpi2(0.25), I3plus3(0.25)])
def test_every_row_covers_all_dlt_counts(design: Boin | Mtpi2 | I3plus3) -> None:
    for row in decision_table(design, max_n=12).rows:
        assert len(row.decisions) == row.n + 1
        assert set(row.decisions) <= {"E", "S", "D", "DU"}


def test_threeplusthree_table() -> None:
    rows = decision_table(ThreePlusThree()).rows
    assert [(r.n, r.escalate_if_dlt_le, r.deescalate_if_dlt_ge) for r in rows] == [
        (3, 0, 2),
        (6, 1, 2),
    ]


@pytest.mark.parametrize("level", [0, 1, 2])
def test_crm_table_agrees_with_decide_cell_by_cell(level: int) -> None:
    """The CRM grid is Crm.decide on data all at one level (coherence left out)."""
    crm = Crm(0.25, skeleton=(0.1, 0.25, 0.4), coherent_escalation=False)
    table = decision_table(crm, max_n=6, level=level)
    levels = (1.0, 2.0, 3.0)
    for row in table.rows:
        for y, code in enumerate(row.decisions):
            n = [0, 0, 0]
            k = [0, 0, 0]
            n[level], k[level] = row.n, y
            action = crm.decide(DoseData(levels, n=tuple(n), dlt=tuple(k)), current=levels[level])
            want = {"escalate": "E", "stay": "S", "de-escalate": "D"}[action.action.value]
            assert code == want, (row.n, y)
    assert "level" in table.note


def test_crm_table_level_outside_the_skeleton_is_refused() -> None:
    with pytest.raises(ParameterError, match="level index"):
        decision_table(Crm(0.25, skeleton=(0.1, 0.25, 0.4)), level=3)


def test_tables_refuse_a_huge_sample_size_at_once() -> None:
    with pytest.raises(ParameterError, match="at most 1000"):
        decision_table(Boin(0.25), max_n=100_000_000)
