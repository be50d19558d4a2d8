"""Dose-decision tables: the full grid of decisions for n = 1..N patients at a level.

Protocols of interval designs carry a table that tells the trial team, for every number of
patients treated at the current level and every DLT count, whether to escalate (E), stay (S),
de-escalate (D) or de-escalate and eliminate the level and all above it (DU) — BOIN
(Yuan et al. Clin Cancer Res 2016, Table 1), mTPI-2 (Guo et al. 2017) and i3+3 (Liu et al.
2020) all publish them this way. For the 3+3 the grid has the rows n = 3 and n = 6.

The CRM's decision depends on the data at every level, so its grid is conditional: the
decision when all ``n`` patients were treated at one level (the start level by default) and
nobody elsewhere — the first rows of the dose-transition pathways of Yap et al. (Clin Cancer
Res 2017;23:7440-7447). It is the model recommendation closest to the target (dfcrm
conventions, posterior on the same grid as :meth:`Crm.decide`), with no skipping of untried
levels; D marks a move down, DU the safety stop when the design has one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theratrial.design._checks import check_sample_size
from theratrial.design._interval import CODE_NAMES, DU, D, E, S
from theratrial.design.boin import Boin
from theratrial.design.crm import Crm, crm_posterior_rows
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
    note: str = ""


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


def _crm_table(design: Crm, max_n: int, level: int) -> DecisionTable:
    n_levels = len(design.skeleton)
    if not 0 <= level < n_levels:
        raise ParameterError(
            f"level index {level} is outside 0..{n_levels - 1}",
            field="level",
            hint="choose one of the skeleton's levels",
        )
    cells = [(n, y) for n in range(1, max_n + 1) for y in range(n + 1)]
    n_rows = np.zeros((len(cells), n_levels), dtype=np.int64)
    y_rows = np.zeros_like(n_rows)
    n_rows[:, level] = [c[0] for c in cells]
    y_rows[:, level] = [c[1] for c in cells]
    codes = np.empty(len(cells), dtype=np.int64)
    for lo in range(0, len(cells), 2048):
        post = crm_posterior_rows(
            design.skeleton,
            n_rows[lo : lo + 2048],
            y_rows[lo : lo + 2048],
            target=design.target,
            prior_var=design.prior_var,
            points=4001,
            overdose=design.stop_threshold is not None,
        )
        rec = np.argmin(np.abs(post.ptox - design.target), axis=1)
        if design.no_skip_escalation:
            rec = np.minimum(rec, level + 1)
        part = np.where(rec > level, E, np.where(rec < level, D, S))
        if design.stop_threshold is not None and level == 0:
            n_here = n_rows[lo : lo + 2048, 0]
            stop = (n_here >= design.stop_min_n) & (post.p_overdose[:, 0] > design.stop_threshold)
            part = np.where(stop, DU, part)
        codes[lo : lo + 2048] = part
    rows = []
    k = 0
    for n in range(1, max_n + 1):
        rows.append(_row(n, [int(c) for c in codes[k : k + n + 1]]))
        k += n + 1
    note = (
        f"CRM decisions when all n patients were treated at level {level + 1} of {n_levels} "
        "and nobody elsewhere (no skipping; coherence needs the last cohort: see 'design next')"
    )
    return DecisionTable(design=design.name, target=design.target, rows=tuple(rows), note=note)


def decision_table(design: DoseFindingDesign, *, max_n: int = 12, level: int = 0) -> DecisionTable:
    """The decision grid of ``design`` for ``n = 1..max_n`` (3+3: ``n`` = 3 and 6).

    ``level`` (0-based) is the level the CRM grid assumes every patient was treated at;
    the other designs' grids hold for any level.

    Examples
    --------
    >>> table = decision_table(Boin(0.3), max_n=6)
    >>> [(r.n, "".join(f"{c:<3}" for c in r.decisions).strip()) for r in table.rows[2:4]]
    [(3, 'E  S  D  DU'), (4, 'E  S  D  DU DU')]
    >>> [r.decisions for r in decision_table(ThreePlusThree()).rows]
    [('E', 'S', 'D', 'D'), ('E', 'E', 'D', 'D', 'D', 'D', 'D')]
    >>> crm = Crm(0.25, skeleton=(0.05, 0.12, 0.25, 0.40))
    >>> [r.decisions for r in decision_table(crm, max_n=3).rows]
    [('E', 'S'), ('E', 'S', 'S'), ('E', 'S', 'S', 'S')]
    """
    max_n = check_sample_size(max_n, field="max_n")
    if isinstance(design, Crm):
        return _crm_table(design, max_n, level)
    if isinstance(design, ThreePlusThree):
        rows: tuple[DecisionRow, ...] = (
            _row(3, [E, S, D, D]),
            _row(6, [E, E, D, D, D, D, D]),
        )
        return DecisionTable(
            design=design.name, target=None, rows=rows, note=f"3+3: {design.convention}"
        )
    if isinstance(design, (Boin, Mtpi2, I3plus3)):
        table = design.code_table(max_n)
        rows = tuple(_row(n, [int(c) for c in table[n, : n + 1]]) for n in range(1, max_n + 1))
        return DecisionTable(design=design.name, target=design.target, rows=rows)
    raise ParameterError(f"no decision table for design {design!r}", field="design")
