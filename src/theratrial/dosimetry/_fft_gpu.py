"""The FFT dose-kernel convolution on a CUDA GPU through CuPy (optional, private).

CuPy is never a dependency: it is imported inside the functions. :func:`gpu_available`
says whether CuPy and a CUDA device are present; :func:`fft_convolve_gpu` computes the same
'same'-mode linear convolution as :func:`theratrial.dosimetry._fft.fft_convolve` (the
kernel's origin at ``(k - 1) // 2`` per axis, zero padding to ``n + k - 1``; Oppenheim &
Schafer, *Discrete-Time Signal Processing*, 3rd ed., section 8.7) with cuFFT, and returns a
NumPy array. Results agree with the CPU path within 1e-5 relative (benchmarks/bench_gpu.py).

Examples
--------
>>> isinstance(gpu_available(), bool)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft
from numpy.typing import NDArray

__all__ = ["fft_convolve_gpu", "gpu_available"]


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        import cupy  # type: ignore[import-not-found, unused-ignore]

        return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # no CuPy, no driver, no device: the CPU path is used
        return False


def fft_convolve_gpu(
    image: NDArray[np.floating[Any]],
    kernel: NDArray[np.float64],
    dtype: type[np.floating[Any]] = np.float64,
) -> NDArray[np.floating[Any]]:
    """'Same' convolution of ``image`` with ``kernel`` on the GPU, in ``dtype``."""
    import cupy  # type: ignore[import-not-found, unused-ignore]

    shape = tuple(int(n) + int(k) - 1 for n, k in zip(image.shape, kernel.shape, strict=True))
    fast = tuple(int(scipy.fft.next_fast_len(s, real=True)) for s in shape)
    img = cupy.asarray(image, dtype=dtype)
    ker = cupy.asarray(kernel, dtype=dtype)
    spectrum = cupy.fft.rfftn(img, s=fast)
    del img
    spectrum *= cupy.fft.rfftn(ker, s=fast)
    del ker
    full = cupy.fft.irfftn(spectrum, s=fast)
    del spectrum
    window = tuple(
        slice((k - 1) // 2, (k - 1) // 2 + n)
        for n, k in zip(image.shape, kernel.shape, strict=True)
    )
    out = cupy.asnumpy(full[window])
    del full
    cupy.get_default_memory_pool().free_all_blocks()
    return np.asarray(out)
