"""Timings of the response and statistics endpoints (numbers printed, nothing asserted).

Run: .venv/bin/python benchmarks/bench_stats.py
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from theratrial.response import evaluate_recist_dict
from theratrial.stats import analyse_lesions, icc, repeatability_from_table


def _timed(label: str, count: int, unit: str, func: Callable[[], Any], repeat: int = 3) -> None:
    func()  # warm-up (imports, caches)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<48} {best:8.4f} s  {count / best:12.1f} {unit}/s  peak {peak / 2**20:7.1f} MiB")


def _patients(n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        sizes = rng.uniform(12, 60, size=5)
        visits = []
        for k in range(6):
            factor = 1.0 + rng.normal(-0.05 * k, 0.1)
            lesions = [
                {
                    "id": f"L{i}",
                    "organ": f"organ{i % 3}",
                    "measurement_mm": float(max(s * factor, 0)),
                }
                for i, s in enumerate(sizes)
            ]
            visits.append(
                {
                    "date": (date(2024, 1, 1) + timedelta(weeks=8 * k)).isoformat(),
                    "lesions": lesions,
                }
            )
        out.append({"time_points": visits})
    return out


def _lesions(n_patients: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for p in range(n_patients):
        u = rng.normal(0, 8)
        for lesion in range(5):
            dose = rng.uniform(5, 80)
            suv = rng.uniform(5, 40)
            rows.append(
                {
                    "patient": f"P{p}",
                    "lesion": lesion,
                    "dose_gy": dose,
                    "suv": suv,
                    "adc": rng.normal(1.1, 0.2),
                    "change_pct": 20 - 0.8 * dose - 0.4 * suv + u + rng.normal(0, 10),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    rng = np.random.default_rng(0)
    print("theratrial response/stats benchmarks (best of 3; peak = tracemalloc)")
    records = _patients(200, rng)
    _timed(
        "RECIST 1.1, 200 patients x 6 time points x 5 lesions",
        200,
        "patients",
        lambda: [evaluate_recist_dict(r, confirm_days=28, min_sd_days=42) for r in records],
    )
    ratings = rng.normal(size=(5000, 1)) + rng.normal(scale=0.3, size=(5000, 4))
    _timed("ICC, six forms + CIs, 5000 targets x 4 scans", 5000, "targets", lambda: icc(ratings))
    long = pd.DataFrame(
        [
            (f"S{s}", region, scan, float(v))
            for s in range(1000)
            for region in ("liver", "spleen")
            for scan, v in enumerate(rng.lognormal(2, 0.1, size=2), start=1)
        ],
        columns=["subject", "region", "scan", "value"],
    ).astype(str)
    _timed(
        "repeatability table, 4000 rows (2 groups)",
        4000,
        "rows",
        lambda: repeatability_from_table(long),
    )
    lesions = _lesions(100, rng)
    _timed(
        "lesion GEE model, 500 lesions, continuous, 5-fold",
        500,
        "lesions",
        lambda: analyse_lesions(
            lesions, outcome="change_pct", predictors=["dose_gy", "suv", "adc"], n_bootstrap=0
        ),
    )
    _timed(
        "lesion GEE model, binary, 1000 cluster bootstraps",
        500,
        "lesions",
        lambda: analyse_lesions(
            lesions,
            outcome="change_pct",
            threshold=-30,
            predictors=["dose_gy", "suv", "adc"],
            n_bootstrap=1000,
        ),
        repeat=1,
    )


if __name__ == "__main__":
    main()
