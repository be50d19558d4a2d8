"""Benchmark: voxel dosimetry on a 256^3 time-integrated activity map (CPU).

Times the kernel generation for the voxel size, local energy deposition, and the
dose-voxel-kernel convolution through each CPU backend (FFT and overlap-add), with the
peak memory traced by tracemalloc (NumPy buffers are traced) and the process peak RSS.
Run: ``.venv/bin/python benchmarks/bench_dosimetry.py [--size 256] [--workers 2]``.
No GPU backend is bundled; the numbers are for the CPU path.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy.fft

from theratrial.dosimetry.voxel import BACKENDS, kernel_dose_gy, local_deposition_dose_gy
from theratrial.dosimetry.voxel_kernel import voxel_kernel


def _measure(label: str, action: Callable[[], object]) -> None:
    tracemalloc.start()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<44s} {seconds:8.2f} s   peak traced {peak / 2**20:8.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="voxels per side")
    parser.add_argument("--voxel-mm", type=float, default=4.8, help="voxel side (mm)")
    parser.add_argument("--workers", type=int, default=2, help="FFT worker threads")
    args = parser.parse_args()
    n, side = args.size, (args.voxel_mm,) * 3
    rng = np.random.default_rng(0)
    tia = rng.gamma(2.0, 0.5, size=(n, n, n))  # MBq h per voxel
    print(f"Ã map {n}^3 float64 ({tia.nbytes / 2**20:.0f} MiB), voxels {args.voxel_mm} mm, "
          f"{args.workers} FFT workers")  # fmt: skip
    kernels = {}

    def make(radius: float | None, key: str) -> None:
        kernels[key] = voxel_kernel("Lu-177", voxel_size_mm=side, radius_mm=radius)

    _measure("kernel generation 11^3 (5 voxels)", lambda: make(None, "11"))
    _measure("kernel generation 41^3 (photons to 96 mm)", lambda: make(20 * args.voxel_mm, "41"))
    _measure("local energy deposition", lambda: local_deposition_dose_gy(tia, voxel_size_mm=side))
    with scipy.fft.set_workers(args.workers):
        for key in ("11", "41"):
            for backend in BACKENDS:
                _measure(
                    f"convolution {key}^3 kernel, {backend}",
                    lambda b=backend, k=key: kernel_dose_gy(tia, kernels[k], backend=b),
                )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB; GPU backend: none bundled (CPU path)")


if __name__ == "__main__":
    main()
