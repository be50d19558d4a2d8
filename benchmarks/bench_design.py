"""Benchmark: simulated dose-finding trials per second (BOIN and CRM, 5 levels, N 60, cohort 3).

Run: ``.venv/bin/python benchmarks/bench_design.py``. Prints wall time, trials per second and
the peak memory traced by :mod:`tracemalloc` (a separate, traced run).
"""

from __future__ import annotations

import time
import tracemalloc

from theratrial.design import Boin, Crm, I3plus3, Mtpi2, ThreePlusThree, simulate

TRUTH = [0.05, 0.15, 0.30, 0.45, 0.60]
SKELETON = (0.05, 0.15, 0.30, 0.45, 0.60)


def _run(label: str, design: object, n_trials: int, repeats: int = 3) -> None:
    def once() -> None:
        simulate(design, TRUTH, cohort_size=3, max_n=60, n_trials=n_trials, seed=1)  # type: ignore[arg-type]

    once()  # warm-up (imports, caches)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        once()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    once()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:<34} {n_trials:>7} trials  {best:8.3f} s  {n_trials / best:>10,.0f} trials/s"
        f"  peak {peak / 2**20:7.1f} MiB"
    )


def main() -> None:
    print("5 levels, max N 60, cohort size 3, truth", TRUTH)
    _run("BOIN (target 0.3)", Boin(0.3), 20_000)
    _run("CRM (target 0.3, 401-point grid)", Crm(0.3, skeleton=SKELETON), 5_000)
    _run("mTPI-2 (target 0.3)", Mtpi2(0.3), 20_000)
    _run("i3+3 (target 0.3)", I3plus3(0.3), 20_000)
    _run("3+3", ThreePlusThree(), 20_000)


if __name__ == "__main__":
    main()
