"""Benchmark: kernel dose of a 256^3 Ã map with an 11^3 voxel S-value kernel.

Compares, in one run, theratrial's :func:`~theratrial.dosimetry.voxel.kernel_dose_gy`
(single precision on all cores and on 2 workers; ``precision="double"``) with a plain
float32 ``scipy.fft.rfftn`` / ``irfftn`` convolution on 2 FFT workers (zero-padded to
``next_fast_len(n + k - 1)``, kernel spectrum by a full-size ``rfftn``, 'same' crop).

Each variant runs in its own subprocess, so that its peak memory is its own: the peak
resident set size (``VmHWM`` of ``/proc/self/status``, which sees the FFT's buffers that
tracemalloc misses) is reset after the map and kernel are built, and the script prints the
peak above that starting point as well as the process total. The time is the best of
``--repeats`` runs. The last line prints the largest relative difference between the
single- and double-precision doses over voxels above 1e-3 of the maximum.

Run: ``.venv/bin/python benchmarks/bench_kernel.py [--size 256] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.fft

from theratrial.dosimetry.voxel import kernel_dose_gy
from theratrial.dosimetry.voxel_kernel import VoxelKernel, voxel_kernel

VOXEL_MM = (4.8, 4.8, 4.8)
VARIANTS = ("theratrial", "theratrial-2w", "theratrial-double", "rfftn-float32-2w")


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def _inputs(size: int) -> tuple[np.ndarray, VoxelKernel]:
    rng = np.random.default_rng(0)
    tia = rng.gamma(2.0, 0.5, size=(size, size, size))  # MBq h per voxel, float64
    return tia, voxel_kernel("Lu-177", voxel_size_mm=VOXEL_MM)


def _plain_rfftn(tia: np.ndarray, s_values: np.ndarray, workers: int) -> np.ndarray:
    """The reference: float32 rfftn convolution, 'same' size, dose in Gy."""
    pairs = zip(tia.shape, s_values.shape, strict=True)
    shape = [scipy.fft.next_fast_len(n + k - 1, real=True) for n, k in pairs]
    image = tia.astype(np.float32)
    spectrum = scipy.fft.rfftn(image, shape, workers=workers)
    spectrum *= scipy.fft.rfftn(s_values.astype(np.float32), shape, workers=workers)
    full = scipy.fft.irfftn(spectrum, shape, workers=workers)
    start = [(k - 1) // 2 for k in s_values.shape]
    same = full[tuple(slice(a, a + n) for a, n in zip(start, tia.shape, strict=True))]
    return np.asarray(same / np.float32(1000.0))


def _child(variant: str, size: int, repeats: int) -> None:
    tia, kernel = _inputs(size)
    actions: dict[str, Callable[[], np.ndarray]] = {
        "theratrial": lambda: kernel_dose_gy(tia, kernel),
        "theratrial-2w": lambda: kernel_dose_gy(tia, kernel, workers=2),
        "theratrial-double": lambda: kernel_dose_gy(tia, kernel, precision="double"),
        "rfftn-float32-2w": lambda: _plain_rfftn(tia, kernel.s_values_mgy_per_mbq_h, 2),
    }
    action = actions[variant]
    start_rss = _status_mib("VmRSS")
    reset = _reset_peak()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - t0)
        del result
    peak = _status_mib("VmHWM")
    print(json.dumps({"variant": variant, "seconds": min(times), "peak_mib": peak,
                      "above_start_mib": peak - start_rss if reset else float("nan")}))  # fmt: skip


def _accuracy(size: int) -> None:
    tia, kernel = _inputs(size)
    single = kernel_dose_gy(tia, kernel)
    double = kernel_dose_gy(tia, kernel, precision="double")
    above = double > 1e-3 * double.max()
    error = float(np.max(np.abs(single[above] - double[above]) / double[above]))
    print(json.dumps({"max_relative_difference": error}))


def _run(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="voxels per side")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per variant")
    parser.add_argument("--child", choices=(*VARIANTS, "accuracy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "accuracy":
        _accuracy(args.size)
        return
    if args.child:
        _child(args.child, args.size, args.repeats)
        return
    print(f"kernel dose: Ã map {args.size}^3 float64, 11^3 Lu-177 kernel ({VOXEL_MM[0]} mm "
          f"voxels), {os.cpu_count()} CPUs, best of {args.repeats}")  # fmt: skip
    rows = {}
    for variant in VARIANTS:
        try:
            rows[variant] = _run(["--child", variant, "--size", str(args.size),
                                  "--repeats", str(args.repeats)])  # fmt: skip
        except subprocess.CalledProcessError as err:
            print(f"{variant:<20s} failed: {err.stderr.strip().splitlines()[-1]}")
            continue
        r = rows[variant]
        print(f"{variant:<20s} {r['seconds']:7.3f} s   peak RSS {r['peak_mib']:7.0f} MiB   "
              f"above start {r['above_start_mib']:7.0f} MiB")  # fmt: skip
    ref = rows.get("rfftn-float32-2w")
    if ref and "theratrial" in rows:
        ours = rows["theratrial"]
        print(f"ratio theratrial / rfftn-float32-2w: time {ours['seconds'] / ref['seconds']:.2f}x, "
              f"peak RSS {ours['peak_mib'] / ref['peak_mib']:.2f}x, "
              f"above start {ours['above_start_mib'] / ref['above_start_mib']:.2f}x")  # fmt: skip
    try:
        acc = _run(["--child", "accuracy", "--size", str(args.size)])
        print(f"single vs double precision: max relative difference "
              f"{acc['max_relative_difference']:.2e} (voxels above 1e-3 of max)")  # fmt: skip
    except subprocess.CalledProcessError as err:
        print(f"accuracy check failed: {err.stderr.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
