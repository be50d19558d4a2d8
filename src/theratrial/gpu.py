"""FFT convolution on a CUDA GPU through CuPy (optional), and the cpu | gpu | auto device choice.

CuPy is never a dependency: it is imported inside the functions. :func:`gpu_available`
says (once per process, cached) whether CuPy imports and sees a CUDA device;
:func:`resolve_device` turns the ``device`` option of
:func:`~theratrial.dosimetry.voxel.kernel_dose_gy`, :func:`~theratrial.dosimetry._fft.fft_convolve`
and :func:`~theratrial.imaging.voi.suv_peak` into ``"cpu"`` or ``"gpu"``: ``"auto"`` takes
the GPU only when one is usable, ``"gpu"`` without one is a
:class:`~theratrial.errors.ParameterError` naming ``device``.

:func:`fft_convolve_gpu` computes the same 'same'-mode linear convolution as
:func:`theratrial.dosimetry._fft.fft_convolve` and :func:`scipy.signal.fftconvolve` (the
kernel's origin at ``(k - 1) // 2`` per axis, zero padding to ``n + k - 1`` so that the
circular convolution equals the linear one; Oppenheim & Schafer, *Discrete-Time Signal
Processing*, 3rd ed., section 8.7) with cuFFT, and returns a NumPy array. Results agree
with the CPU path within 1e-5 relative (tests/dosimetry/test_gpu.py, benchmarks/bench_gpu.py).

Examples
--------
>>> isinstance(gpu_available(), bool)
True
>>> resolve_device("cpu")
'cpu'
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from theratrial.errors import ParameterError

__all__ = ["DEVICES", "Device", "fft_convolve_gpu", "gpu_available", "resolve_device"]

Device = Literal["cpu", "gpu", "auto"]
"""Where an FFT convolution runs: the CPU, the GPU, or the GPU when one is usable."""

DEVICES: tuple[str, ...] = ("cpu", "gpu", "auto")
"""The accepted values of a ``device`` option."""

_NO_GPU_HINT = (
    "install CuPy for the machine's CUDA (e.g. pip install cupy-cuda12x) and check that "
    "nvidia-smi lists a device, or pass device='cpu' (or 'auto': the GPU only when present)"
)


@functools.cache
def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device (checked once, cached)."""
    try:
        import cupy  # type: ignore[import-not-found, unused-ignore]

        return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # no CuPy, no driver, no device: the CPU path is used
        return False


def resolve_device(device: str, *, field: str = "device") -> Literal["cpu", "gpu"]:
    """``"cpu"`` or ``"gpu"`` for a ``device`` option of ``"cpu"``, ``"gpu"`` or ``"auto"``.

    Raises
    ------
    ParameterError
        For an unknown value, or ``"gpu"`` where CuPy or a CUDA device is missing; the
        error names ``field`` and says how to fix it.

    Examples
    --------
    >>> resolve_device("auto") in ("cpu", "gpu")
    True
    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    theratrial.errors.ParameterError: field 'device': unknown device 'tpu' (fix: choose cpu, ...)
    """
    if device == "cpu":
        return "cpu"
    if device not in DEVICES:
        raise ParameterError(
            f"unknown device {device!r}", field=field, hint="choose cpu, gpu or auto"
        )
    if gpu_available():
        return "gpu"
    if device == "gpu":
        raise ParameterError(
            "device 'gpu' asked for, but CuPy or a CUDA device is not available",
            field=field,
            hint=_NO_GPU_HINT,
        )
    return "cpu"


def fft_convolve_gpu(
    image: NDArray[np.floating[Any]],
    kernel: NDArray[np.float64],
    dtype: type[np.floating[Any]] = np.float64,
) -> NDArray[np.floating[Any]]:
    """'Same' convolution of ``image`` with ``kernel`` on the GPU, in ``dtype``.

    Raises
    ------
    ParameterError
        When the map's values overflow ``dtype`` (seen in the DC term, the map's sum).
    """
    import cupy  # type: ignore[import-not-found, unused-ignore]

    shape = tuple(int(n) + int(k) - 1 for n, k in zip(image.shape, kernel.shape, strict=True))
    fast = tuple(int(scipy.fft.next_fast_len(s, real=True)) for s in shape)
    axes = tuple(range(image.ndim))  # with s, NumPy 2 (and CuPy, which follows it) want axes
    img = cupy.asarray(image, dtype=dtype)
    ker = cupy.asarray(kernel, dtype=dtype)
    spectrum = cupy.fft.rfftn(img, s=fast, axes=axes)
    del img
    if not np.isfinite(complex(spectrum[(0,) * spectrum.ndim])):  # the DC term: the sum
        raise ParameterError(
            f"the map's values overflow {np.dtype(dtype).name} arithmetic",
            field="tia_mbq_h",
            hint="pass precision='double', or express the map in larger units",
        )
    spectrum *= cupy.fft.rfftn(ker, s=fast, axes=axes)
    del ker
    full = cupy.fft.irfftn(spectrum, s=fast, axes=axes)
    del spectrum
    window = tuple(
        slice((k - 1) // 2, (k - 1) // 2 + n)
        for n, k in zip(image.shape, kernel.shape, strict=True)
    )
    out = cupy.asnumpy(full[window])
    del full
    cupy.get_default_memory_pool().free_all_blocks()
    return np.asarray(out)
