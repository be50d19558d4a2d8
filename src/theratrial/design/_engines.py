"""Vectorised trial simulators of the designs (private; used by :mod:`.simulation`).

All trials advance together, one cohort per loop pass; there is no loop over trials or over
patients. The CRM posterior is computed once per distinct (n, y) state among the running
trials. Each pass draws one uniform number per trial and cohort seat,
``rng.random((n_trials, cohort_size))``, whether the trial is still running or not, so that
trial ``t`` sees the same random numbers whatever happens to the other trials (common random
numbers: a scalar replay of trial ``t`` with :meth:`decide` reproduces it exactly). A seat is
a DLT when its number is below the true DLT probability of the level it is treated at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from theratrial.design._interval import (
    DU,
    NO_BOUND,
    D,
    E,
    IntervalRules,
    S,
    elimination_bounds,
)
from theratrial.design.crm import Crm, crm_posterior_rows
from theratrial.design.isotonic import select_isotonic_rows
from theratrial.design.threeplusthree import ThreePlusThree

__all__ = [
    "RandomSource",
    "RawTrials",
    "run_crm",
    "run_interval",
    "run_threeplusthree",
    "select_threeplusthree_rows",
]

Progress = Callable[[int, int], None] | None
_CHUNK = 4096


class RandomSource(Protocol):
    """What the engines draw from: a :class:`numpy.random.Generator` or a block source."""

    def random(self, size: tuple[int, int]) -> NDArray[np.float64]:
        """Uniform numbers in [0, 1) of shape ``size``."""
        ...


@dataclass(frozen=True, slots=True)
class RawTrials:
    """Per-trial results: patients and DLTs per level, and the selected MTD (-1: none)."""

    n: NDArray[np.int64]
    dlt: NDArray[np.int64]
    mtd: NDArray[np.int64]


def _treat(
    rng: RandomSource,
    truth: NDArray[np.float64],
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    d: NDArray[np.int64],
    active: NDArray[np.bool_],
    cohort_size: int,
    max_n: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Treat one cohort in every active trial; return (indices, cohort sizes, cohort DLTs)."""
    u = rng.random((n.shape[0], cohort_size))
    idx = np.nonzero(active)[0]
    total = n[idx].sum(axis=1)
    size = np.minimum(cohort_size, max_n - total)
    dd = d[idx]
    seats = np.arange(cohort_size)[None, :] < size[:, None]
    tox = ((u[idx] < truth[dd][:, None]) & seats).sum(axis=1)
    n[idx, dd] += size
    y[idx, dd] += tox
    return idx, size, tox


def run_interval(
    rules: IntervalRules,
    truth: NDArray[np.float64],
    *,
    cohort_size: int,
    max_n: int,
    start: int,
    n_trials: int,
    rng: RandomSource,
    progress: Progress = None,
) -> RawTrials:
    """Simulate BOIN, mTPI-2 or i3+3 trials (conduct rules of ``_interval``)."""
    n_levels = truth.size
    table = rules.code_table(max_n).astype(np.int64)
    elim_bound = elimination_bounds(rules.target, max_n, rules.cutoff_eli)
    safe_bound = elimination_bounds(rules.target, max_n, rules.cutoff_eli - rules.offset)
    n = np.zeros((n_trials, n_levels), dtype=np.int64)
    y = np.zeros_like(n)
    d = np.full(n_trials, start, dtype=np.int64)
    elim = np.zeros((n_trials, n_levels), dtype=bool)
    active = np.ones(n_trials, dtype=bool)
    early = np.zeros(n_trials, dtype=bool)
    level_idx = np.arange(n_levels)
    n_cohorts = -(-max_n // cohort_size)
    for step in range(n_cohorts):
        if not active.any():
            break
        idx, _, _ = _treat(rng, truth, n, y, d, active, cohort_size, max_n)
        full = n[idx].sum(axis=1) >= max_n
        active[idx[full]] = False
        idx = idx[~full]
        dd = d[idx]
        nd = n[idx, dd]
        yd = y[idx, dd]
        du = yd >= elim_bound[nd]
        elim[idx] |= du[:, None] & (level_idx[None, :] >= dd[:, None])
        stop = du & (dd == 0)
        if rules.extrasafe:
            stop |= (dd == 0) & (elim_bound[nd] != NO_BOUND) & (yd >= safe_bound[nd])
        early[idx[stop]] = True
        active[idx[stop]] = False
        keep = ~stop
        idx, dd, nd, yd, du = idx[keep], dd[keep], nd[keep], yd[keep], du[keep]
        code = np.where(du, DU, table[nd, yd])
        up = np.minimum(dd + 1, n_levels - 1)
        can_up = (dd < n_levels - 1) & ~elim[idx, up]
        down = (code == D) | (code == DU)
        stay = (code == S) | ((code == E) & ~can_up) | (down & (dd == 0))
        done = stay & (nd >= rules.n_earlystop)
        active[idx[done]] = False
        move = ~done
        d[idx[move]] = (dd + ((code == E) & can_up) - (down & (dd > 0)))[move]
        if progress is not None:
            progress(step + 1, n_cohorts)
    final_elim = _final_elimination(n, y, elim_bound, rules, safe_bound)
    mtd = select_isotonic_rows(n, y, final_elim, target=rules.target, max_rate=rules.mtd_max_rate)
    mtd[early] = -1
    return RawTrials(n=n, dlt=y, mtd=mtd)


def _final_elimination(
    n: NDArray[np.int64],
    y: NDArray[np.int64],
    elim_bound: NDArray[np.int64],
    rules: IntervalRules,
    safe_bound: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Elimination as ``select.mtd`` re-derives it from the final data."""
    hit = (n >= 3) & (y >= elim_bound[n])
    elim = np.logical_or.accumulate(hit, axis=1)
    if rules.extrasafe:
        all_out = (n[:, 0] >= 3) & (y[:, 0] >= safe_bound[n[:, 0]])
        elim |= all_out[:, None]
    return elim


def select_threeplusthree_rows(
    design: ThreePlusThree, n: NDArray[np.int64], y: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Vectorised :meth:`ThreePlusThree.select_mtd`; -1 means no MTD."""
    n_levels = n.shape[1]
    toxic = y >= 2
    first_toxic = np.where(toxic.any(axis=1), np.argmax(toxic, axis=1), n_levels)
    acceptable = (n >= 6) & (y <= 1)
    three_ok = (n == 3) & (y == 0)
    if not design.deescalation:
        acceptable |= three_ok
    elif not design.confirm_top:
        acceptable[:, -1] |= three_ok[:, -1]
    level_idx = np.arange(n_levels)[None, :]
    candidate = acceptable & (level_idx < first_toxic[:, None])
    best: NDArray[np.int64] = np.where(candidate, level_idx, -1).max(axis=1).astype(np.int64)
    return best


def run_threeplusthree(
    design: ThreePlusThree,
    truth: NDArray[np.float64],
    *,
    cohort_size: int,
    max_n: int,
    start: int,
    n_trials: int,
    rng: RandomSource,
    progress: Progress = None,
) -> RawTrials:
    """Simulate 3+3 trials (rules of :meth:`ThreePlusThree.decide`)."""
    n_levels = truth.size
    top = n_levels - 1
    n = np.zeros((n_trials, n_levels), dtype=np.int64)
    y = np.zeros_like(n)
    d = np.full(n_trials, start, dtype=np.int64)
    active = np.ones(n_trials, dtype=bool)
    rows_max = -(-max_n // cohort_size)
    for step in range(rows_max):
        if not active.any():
            break
        idx, _, _ = _treat(rng, truth, n, y, d, active, cohort_size, max_n)
        full = n[idx].sum(axis=1) >= max_n
        active[idx[full]] = False
        idx = idx[~full]
        dd = d[idx]
        nd = n[idx, dd]
        yd = y[idx, dd]
        toxic_rows = y[idx] >= 2
        first_toxic = np.where(toxic_rows.any(axis=1), np.argmax(toxic_rows, axis=1), n_levels)
        lower = first_toxic - 1
        too_toxic = yd >= 2
        n_lower = n[idx, np.maximum(lower, 0)]
        go_down = (
            too_toxic & (lower >= 0) & ((n_lower == 0) | (design.deescalation & (n_lower < 6)))
        )
        expand = ~too_toxic & (nd == 3) & (yd == 1)
        esc_ind = ~too_toxic & ~expand
        at_top = esc_ind & (dd == top)
        above = np.minimum(dd + 1, top)
        toxic_above = esc_ind & ~at_top & (y[idx, above] >= 2)
        stay_top = at_top & (nd == 3) & design.confirm_top
        stay_below_toxic = toxic_above & (nd == 3) & design.deescalation
        escalate = esc_ind & ~at_top & ~toxic_above
        cont = go_down | expand | stay_top | stay_below_toxic | escalate
        active[idx[~cont]] = False
        new_d = np.where(go_down, lower, np.where(escalate, dd + 1, dd))
        d[idx[cont]] = new_d[cont]
        if progress is not None:
            progress(step + 1, rows_max)
    return RawTrials(n=n, dlt=y, mtd=select_threeplusthree_rows(design, n, y))


def run_crm(
    design: Crm,
    truth: NDArray[np.float64],
    *,
    cohort_size: int,
    max_n: int,
    start: int,
    n_trials: int,
    rng: RandomSource,
    progress: Progress = None,
) -> RawTrials:
    """Simulate CRM trials (dfcrm ``crmsim`` conduct; posterior on a fixed beta grid)."""
    n_levels = truth.size
    n = np.zeros((n_trials, n_levels), dtype=np.int64)
    y = np.zeros_like(n)
    d = np.full(n_trials, start, dtype=np.int64)
    active = np.ones(n_trials, dtype=bool)
    mtd = np.full(n_trials, -1, dtype=np.int64)
    n_cohorts = -(-max_n // cohort_size)
    need_tail = design.stop_threshold is not None
    for step in range(n_cohorts):
        if not active.any():
            break
        idx, size, tox = _treat(rng, truth, n, y, d, active, cohort_size, max_n)
        dd = d[idx]
        last_rate = tox / size
        # the posterior depends on the counts only: solve each distinct state once
        states, inverse = np.unique(
            np.concatenate([n[idx], y[idx]], axis=1), axis=0, return_inverse=True
        )
        inverse = inverse.reshape(-1)
        rec_u = np.empty(states.shape[0], dtype=np.int64)
        stop_u = np.zeros(states.shape[0], dtype=bool)
        for lo in range(0, states.shape[0], _CHUNK):
            part = states[lo : lo + _CHUNK]
            post = crm_posterior_rows(
                design.skeleton,
                part[:, :n_levels],
                part[:, n_levels:],
                target=design.target,
                prior_var=design.prior_var,
                points=design.grid_points,
                overdose=need_tail,
            )
            rec_u[lo : lo + part.shape[0]] = np.argmin(np.abs(post.ptox - design.target), axis=1)
            if need_tail:
                assert design.stop_threshold is not None
                stop_u[lo : lo + part.shape[0]] = (part[:, 0] >= design.stop_min_n) & (
                    post.p_overdose[:, 0] > design.stop_threshold
                )
        rec = rec_u[inverse]
        stop = stop_u[inverse]
        active[idx[stop]] = False
        full = ~stop & (n[idx].sum(axis=1) >= max_n)
        mtd[idx[full]] = rec[full]
        active[idx[full]] = False
        go = ~stop & ~full
        nxt = rec
        if design.no_skip_escalation:
            nxt = np.minimum(nxt, dd + 1)
        if design.coherent_escalation:
            nxt = np.where(last_rate >= design.target, np.minimum(nxt, dd), nxt)
        d[idx[go]] = nxt[go]
        if progress is not None:
            progress(step + 1, n_cohorts)
    return RawTrials(n=n, dlt=y, mtd=mtd)
