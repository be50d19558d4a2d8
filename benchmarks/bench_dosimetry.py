"""Benchmark: voxel dosimetry on a 256^3 time-integrated activity map (CPU).

Times the kernel generation for the voxel size, local energy deposition, and the
dose-voxel-kernel convolution through each CPU backend (FFT and overlap-add), with the
peak memory traced by tracemalloc (NumPy buffers are traced) and the process peak RSS.
Run: ``.venv/bin/python benchmarks/bench_dosimetry.py [--size 256] [--workers 2]``.
No GPU backend is bundled; the numbers are for the CPU path.

``--phantoms N`` also runs the image-based pipeline on N virtual patients with the default
SPECT (12 mm FWHM, Poisson noise) and prints the bias of Ã and dose against their truth,
per organ, with plain masks and with a 12 mm activity margin.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

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


def _phantom_bias(count: int) -> None:
    from theratrial.dosimetry.pipeline import patient_dosimetry
    from theratrial.phantoms import PhantomConfig, write_patient

    organs = ("liver", "spleen", "kidney_left", "kidney_right", "bone_marrow")
    ratios: dict[tuple[float, str], list[tuple[float, float]]] = {}
    start = time.perf_counter()
    for seed in range(1, count + 1):
        folder = Path(tempfile.mkdtemp()) / "patient"
        write_patient(folder, seed, config=PhantomConfig().with_therapy(cycles=1))
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))["regions"]
        for margin in (0.0, 12.0):
            result = patient_dosimetry(folder, activity_margin_mm=margin)
            for dose in result.cycles[0].regions:
                kind = "lesions" if dose.region.startswith("lesion") else dose.region
                if kind not in organs and kind != "lesions":
                    continue
                true = truth[dose.region]
                ratios.setdefault((margin, kind), []).append(
                    (
                        dose.tia.tia_mbq_h / true["tia_mbq_h"][0],
                        dose.dose_gy / true["absorbed_dose_gy"][0],
                    )
                )
    print(f"phantom validation: {count} patients, 128^3, 12 mm FWHM + noise "
          f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    for (margin, kind), values in sorted(ratios.items()):
        arr = np.asarray(values)
        print(
            f"  margin {margin:4.0f} mm {kind:<13s} n={len(arr):3d}  "
            f"Ã bias {100 * (arr[:, 0].mean() - 1):+6.1f} % (SD {100 * arr[:, 0].std():4.1f})  "
            f"dose bias {100 * (arr[:, 1].mean() - 1):+6.1f} % (SD {100 * arr[:, 1].std():4.1f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="voxels per side")
    parser.add_argument("--voxel-mm", type=float, default=4.8, help="voxel side (mm)")
    parser.add_argument("--workers", type=int, default=2, help="FFT worker threads")
    parser.add_argument("--phantoms", type=int, default=0, help="virtual patients to validate")
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
    for key in ("11", "41"):
        for backend in BACKENDS:
            _measure(
                f"convolution {key}^3 kernel, {backend}",
                lambda b=backend, k=key: kernel_dose_gy(
                    tia, kernels[k], backend=b, workers=args.workers
                ),
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {rss:.0f} MiB; GPU backend: none bundled (CPU path)")
    if args.phantoms:
        _phantom_bias(args.phantoms)


if __name__ == "__main__":
    main()
