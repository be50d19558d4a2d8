"""Benchmark of the virtual-patient generator: truth only, lesion tables, written patients.

Run: ``.venv/bin/python benchmarks/bench_phantoms.py [--skip-256]``. Prints seconds, items
per second and peak resident memory; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from theratrial.phantoms import (
    PhantomConfig,
    generate_cohort,
    generate_patient,
    lesion_table,
    write_patient,
)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _bench_truth(n: int) -> None:
    start = time.perf_counter()
    for seed in range(n):
        generate_patient(seed)
    elapsed = time.perf_counter() - start
    print(f"truth only (no images): {n} patients in {elapsed:.2f} s = {n / elapsed:.1f} patients/s")


def _bench_table(n: int) -> None:
    start = time.perf_counter()
    rows = lesion_table(generate_cohort(n, seed=1))
    elapsed = time.perf_counter() - start
    print(
        f"lesion table: {n} patients, {len(rows)} lesions in {elapsed:.2f} s "
        f"= {len(rows) / elapsed:.0f} lesions/s"
    )


def _bench_patient(shape: tuple[int, int, int], root: Path, *, cycles: int) -> None:
    cfg = PhantomConfig().with_grid(shape).with_therapy(cycles=cycles)
    out = root / f"p{shape[0]}_{cycles}"
    start = time.perf_counter()
    files = write_patient(out, 7, config=cfg)
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    n_spect = sum(1 for s in files.truth["series"] if s["kind"] == "spect")
    print(
        f"write_patient {shape[0]}x{shape[1]}x{shape[2]}, CT + PET + retest PET + "
        f"{n_spect} SPECT + SEG + {len(files.masks)} NIfTI: {elapsed:.2f} s, "
        f"{size:.0f} MiB on disk, peak RSS {_peak_mib():.0f} MiB"
    )
    shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-256", action="store_true", help="leave out the 256^3 run")
    args = parser.parse_args()
    _bench_truth(200)
    _bench_table(1000)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _bench_patient((128, 128, 128), root, cycles=1)
        _bench_patient((128, 128, 128), root, cycles=4)
        if not args.skip_256:
            _bench_patient((256, 256, 256), root, cycles=1)


if __name__ == "__main__":
    main()
