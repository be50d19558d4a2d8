"""CPU vs GPU time of the FFT dose-kernel convolution (256^3 and 512^3 maps, 11^3 kernel).

Needs only NumPy, SciPy and CuPy: theratrial/dosimetry/_fft.py and theratrial/gpu.py are loaded
by file path, with a light stub for ``theratrial.errors`` (no pydicom, SimpleITK or
pydantic needed). Prints the times and the largest difference relative to the CPU map's
maximum; exits 1 when it exceeds 1e-5, 2 when no GPU is present.

    python benchmarks/bench_gpu.py [--sizes 256 512]
"""

from __future__ import annotations

import importlib.util
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1] / "src" / "theratrial"


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _stubs() -> None:
    if "theratrial.errors" in sys.modules:
        return
    for pkg in ("theratrial", "theratrial.dosimetry"):
        sys.modules.setdefault(pkg, types.ModuleType(pkg))
    errors = types.ModuleType("theratrial.errors")

    class ParameterError(ValueError):
        def __init__(self, message: str, **context: object) -> None:
            super().__init__(message)

    errors.ParameterError = ParameterError  # type: ignore[attr-defined]
    sys.modules["theratrial.errors"] = errors


def main(sizes: list[int]) -> int:
    _stubs()
    gpu = _load("theratrial.gpu", ROOT / "gpu.py")  # first: _fft.py imports it
    cpu = _load("theratrial.dosimetry._fft", ROOT / "dosimetry" / "_fft.py")
    if not gpu.gpu_available():
        print("no CuPy / CUDA device: nothing to compare")
        return 2
    import os

    rng = np.random.default_rng(0)
    r = np.arange(11) - 5
    zz, yy, xx = np.meshgrid(r, r, r, indexing="ij")
    kernel = 1.0 / (1.0 + zz**2 + yy**2 + xx**2)
    worst = 0.0
    threads = os.cpu_count() or 1
    for n in sizes:
        image = rng.gamma(2.0, 1.0, size=(n, n, n))
        t = time.perf_counter()
        ref = np.array(cpu.fft_convolve(image, kernel, np.float64, threads))
        t_cpu = time.perf_counter() - t
        gpu.fft_convolve_gpu(image[:16, :16, :16], kernel)  # warm-up (plans, context)
        t = time.perf_counter()
        got = gpu.fft_convolve_gpu(image, kernel, np.float64)
        t_gpu = time.perf_counter() - t
        t = time.perf_counter()
        got32 = gpu.fft_convolve_gpu(image, kernel, np.float32)
        t_gpu32 = time.perf_counter() - t
        scale = float(np.abs(ref).max())
        diff = float(np.abs(got - ref).max()) / scale
        diff32 = float(np.abs(got32 - ref).max()) / scale
        worst = max(worst, diff)
        print(
            f"{n}^3 map, 11^3 kernel: CPU {t_cpu:.3f} s ({threads} threads), "
            f"GPU float64 {t_gpu:.3f} s (x{t_cpu / t_gpu:.1f}), GPU float32 {t_gpu32:.3f} s "
            f"(x{t_cpu / t_gpu32:.1f}); max rel diff f64 {diff:.2e}, f32 {diff32:.2e}",
            flush=True,
        )
    return 0 if worst <= 1e-5 else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = [int(a) for a in args[1:]] if args[:1] == ["--sizes"] else [256, 512]
    raise SystemExit(main(chosen))
