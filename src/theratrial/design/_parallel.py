"""Simulation split into parts of whole 1,024-trial blocks (private, pure: no Dask here).

:func:`theratrial.design.simulate` draws each block of :data:`BLOCK_TRIALS` trials from its
own stream ``SeedSequence(seed, spawn_key=(block,))``, and the operating characteristics
are sums of whole-number counts over trials. So a run can be cut into parts at block
boundaries (:func:`split_blocks`), each part simulated anywhere (:func:`simulate_blocks`),
and the integer totals added (:func:`combine`): the same seed gives the same answer, bit
for bit, however many parts or workers. ``theratrial.jobs`` sends the parts to Dask.

Examples
--------
>>> from theratrial.design import Boin, simulate
>>> truth = [0.05, 0.15, 0.3, 0.45]
>>> parts = [simulate_blocks(Boin(0.3), truth, max_n=24, seed=3, first_block=b, n_trials=n)
...          for b, n in split_blocks(3000, 3)]
>>> combine(Boin(0.3), truth, parts, max_n=24, seed=3) == simulate(
...     Boin(0.3), truth, max_n=24, n_trials=3000, seed=3)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from theratrial.design._checks import check_count
from theratrial.design._simulation_core import BLOCK_TRIALS, BlockRandom, check_scenario, engine_for
from theratrial.design.decision import DoseFindingDesign
from theratrial.design.simulation import OperatingCharacteristics, check_seed

__all__ = ["BlockTotals", "combine", "simulate_blocks", "split_blocks"]


@dataclass(frozen=True, slots=True)
class BlockTotals:
    """Whole-number totals of one part: MTD selections, patients and DLTs per level."""

    counts: tuple[int, ...]
    n_sum: tuple[int, ...]
    y_sum: tuple[int, ...]
    stopped: int
    n_trials: int


def split_blocks(n_trials: int, parts: int) -> list[tuple[int, int]]:
    """``(first_block, n_trials)`` of up to ``parts`` parts of whole blocks, in order.

    Examples
    --------
    >>> split_blocks(5000, 2)
    [(0, 3072), (3, 1928)]
    """
    n_trials = check_count(n_trials, field="n_trials", minimum=1)
    parts = check_count(parts, field="workers", minimum=1)
    blocks = -(-n_trials // BLOCK_TRIALS)
    per = -(-blocks // min(parts, blocks))
    out = []
    for first in range(0, blocks, per):
        size = min(per * BLOCK_TRIALS, n_trials - first * BLOCK_TRIALS)
        out.append((first, size))
    return out


def simulate_blocks(
    design: DoseFindingDesign,
    truth: Sequence[float],
    *,
    cohort_size: int = 3,
    max_n: int,
    start_level: int = 0,
    seed: int,
    first_block: int,
    n_trials: int,
) -> BlockTotals:
    """Simulate ``n_trials`` trials starting at block ``first_block`` of ``seed``."""
    p, _ = check_scenario(design, truth, cohort_size, max_n, start_level, None)
    seed = check_seed(seed)
    raw = engine_for(design)(
        design, p, cohort_size=cohort_size, max_n=max_n, start=start_level,
        n_trials=n_trials, rng=BlockRandom(seed, first_block, n_trials), progress=None,
    )  # fmt: skip
    counts = np.bincount(raw.mtd[raw.mtd >= 0], minlength=p.size)
    return BlockTotals(
        tuple(int(v) for v in counts),
        tuple(int(v) for v in raw.n.sum(axis=0)),
        tuple(int(v) for v in raw.dlt.sum(axis=0)),
        int(np.count_nonzero(raw.mtd < 0)),
        int(n_trials),
    )


def combine(
    design: DoseFindingDesign,
    truth: Sequence[float],
    parts: Sequence[BlockTotals],
    *,
    cohort_size: int = 3,
    max_n: int,
    start_level: int = 0,
    seed: int,
    levels: Sequence[float] | None = None,
) -> OperatingCharacteristics:
    """The operating characteristics of the parts together (as :func:`simulate` gives)."""
    p, lv = check_scenario(design, truth, cohort_size, max_n, start_level, levels)
    counts = np.sum([np.asarray(t.counts, dtype=np.int64) for t in parts], axis=0)
    n_sum = np.sum([np.asarray(t.n_sum, dtype=np.int64) for t in parts], axis=0)
    y_sum = np.sum([np.asarray(t.y_sum, dtype=np.int64) for t in parts], axis=0)
    stopped = sum(t.stopped for t in parts)
    n = sum(t.n_trials for t in parts)
    return OperatingCharacteristics.from_totals(
        design,
        p,
        lv,
        cohort_size=cohort_size,
        max_n=max_n,
        start_index=start_level,
        n_trials=n,
        seed=check_seed(seed),
        selected=counts,
        treated=n_sum,
        dlts=y_sum,
        stopped=stopped,
        per=n,
    )
