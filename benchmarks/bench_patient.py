"""Benchmark: image-based dosimetry of one virtual patient, one core against all (CPU).

Writes the patient of ``theratrial phantom DIR --seed 7 --nuclide Lu-177 --cycles 4``
(128^3 grid, 4 cycles x 4 SPECT time points, CT, 68Ga PET, 25 masks) unless ``--dir``
names one already written, then times
:func:`theratrial.dosimetry.pipeline.patient_dosimetry` with ``workers=1`` (everything in
this process) and ``workers=N`` (default 2), alternating, ``--repeat`` times each after one
warm-up run. Prints per run the wall time and the CPU time of this process and of its
worker processes, then the best and median wall times, their ratio (the goal is
``workers=2`` within 0.6 x the one-core wall time on a two-core machine) and whether the
two results are identical. ``--profile`` prints the top of a cProfile of a ``workers=1``
run (where the time goes). ``--ceiling`` times the part that parallelises perfectly (the
regions' fit chains of this patient, independent tasks) in this process, in a pool of one
worker and in a pool of ``--workers``: the best ratio the machine gives CPU-bound work,
against which the whole pipeline's ratio is read.

Run: ``.venv/bin/python benchmarks/bench_patient.py [--dir DIR] [--repeat 3] [--workers 2]``.
Numbers are printed, never asserted. On a machine shared with other work, compare the
best times (the median shows the spread).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import math
import os
import pstats
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from theratrial.dosimetry.pipeline import PatientDosimetry, patient_dosimetry
from theratrial.phantoms import PhantomConfig, write_patient


def write_virtual_patient(folder: Path, seed: int, *, cycles: int = 4) -> None:
    """The patient ``theratrial phantom FOLDER --seed SEED --cycles CYCLES`` writes."""
    config = PhantomConfig().with_grid((128, 128, 128))
    write_patient(folder, seed, config=config.with_therapy(nuclide="Lu-177", cycles=cycles))


def same(a: Any, b: Any) -> bool:
    """Equal field by field, arrays element by element, NaN equal to NaN."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _cpu_s() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def timed(folder: Path, workers: int) -> tuple[float, float, float, PatientDosimetry]:
    """Wall time, CPU time here and CPU time of the (finished) worker processes."""
    own0, kids0 = _cpu_s()
    start = time.perf_counter()
    result = patient_dosimetry(folder, nuclide="Lu-177", workers=workers)
    wall = time.perf_counter() - start
    own1, kids1 = _cpu_s()
    return wall, own1 - own0, kids1 - kids0, result


def fit_chain_ceiling(folder: Path, workers: int, repeat: int) -> None:
    """The regions' fit chains of one patient: here, on 1 worker, on ``workers`` workers."""
    from concurrent.futures import ProcessPoolExecutor

    import theratrial.dosimetry.pipeline as pipeline
    from theratrial.dosimetry._pvc import fit_chain

    captured: list[Any] = []
    original = pipeline.region_chains

    def capture(*args: Any, **kwargs: Any) -> Any:
        captured.append(original(*args, **kwargs))
        return captured[-1]

    pipeline.region_chains = capture  # type: ignore[assignment]
    try:
        patient_dosimetry(folder, nuclide="Lu-177", workers=1)
    finally:
        pipeline.region_chains = original
    jobs = list(captured[-1])
    times: dict[str, list[float]] = {"here": [], "1 worker": [], f"{workers} workers": []}
    for _ in range(repeat):
        start = time.perf_counter()
        list(map(fit_chain, jobs))
        times["here"].append(time.perf_counter() - start)
        for label, n in (("1 worker", 1), (f"{workers} workers", workers)):
            with ProcessPoolExecutor(n) as pool:
                list(pool.map(fit_chain, jobs[:n]))  # processes started, imports done
                start = time.perf_counter()
                list(pool.map(fit_chain, jobs))
                times[label].append(time.perf_counter() - start)
    here = statistics.median(times["here"])
    print(f"fit chains of this patient ({len(jobs)} regions, median of {repeat}):")
    for label, values in times.items():
        print(f"  {label:>10}: {statistics.median(values):6.3f} s   "
              f"ratio to here {statistics.median(values) / here:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="patient folder already written")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile a workers=1 run")
    parser.add_argument(
        "--ceiling", action="store_true", help="time the fit chains alone (perfectly parallel)"
    )
    args = parser.parse_args()
    folder = args.dir
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="bench_patient_")) / "patient"
        start = time.perf_counter()
        write_virtual_patient(folder, args.seed)
        print(f"phantom written to {folder} in {time.perf_counter() - start:.1f} s")
    print(f"CPUs this process may use: {len(os.sched_getaffinity(0))}, load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(patient_dosimetry, folder, workers=1)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    if args.ceiling:
        fit_chain_ceiling(folder, args.workers, args.repeat)
    reference = timed(folder, 1)[3]  # warm-up: imports, caches, kernel tables
    walls: dict[int, list[float]] = {1: [], args.workers: []}
    identical = True
    for _ in range(args.repeat):
        for workers in walls:
            wall, own, kids, result = timed(folder, workers)
            walls[workers].append(wall)
            identical = identical and same(result, reference)
            print(f"workers={workers}: wall {wall:6.2f} s   CPU here {own:6.2f} s   "
                  f"CPU in workers {kids:6.2f} s")  # fmt: skip
    one, many = walls[1], walls[args.workers]
    for label, pick in (("best", min), ("median", statistics.median)):
        ratio = pick(many) / pick(one)
        print(f"{label:>6}: workers=1 {pick(one):6.2f} s   workers={args.workers} "
              f"{pick(many):6.2f} s   ratio {ratio:.2f} (goal <= 0.6)")  # fmt: skip
    print(f"results identical to workers=1: {identical}")


if __name__ == "__main__":
    main()
