"""The parts the simulators share (private to :mod:`theratrial.design.simulation`).

- :func:`check_scenario`: the scenario's arguments, checked together;
- :class:`BlockRandom`: uniform numbers for a chunk of trials, each block of
  :data:`BLOCK_TRIALS` trials from its own stream ``SeedSequence(seed, spawn_key=(block,))``
  (NumPy's documented way to make independent, reproducible child streams), so results do
  not depend on the chunk size;
- :func:`engine_for`: the vectorised simulator of a design (:mod:`~theratrial.design._engines`).

Examples
--------
>>> a = BlockRandom(7, 0, 1500).random((1500, 2))
>>> b = BlockRandom(7, 1, 476).random((476, 2))     # the second block on its own
>>> bool((a[1024:] == b).all())
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from theratrial.design._checks import check_count, check_probability_vector, check_sample_size
from theratrial.design._engines import RawTrials, run_crm, run_interval, run_threeplusthree
from theratrial.design.boin import Boin
from theratrial.design.crm import Crm
from theratrial.design.decision import DoseFindingDesign
from theratrial.design.dosedata import DoseData
from theratrial.design.i3plus3 import I3plus3
from theratrial.design.mtpi2 import Mtpi2
from theratrial.design.threeplusthree import ThreePlusThree
from theratrial.errors import ParameterError

__all__ = ["BLOCK_TRIALS", "BlockRandom", "check_scenario", "engine_for"]

BLOCK_TRIALS = 1024
"""Trials per random stream; fixed, so results do not depend on the chunk size."""


class BlockRandom:
    """Uniform numbers for a chunk of trials, each block of trials from its own stream."""

    def __init__(self, seed: int, first_block: int, n_trials: int) -> None:
        self._gens = []
        self._sizes = []
        for k in range(-(-n_trials // BLOCK_TRIALS)):
            ss = np.random.SeedSequence(seed, spawn_key=(first_block + k,))
            self._gens.append(np.random.default_rng(ss))
            self._sizes.append(min(BLOCK_TRIALS, n_trials - k * BLOCK_TRIALS))

    def random(self, size: tuple[int, int]) -> np.ndarray:
        parts = [g.random((m, size[1])) for g, m in zip(self._gens, self._sizes, strict=True)]
        return np.concatenate(parts, axis=0)


def check_scenario(
    design: DoseFindingDesign,
    truth: Sequence[float],
    cohort_size: int,
    max_n: int,
    start_level: int,
    levels: Sequence[float] | None,
) -> tuple[np.ndarray, tuple[float, ...]]:
    """The true DLT probabilities as an array and the level values, checked together.

    Raises
    ------
    ParameterError
        Naming the argument at fault: ``truth``, ``skeleton``, ``cohort_size``, ``max_n``
        or ``start_level``.
    """
    p = np.asarray(check_probability_vector(truth, field="truth", open_zero=False))
    if levels is None:
        lv = tuple(float(i + 1) for i in range(p.size))
    else:
        lv = DoseData.empty(levels).levels
        if len(lv) != p.size:
            raise ParameterError(
                f"{p.size} true DLT probabilities for {len(lv)} dose levels",
                field="truth",
                hint="give one true DLT probability per dose level",
            )
    if isinstance(design, Crm) and len(design.skeleton) != p.size:
        raise ParameterError(
            f"{len(design.skeleton)} skeleton values for {p.size} dose levels",
            field="skeleton",
            hint="give one skeleton probability per dose level",
        )
    cohort_size = check_count(cohort_size, field="cohort_size", minimum=1)
    check_sample_size(max_n, field="max_n", minimum=cohort_size)
    if isinstance(design, ThreePlusThree) and cohort_size != 3:
        raise ParameterError(
            f"cohort size {cohort_size} with a 3+3 design", field="cohort_size", hint="use 3"
        )
    if not 0 <= start_level < p.size:
        raise ParameterError(
            f"start level index {start_level} is outside 0..{p.size - 1}",
            field="start_level",
            hint="choose one of the dose levels",
        )
    return p, lv


def engine_for(design: DoseFindingDesign) -> Callable[..., RawTrials]:
    """The vectorised simulator of ``design``'s family.

    Raises
    ------
    ParameterError
        For a design with no simulator.
    """
    if isinstance(design, (Boin, Mtpi2, I3plus3)):
        return run_interval
    if isinstance(design, ThreePlusThree):
        return run_threeplusthree
    if isinstance(design, Crm):
        return run_crm
    raise ParameterError(
        f"no simulator for design {design!r}",
        field="design",
        hint="use Boin, Crm, Mtpi2, I3plus3 or ThreePlusThree",
    )
