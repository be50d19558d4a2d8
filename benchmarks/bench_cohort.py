"""Benchmark: a virtual cohort end to end, phantom -> 68Ga PET quantification -> dosimetry.

For each of ``--n`` virtual patients (default 100; seeds ``--seed``, ``--seed + 1``, ...)
runs what the CLI runs, through the same public functions:

1. ``theratrial phantom DIR --seed S --nuclide Lu-177 --cycles 4``:
   :func:`theratrial.phantoms.write_patient` (128^3, 4 cycles x 4 SPECT, CT, PET, masks);
2. ``theratrial quantify DIR/dicom/pet_ga68 --masks DIR/masks``:
   :func:`theratrial.imaging.study.pick_quantitative_series` and
   :func:`theratrial.imaging.quantify_study` (SUV per organ and lesion, ratios, Krenning);
3. ``theratrial dosimetry DIR --nuclide Lu-177``:
   :func:`theratrial.dosimetry.pipeline.patient_dosimetry` (all 4 cycles).

Patients run in a pool of ``--workers`` processes (default: every CPU; each patient's
dosimetry then uses one process, ``workers=1``, since the cores are already busy with
other patients). Each patient folder is deleted once done unless ``--keep``. Prints the
stage times of each patient, the mean per stage, the total wall time and, when fewer than
100 patients were run, the wall time extrapolated to 100 (total x 100 / n).

Run: ``.venv/bin/python benchmarks/bench_cohort.py --n 4 [--workers 2] [--seed 1000]``.
Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from theratrial.dosimetry.pipeline import patient_dosimetry
from theratrial.imaging import quantify_study
from theratrial.imaging.study import pick_quantitative_series
from theratrial.phantoms import PhantomConfig, write_patient

STAGES = ("phantom", "quantify", "dosimetry")


@dataclass(frozen=True, slots=True)
class PatientRun:
    """Stage wall times (s) of one patient and what came out."""

    seed: int
    seconds: tuple[float, float, float]
    cpu_seconds: tuple[float, float, float]
    quantified_regions: int
    dose_regions: int


def run_patient(root: Path, seed: int, keep: bool) -> PatientRun:
    """Phantom, PET quantification and dosimetry of one virtual patient."""
    folder = root / f"VP-{seed}"
    times, cpu = [], [time.process_time()]
    start = time.perf_counter()
    config = PhantomConfig().with_grid((128, 128, 128))
    write_patient(folder, seed, config=config.with_therapy(nuclide="Lu-177", cycles=4))
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time())
    start = time.perf_counter()
    study = quantify_study(pick_quantitative_series(folder / "dicom" / "pet_ga68"),
                           folder / "masks")  # fmt: skip
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time())
    start = time.perf_counter()
    result = patient_dosimetry(folder, nuclide="Lu-177", workers=1)
    times.append(time.perf_counter() - start)
    cpu.append(time.process_time())
    if not keep:
        shutil.rmtree(folder)
    used = [b - a for a, b in itertools.pairwise(cpu)]
    return PatientRun(seed, (times[0], times[1], times[2]), (used[0], used[1], used[2]),
                      len(study.table.rows),
                      len(result.cycles[-1].regions))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100, help="patients (default 100)")
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first patient")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--dir", type=Path, help="folder for the patients (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the patient folders")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench_cohort_"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"{args.n} patients in {args.workers} processes under {root} (load average "
          f"{os.getloadavg()[0]:.1f})")  # fmt: skip
    runs: list[PatientRun] = []
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run_patient, root, args.seed + i, args.keep) for i in range(args.n)]
        for future in as_completed(futures):
            run = future.result()
            runs.append(run)
            stages = "  ".join(
                f"{s} {t:5.1f} s (CPU {c:5.1f})"
                for s, t, c in zip(STAGES, run.seconds, run.cpu_seconds, strict=True)
            )
            print(f"  VP-{run.seed}: {stages}  ({run.quantified_regions} quantified, "
                  f"{run.dose_regions} dose regions per cycle)")  # fmt: skip
    total = time.perf_counter() - start
    for i, stage in enumerate(STAGES):
        mean = sum(r.seconds[i] for r in runs) / len(runs)
        mean_cpu = sum(r.cpu_seconds[i] for r in runs) / len(runs)
        print(f"mean {stage:<10s} {mean:6.1f} s per patient (CPU {mean_cpu:6.1f} s)")
    per_patient = sum(sum(r.seconds) for r in runs) / len(runs)
    print(f"mean all stages {per_patient:6.1f} s per patient (one process)")
    print(f"total wall {total:7.1f} s for {args.n} patients ({total / args.n:.1f} s each)")
    cpu_total = sum(sum(r.cpu_seconds) for r in runs)
    estimate_min = cpu_total * 100 / args.n / args.workers / 60
    print(f"CPU-bound estimate for 100 patients on {args.workers} cores: {estimate_min:.1f} min "
          "(no other load, no I/O wait)")  # fmt: skip
    if args.n < 100:
        print(f"extrapolated to 100 patients: {total * 100 / args.n / 60:.1f} min "
              f"(goal 15 min)")  # fmt: skip
    if not args.keep and args.dir is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
