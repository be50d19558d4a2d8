"""Benchmark: time-activity curve fitting of a treatment cycle (CPU).

Fits every model and selects one (:func:`theratrial.dosimetry.tia.time_integrated_activity`,
``method="auto"``, the path the image-based pipeline takes for each region) for a realistic
cycle: regions drawn from the phantom kinetics (:data:`theratrial.phantoms.DEFAULT_UPTAKE`,
uptake, fast and slow washout, 177Lu decay), imaged at 4, 24, 96 and 168 h with 5 %
multiplicative Gaussian noise. Prints the wall time per cycle, the number of
:func:`scipy.optimize.least_squares` calls and the models chosen; then the Ã accuracy on
exact analytic curves of every model family at the schedules of the three seed trials.

Run: ``.venv/bin/python benchmarks/bench_fit.py [--regions 12 30] [--repeat 5]``.
Numbers are printed, never asserted (compare runs of two versions by hand).
"""

from __future__ import annotations

import argparse
import importlib
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.dosimetry.tia import time_integrated_activity
from theratrial.nuclides import nuclide
from theratrial.phantoms import DEFAULT_UPTAKE
from theratrial.phantoms.uptake import draw_kinetics

LAM_P = nuclide("Lu-177").decay_constant_per_h
SPECT_H = np.array([4.0, 24.0, 96.0, 168.0])
SCHEDULES = {
    "1-4-24-72-168 h": np.array([1.0, 4.0, 24.0, 72.0, 168.0]),
    "4-24-96-168 h": np.array([4.0, 24.0, 96.0, 168.0]),
    "24-96-168 h": np.array([24.0, 96.0, 168.0]),
}
# analytic curves (amplitude MBq, effective decay constant 1/h), physical decay included
ANALYTIC = {
    "mono_exponential": [(100.0, LAM_P + math.log(2) / 80.0)],
    "uptake_washout": [(50.0, LAM_P + math.log(2) / 60.0), (-50.0, 0.08)],
    "bi_exponential": [(40.0, 0.05), (80.0, LAM_P + math.log(2) / 100.0)],
    "tri_exponential": [(30.0, 0.06), (70.0, LAM_P + 0.004), (-100.0, 0.15)],
}
_MODULES = (
    "theratrial.dosimetry.fit",
    "theratrial.dosimetry._fit_core",
    "theratrial.dosimetry._fit_many",
    "theratrial.dosimetry._models",
)


def _count_least_squares() -> Counter[str]:
    """Wrap ``least_squares`` wherever the fitting modules imported it; count the calls."""
    calls: Counter[str] = Counter()
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = getattr(module, "least_squares", None)
        if original is None:
            continue

        def counted(*args: Any, _f: Callable[..., Any] = original, **kwargs: Any) -> Any:
            calls["least_squares"] += 1
            return _f(*args, **kwargs)

        module.least_squares = counted  # type: ignore[attr-defined]
    return calls


def _cycle(n_regions: int, seed: int) -> list[tuple[TimeActivityCurve, float]]:
    """Noisy curves of one cycle with their true Ã (MBq h)."""
    rng = np.random.default_rng(seed)
    kinds = ["kidney", "kidney", "liver", "spleen", "bone_marrow", "body"]
    lesions = ["lesion_liver", "lesion_node", "lesion_bone", "lesion_primary"]
    tacs = []
    for i in range(n_regions):
        kind = kinds[i] if i < len(kinds) else lesions[i % len(lesions)]
        kin = draw_kinetics(DEFAULT_UPTAKE[kind], rng)
        terms = kin.exponentials(LAM_P)
        a = sum(c * np.exp(-r * SPECT_H) for c, r in terms)
        a = 100.0 * np.asarray(a) * (1.0 + 0.05 * rng.standard_normal(SPECT_H.size))
        tac = time_activity_curve(SPECT_H, np.clip(a, 1e-6, None), region=f"{kind}_{i}")
        tacs.append((tac, 100.0 * sum(c / r for c, r in terms)))
    return tacs


def _time_cycle(n_regions: int, repeat: int, calls: Counter[str]) -> None:
    seconds, chosen, errors = [], Counter[str](), []
    calls.clear()
    for r in range(repeat):
        cycle = _cycle(n_regions, seed=r)
        start = time.process_time()
        results = [time_integrated_activity(tac) for tac, _ in cycle]
        seconds.append(time.process_time() - start)
        chosen.update(res.method for res in results)
        errors += [res.tia_mbq_h / true - 1 for res, (_, true) in zip(results, cycle, strict=True)]
    per_cycle = calls["least_squares"] / repeat
    print(
        f"cycle of {n_regions:3d} regions x 4 time points: {1e3 * np.median(seconds):8.1f} ms "
        f"(median of {repeat}, min {1e3 * min(seconds):.1f}), "
        f"{per_cycle:6.1f} least-squares calls per cycle"
    )
    print("    models chosen: " + ", ".join(f"{m} {c}" for m, c in sorted(chosen.items())))
    err = 100 * np.asarray(errors)
    print(
        f"    Ã vs truth: mean {err.mean():+.2f} %, SD {err.std():.2f} %, "
        f"median {np.median(err):+.2f} %, worst {err[np.argmax(abs(err))]:+.1f} %"
    )


def _accuracy() -> None:
    print("Ã accuracy on exact analytic curves (method=auto; true Ã = sum a / lambda):")
    for family, terms in ANALYTIC.items():
        true = sum(a / lam for a, lam in terms)
        cells = []
        for label, t in SCHEDULES.items():
            a = sum(c * np.exp(-lam * t) for c, lam in terms)
            res = time_integrated_activity(time_activity_curve(t, np.asarray(a)))
            cells.append(f"{label}: {100 * (res.tia_mbq_h / true - 1):+7.3f} % ({res.method})")
        print(f"  {family:<17s} " + "; ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regions", type=int, nargs="+", default=[12, 30])
    parser.add_argument("--repeat", type=int, default=5, help="cycles per size")
    args = parser.parse_args()
    calls = _count_least_squares()
    time_integrated_activity(_cycle(1, seed=99)[0][0])  # warm-up (imports, caches)
    for n in args.regions:
        _time_cycle(n, args.repeat, calls)
    _accuracy()


if __name__ == "__main__":
    main()
