"""Operating characteristics on Dask: a simulation's blocks split over the workers.

:func:`simulate_distributed` cuts the trials into parts of whole 1,024-trial blocks
(:mod:`theratrial.design._parallel`), runs each part as a task on the executor's cluster
(an existing scheduler, or the in-process LocalCluster) and adds the integer totals: the
same seed gives the same answer as :func:`theratrial.design.simulate`, however many
workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from theratrial.design._parallel import combine, simulate_blocks, split_blocks
from theratrial.design.decision import DoseFindingDesign
from theratrial.design.simulation import OperatingCharacteristics
from theratrial.jobs import executor

__all__ = ["simulate_distributed"]


def simulate_distributed(
    design: DoseFindingDesign,
    truth: Sequence[float],
    *,
    cohort_size: int = 3,
    max_n: int,
    start_level: int = 0,
    n_trials: int,
    seed: int,
    levels: Sequence[float] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> OperatingCharacteristics:
    """Simulate on Dask; ``workers`` parts (default: the cluster's thread count)."""
    client: Any = executor.get_client(scheduler)
    parts = workers if workers is not None else max(1, sum(client.nthreads().values()))
    futures = [
        client.submit(
            simulate_blocks,
            design,
            list(truth),
            cohort_size=cohort_size,
            max_n=max_n,
            start_level=start_level,
            seed=seed,
            first_block=first,
            n_trials=size,
            pure=False,
        )
        for first, size in split_blocks(n_trials, parts)
    ]
    totals = client.gather(futures)
    return combine(
        design, truth, totals, cohort_size=cohort_size, max_n=max_n,
        start_level=start_level, seed=seed, levels=levels,
    )  # fmt: skip
