"""Operating characteristics of a dose-finding design, by simulation or exact enumeration.

For a scenario of true DLT probabilities per level, a cohort size, a maximum sample size and a
start level, :func:`simulate` runs ``n_trials`` trials at once (NumPy arrays of shape
``(n_trials, n_levels)``; no loop over trials or patients) with a seeded
:class:`numpy.random.Generator`, and reports what statisticians compare designs by (Liu &
Yuan 2015, section 4; BOIN ``get.oc``): the percentage of trials selecting each level as
the MTD, the mean number of patients and of DLTs per level, the mean sample size and the
percentage of trials stopped without an MTD. The same seed gives the same numbers.

Memory is bounded: trials run in chunks of at most ``chunk_trials`` (default 65,536), and
each block of 1,024 trials draws from its own stream,
``SeedSequence(seed, spawn_key=(block,))`` (NumPy's documented way to make independent,
reproducible child streams), so the numbers do not depend on the chunk size. Seeds are
0..2**32 - 1; at most 10,000,000 trials (Monte-Carlo error 0.016 percentage points on a
selection percentage; more adds time, not information) and at most
``MAX_SAMPLE_SIZE`` patients per trial.

:func:`exact_operating_characteristics` enumerates every outcome path with the designs'
:meth:`decide` and binomial probabilities: exact numbers for small scenarios, and an
independent check of the simulators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theratrial.design._checks import MAX_SAMPLE_SIZE, binomial_pmf, check_count
from theratrial.design._simulation_core import (
    BLOCK_TRIALS,
    BlockRandom,
    check_scenario,
    engine_for,
)
from theratrial.design.crm import Crm
from theratrial.design.decision import Action, Decision, DoseFindingDesign
from theratrial.design.dosedata import DoseData
from theratrial.errors import ParameterError

__all__ = [
    "MAX_SAMPLE_SIZE",
    "MAX_SEED",
    "MAX_TRIALS",
    "OperatingCharacteristics",
    "check_seed",
    "exact_operating_characteristics",
    "simulate",
]

MAX_SEED = 2**32 - 1
"""Largest seed accepted (the range of NumPy's legacy 32-bit seeds, used by R as well)."""
MAX_TRIALS = 10_000_000
"""Most trials one simulation runs."""


def check_seed(seed: int, *, field: str = "seed") -> int:
    """Return ``seed`` if it is a whole number in 0..2**32 - 1, else raise.

    Examples
    --------
    >>> check_seed(42)
    42
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    theratrial.errors.ParameterError: field 'seed': seed -1 is outside 0..4294967295 (fix: \
give a whole number from 0 to 4294967295)
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ParameterError(
            f"seed {seed!r} is not a whole number",
            field=field,
            hint=f"give a whole number from 0 to {MAX_SEED}",
        )
    if not 0 <= int(seed) <= MAX_SEED:
        raise ParameterError(
            f"seed {seed} is outside 0..{MAX_SEED}",
            field=field,
            hint=f"give a whole number from 0 to {MAX_SEED}",
        )
    return int(seed)


@dataclass(frozen=True, slots=True)
class OperatingCharacteristics:
    """Operating characteristics of a design in one scenario.

    Attributes
    ----------
    design, target
        Design name and target DLT probability (``None`` for the 3+3).
    truth
        True DLT probability per level.
    levels
        Dose levels (protocol unit; 1..L when not given).
    cohort_size, max_n, start_index
        Scenario settings (start level as a 0-based index).
    n_trials, seed
        Number of simulated trials (0 for exact enumeration) and the generator seed.
    selection_pct
        Percentage of trials selecting each level as the MTD.
    n_treated_mean, dlt_mean_per_level
        Mean patients and DLTs per level.
    n_mean, dlt_mean
        Mean sample size and mean number of DLTs per trial.
    stop_pct
        Percentage of trials that stop without selecting an MTD.
    exact
        ``True`` for exact enumeration.
    """

    design: str
    target: float | None
    truth: tuple[float, ...]
    levels: tuple[float, ...]
    cohort_size: int
    max_n: int
    start_index: int
    n_trials: int
    seed: int | None
    selection_pct: tuple[float, ...]
    n_treated_mean: tuple[float, ...]
    dlt_mean_per_level: tuple[float, ...]
    n_mean: float
    dlt_mean: float
    stop_pct: float
    exact: bool = False

    @classmethod
    def from_totals(
        cls,
        design: DoseFindingDesign | str,
        truth: NDArray[np.float64],
        levels: tuple[float, ...],
        *,
        cohort_size: int,
        max_n: int,
        start_index: int,
        n_trials: int,
        seed: int | None,
        selected: NDArray[Any],
        treated: NDArray[Any],
        dlts: NDArray[Any],
        stopped: float,
        per: float,
    ) -> OperatingCharacteristics:
        """From totals over trials (``per`` = number of trials) or probabilities (``per`` = 1).

        ``selected``, ``treated`` and ``dlts`` are per level: MTD selections, patients treated
        and DLTs; ``stopped`` counts trials without an MTD.
        """
        return cls(
            design=design if isinstance(design, str) else design.name,
            target=None if isinstance(design, str) else getattr(design, "target", None),
            truth=tuple(float(v) for v in truth),
            levels=levels,
            cohort_size=cohort_size,
            max_n=max_n,
            start_index=start_index,
            n_trials=n_trials,
            seed=seed,
            selection_pct=tuple(float(v) for v in 100.0 * selected / per),
            n_treated_mean=tuple(float(v) for v in treated / per),
            dlt_mean_per_level=tuple(float(v) for v in dlts / per),
            n_mean=float(treated.sum() / per),
            dlt_mean=float(dlts.sum() / per),
            stop_pct=float(100.0 * stopped / per),
        )


def simulate(
    design: DoseFindingDesign,
    truth: Sequence[float],
    *,
    cohort_size: int = 3,
    max_n: int,
    start_level: int = 0,
    n_trials: int = 10_000,
    seed: int | None = None,
    levels: Sequence[float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_trials: int = 65_536,
) -> OperatingCharacteristics:
    """Simulate trials of ``design`` and summarise their operating characteristics.

    Parameters
    ----------
    design
        A :class:`Boin`, :class:`Crm`, :class:`Mtpi2`, :class:`I3plus3` or
        :class:`ThreePlusThree`.
    truth
        True DLT probability per level, in [0, 1].
    cohort_size
        Patients per cohort (3 for the 3+3).
    max_n
        Maximum sample size; the last cohort is cut to fit (BOIN ``get.oc``).
    start_level
        0-based start level (the top level for a de-escalation design).
    n_trials
        Number of simulated trials, 1 to :data:`MAX_TRIALS`.
    seed
        Seed, 0..2**32 - 1 (:data:`MAX_SEED`); ``None`` draws fresh entropy and records
        it, so the run can still be repeated.
    levels
        Dose level values for the report (default 1..L).
    progress
        Called as ``progress(cohorts_done, cohorts_max)`` (over all chunks).
    chunk_trials
        Trials held in memory at once (rounded up to a block of 1,024); the results do
        not depend on it.

    Examples
    --------
    >>> from theratrial.design import Boin
    >>> oc = simulate(Boin(0.3), [0.05, 0.15, 0.3, 0.45, 0.6], max_n=30, n_trials=2000, seed=1)
    >>> len(oc.selection_pct), round(sum(oc.selection_pct) + oc.stop_pct, 6)
    (5, 100.0)
    >>> oc == simulate(Boin(0.3), [0.05, 0.15, 0.3, 0.45, 0.6], max_n=30, n_trials=2000, seed=1,
    ...                chunk_trials=1024)
    True
    """
    p, lv = check_scenario(design, truth, cohort_size, max_n, start_level, levels)
    n_trials = check_count(n_trials, field="n_trials", minimum=1)
    if n_trials > MAX_TRIALS:
        raise ParameterError(
            f"{n_trials} trials is more than the {MAX_TRIALS:,} one simulation runs",
            field="n_trials",
            hint=f"use at most {MAX_TRIALS:,}: the Monte-Carlo error is then below 0.02 "
            "percentage points",
        )
    chunk_trials = check_count(chunk_trials, field="chunk_trials", minimum=1)
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)
        seed = entropy % (MAX_SEED + 1)
    seed = check_seed(seed)
    engine = engine_for(design)
    per_chunk = -(-chunk_trials // BLOCK_TRIALS) * BLOCK_TRIALS
    n_chunks = -(-n_trials // per_chunk)
    n_cohorts = -(-max_n // cohort_size)
    counts = np.zeros(p.size, dtype=np.int64)
    n_sum = np.zeros(p.size, dtype=np.int64)
    y_sum = np.zeros(p.size, dtype=np.int64)
    stopped = 0
    for c in range(n_chunks):
        size = min(per_chunk, n_trials - c * per_chunk)
        tick = None
        if progress is not None:
            done_before = c * n_cohorts

            def tick(step: int, _total: int, _base: int = done_before) -> None:
                progress(_base + step, n_chunks * n_cohorts)

        raw = engine(
            design,
            p,
            cohort_size=cohort_size,
            max_n=max_n,
            start=start_level,
            n_trials=size,
            rng=BlockRandom(seed, c * (per_chunk // BLOCK_TRIALS), size),
            progress=tick,
        )
        counts += np.bincount(raw.mtd[raw.mtd >= 0], minlength=p.size)
        n_sum += raw.n.sum(axis=0)
        y_sum += raw.dlt.sum(axis=0)
        stopped += int(np.count_nonzero(raw.mtd < 0))
    return OperatingCharacteristics.from_totals(
        design,
        p,
        lv,
        cohort_size=cohort_size,
        max_n=max_n,
        start_index=start_level,
        n_trials=n_trials,
        seed=seed,
        selected=counts,
        treated=n_sum,
        dlts=y_sum,
        stopped=stopped,
        per=n_trials,
    )


def _decide(
    design: DoseFindingDesign,
    data: DoseData,
    current: int,
    max_n: int,
    last: tuple[int, int] | None,
) -> Decision:
    level = data.levels[current]
    if isinstance(design, Crm):
        return design.decide(data, current=level, max_n=max_n, last_cohort=last)
    return design.decide(data, current=level, max_n=max_n)


def exact_operating_characteristics(
    design: DoseFindingDesign,
    truth: Sequence[float],
    *,
    cohort_size: int = 3,
    max_n: int,
    start_level: int = 0,
    levels: Sequence[float] | None = None,
    max_states: int = 200_000,
) -> OperatingCharacteristics:
    """Exact operating characteristics by enumerating every cohort outcome.

    Feasible for small scenarios (few levels, small ``max_n``); raises
    :class:`~theratrial.errors.ParameterError` beyond ``max_states`` distinct trial states.

    Examples
    --------
    Two levels, the second certainly toxic: a 3+3 selects level 1 exactly when it escalates
    past it, with probability ``(1-p)^3 [1 + 3p(1-p)^2]`` (0.4943 for p = 0.3):

    >>> from theratrial.design import ThreePlusThree
    >>> oc = exact_operating_characteristics(ThreePlusThree(), [0.3, 1.0], max_n=12)
    >>> round(oc.selection_pct[0] / 100, 4)
    0.4943
    """
    p, lv = check_scenario(design, truth, cohort_size, max_n, start_level, levels)
    n_levels = p.size
    select = np.zeros(n_levels)
    n_mean = np.zeros(n_levels)
    y_mean = np.zeros(n_levels)
    stop = 0.0
    State = tuple[tuple[int, ...], tuple[int, ...], int, tuple[int, int] | None]
    start_data = DoseData.empty(lv)
    frontier: dict[State, float] = {(start_data.n, start_data.dlt, start_level, None): 1.0}
    seen = 0
    while frontier:
        nxt: dict[State, float] = {}
        for (n, y, d, last), prob in frontier.items():
            seen += 1
            if seen > max_states:
                raise ParameterError(
                    f"more than {max_states} trial states to enumerate",
                    field="max_n",
                    hint="use simulate() for a scenario this large",
                )
            data = DoseData(lv, n=n, dlt=y)
            if sum(n) > 0:
                decision = _decide(design, data, d, max_n, last)
                if decision.action in (Action.STOP, Action.SELECT_MTD):
                    if decision.mtd_index is None:
                        stop += prob
                    else:
                        select[decision.mtd_index] += prob
                    n_mean += prob * np.asarray(n)
                    y_mean += prob * np.asarray(y)
                    continue
                assert decision.next_index is not None
                d = decision.next_index
            size = min(cohort_size, max_n - sum(n))
            for k, pk in enumerate(binomial_pmf(size, p[d])):
                if pk == 0.0:
                    continue
                new = data.with_cohort(d, size, k)
                key: State = (new.n, new.dlt, d, (size, k))
                nxt[key] = nxt.get(key, 0.0) + prob * float(pk)
        frontier = nxt
    return OperatingCharacteristics.from_totals(
        design,
        p,
        lv,
        cohort_size=cohort_size,
        max_n=max_n,
        start_index=start_level,
        n_trials=0,
        seed=None,
        selected=select,
        treated=n_mean,
        dlts=y_mean,
        stopped=stop,
        per=1.0,
    )
