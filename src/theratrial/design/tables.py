"""Dose-decision tables: the full grid of decisions for n = 1..N patients at a level.

Protocols of interval designs carry a table that tells the trial team, for every number of
patients treated at the current level and every DLT count, whether to escalate (E), stay (S),
de-escalate (D) or de-escalate and eliminate the level and all above it (DU) — BOIN
(Yuan et al. Clin Cancer Res 2016, Table 1), mTPI-2 (Guo et al. 2017) and i3+3 (Liu et al.
2020) all publish them this way. For the 3+3 the grid has the rows n = 3 and n = 6. The CRM
has no such table: its decision depends on the data at every level.
"""

from __future__ import annotations

from dataclasses import dataclass

from theratrial.design._checks import check_count
from theratrial.design._interval import CODE_NAMES, DU, D, E, S
from theratrial.design.boin import Boin
from theratrial.design.crm import Crm
from theratrial.design.decision import DoseFindingDesign
from theratrial.design.i3plus3 import I3plus3
from theratrial.design.mtpi2 import Mtpi2
from theratrial.design.threeplusthree import ThreePlusThree
from theratrial.errors import ParameterError

__all__ = ["DecisionRow", "DecisionTable", "decision_table"]


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """Decisions for ``n`` patients at the current level.

    Attributes
    ----------
    n
        Patients treated at the current level.
    escalate_if_dlt_le
        Largest DLT count that escalates (``None``: never).
    deescalate_if_dlt_ge
        Smallest DLT count that de-escalates, with or without elimination (``None``: never).
    eliminate_if_dlt_ge
        Smallest DLT count that eliminates the level and all above (``None``: never).
    decisions
        Code for each DLT count ``y = 0..n``: ``E``, ``S``, ``D`` or ``DU``.
    """

    n: int
    escalate_if_dlt_le: int | None
    deescalate_if_dlt_ge: int | None
    eliminate_if_dlt_ge: int | None
    decisions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecisionTable:
    """A design's decision grid."""

    design: str
    target: float | None
    rows: tuple[DecisionRow, ...]


def _row(n: int, codes: list[int]) -> DecisionRow:
    esc = [y for y, c in enumerate(codes) if c == E]
    down = [y for y, c in enumerate(codes) if c in (D, DU)]
    elim = [y for y, c in enumerate(codes) if c == DU]
    return DecisionRow(
        n=n,
        escalate_if_dlt_le=max(esc) if esc else None,
        deescalate_if_dlt_ge=min(down) if down else None,
        eliminate_if_dlt_ge=min(elim) if elim else None,
        decisions=tuple(CODE_NAMES[c] for c in codes),
    )


def decision_table(design: DoseFindingDesign, *, max_n: int = 12) -> DecisionTable:
    """The decision grid of ``design`` for ``n = 1..max_n`` (3+3: ``n`` = 3 and 6).

    Examples
    --------
    >>> table = decision_table(Boin(0.3), max_n=6)
    >>> [(r.n, "".join(f"{c:<3}" for c in r.decisions).strip()) for r in table.rows[2:4]]
    [(3, 'E  S  D  DU'), (4, 'E  S  D  DU DU')]
    >>> [r.decisions for r in decision_table(ThreePlusThree()).rows]
    [('E', 'S', 'D', 'D'), ('E', 'E', 'D', 'D', 'D', 'D', 'D')]
    """
    max_n = check_count(max_n, field="max_n", minimum=1)
    if isinstance(design, Crm):
        raise ParameterError(
            "the CRM has no decision table: its decision depends on the data at every level",
            field="design",
            hint="use 'design next' with the accrued data, or simulate the design",
        )
    if isinstance(design, ThreePlusThree):
        rows: tuple[DecisionRow, ...] = (
            _row(3, [E, S, D, D]),
            _row(6, [E, E, D, D, D, D, D]),
        )
        return DecisionTable(design=design.name, target=None, rows=rows)
    if isinstance(design, (Boin, Mtpi2, I3plus3)):
        table = design.code_table(max_n)
        rows = tuple(_row(n, [int(c) for c in table[n, : n + 1]]) for n in range(1, max_n + 1))
        return DecisionTable(design=design.name, target=design.target, rows=rows)
    raise ParameterError(f"no decision table for design {design!r}", field="design")
