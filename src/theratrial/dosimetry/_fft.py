"""FFT convolution in slabs and the float64 assembly of the dose (private to voxel.py).

The machinery behind :func:`theratrial.dosimetry.voxel.kernel_dose_gy` (see that module's
notes on precision): the map zero-padded to a fast size (:func:`scipy.fft.next_fast_len`)
goes through one ``rfftn``; the kernel's spectrum is made by pruned FFTs on the planes the
kernel fills and multiplied in slab by slab, so it never exists at full size; one
``irfftn`` follows and the 'same' window is a view of its result. Copies and the final
``(self_gy * tia + cross) / rho`` run in cache-sized slabs on a thread pool (NumPy
releases the GIL there), one pass over memory with no full-size temporary. With
``device="gpu"`` (or ``"auto"`` where CuPy sees a CUDA device) the convolution runs on the
GPU instead (:mod:`theratrial.gpu`).

Examples
--------
>>> import numpy as np
>>> image = np.zeros((5, 5, 5)); image[2, 2, 2] = 1.0
>>> kernel = np.ones((3, 3, 3))
>>> out = fft_convolve(image, kernel, np.float64, 1)
>>> round(float(out.sum()), 6), out.shape
(27.0, (5, 5, 5))
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.fft
from numpy.typing import NDArray
from scipy.signal import oaconvolve

from theratrial.errors import ParameterError
from theratrial.gpu import Device, fft_convolve_gpu, resolve_device

__all__ = ["assemble_dose", "fft_convolve", "overlap_add_convolve"]

_FloatArray = NDArray[np.floating[Any]]
_Map = NDArray[np.float64]
_SLAB_BYTES = 8 * 2**20  # kernel-spectrum slab: a few MiB, cache-sized, never full-size


def _relevant_kernel(
    kernel: NDArray[np.float64], image_shape: tuple[int, ...]
) -> tuple[NDArray[np.float64], tuple[int, ...]]:
    """The kernel cut to the offsets that can pair two voxels of the image (``< n``) and
    its origin index per axis (``(k - 1) // 2``, as in 'same' convolution)."""
    cut, origin = [], []
    for k, n in zip(kernel.shape, image_shape, strict=True):
        centre = (k - 1) // 2
        lo, hi = max(0, centre - (n - 1)), min(k, centre + n)
        cut.append(slice(lo, hi))
        origin.append(centre - lo)
    return kernel[tuple(cut)], tuple(origin)


def _multiply_by_kernel_spectrum(
    spectrum: NDArray[np.complexfloating[Any, Any]],
    kernel: NDArray[np.float64],
    shape: tuple[int, ...],
    workers: int,
) -> None:
    """``spectrum *= rfftn(kernel, shape)`` in place, without the full-size kernel spectrum.

    The kernel fills only ``k0`` of the ``shape[0]`` planes, so its transforms along the last
    two axes run on those planes alone (float64, small); the transform along the first axis
    is done slab by slab and each slab multiplied straight into ``spectrum``.
    """
    part = scipy.fft.rfft(kernel, n=shape[2], axis=2, workers=workers)
    part = scipy.fft.fft(part, n=shape[1], axis=1, workers=workers, overwrite_x=True)
    part = part.astype(spectrum.dtype, copy=False)
    step = max(1, _SLAB_BYTES // (shape[0] * spectrum.shape[2] * spectrum.itemsize))
    for j in range(0, shape[1], step):
        slab = scipy.fft.fft(part[:, j : j + step], n=shape[0], axis=0, workers=workers)
        spectrum[:, j : j + step] *= slab


def fft_convolve(
    image: _FloatArray,
    kernel: NDArray[np.float64],
    dtype: type[np.floating[Any]],
    workers: int,
    *,
    device: Device = "auto",
) -> _FloatArray:
    """'Same' convolution of ``image`` with ``kernel`` by one padded ``rfftn``/``irfftn`` pair
    in ``dtype`` on ``workers`` threads; the result is a view into the inverse transform.

    ``device``: ``"cpu"``, ``"gpu"`` (CuPy and a CUDA device required) or ``"auto"`` (the
    GPU only when one is usable; the check is made once per process).

    Raises
    ------
    ParameterError
        When the map's values overflow ``dtype`` (seen in the DC term, the map's sum), or
        ``device`` is unknown or ``"gpu"`` without a usable GPU.
    """
    if resolve_device(device) == "gpu":
        return fft_convolve_gpu(image, kernel, dtype)
    kernel, origin = _relevant_kernel(kernel, image.shape)
    shape = tuple(
        scipy.fft.next_fast_len(n + max(a, k - 1 - a), real=axis == image.ndim - 1)
        for axis, (n, k, a) in enumerate(zip(image.shape, kernel.shape, origin, strict=True))
    )
    padded = np.zeros(shape, dtype=dtype)  # calloc: the padding costs no writes
    _copy_in_slabs(image, padded[: image.shape[0], : image.shape[1], : image.shape[2]], workers)
    spectrum = scipy.fft.rfftn(padded, overwrite_x=True, workers=workers)
    del padded
    if not np.isfinite(spectrum[0, 0, 0]):  # the DC term is the map's sum
        raise ParameterError(
            f"the activity map's values overflow {np.dtype(dtype).name} arithmetic",
            field="tia_mbq_h",
            hint="pass precision='double', or express the map in larger units",
        )
    _multiply_by_kernel_spectrum(spectrum, kernel, shape, workers)
    full = scipy.fft.irfftn(spectrum, s=shape, overwrite_x=True, workers=workers)
    del spectrum
    window = tuple(slice(a, a + n) for a, n in zip(origin, image.shape, strict=True))
    return np.asarray(full[window])  # a view: no copy for the crop


def overlap_add_convolve(
    image: _FloatArray, kernel: NDArray[np.float64], dtype: type[np.floating[Any]], workers: int
) -> _FloatArray:
    """'Same' convolution by :func:`scipy.signal.oaconvolve` in ``dtype``."""
    with scipy.fft.set_workers(workers):
        out = oaconvolve(image.astype(dtype, copy=False), kernel.astype(dtype), mode="same")
    return np.asarray(out)


def assemble_dose(
    tia: _FloatArray, self_gy: float, cross: _FloatArray, rho: _Map | None, workers: int
) -> NDArray[np.float64]:
    """``(self_gy * tia + cross) / rho`` in float64, in cache-sized slabs on ``workers``
    threads: one pass over memory, no full-size temporary besides the result."""
    dose = np.empty(tia.shape, dtype=np.float64)

    def slab(part: slice) -> None:
        out = dose[part]
        np.multiply(tia[part], self_gy, out=out, dtype=np.float64)
        out += cross[part]
        if rho is not None:
            out /= rho[part]

    _in_slabs(tia.shape[0], dose[0].nbytes, slab, workers)
    return dose


def _copy_in_slabs(source: _FloatArray, target: _FloatArray, workers: int) -> None:
    """``target[...] = source``, casting, slab by slab on ``workers`` threads."""

    def copy(part: slice) -> None:
        with np.errstate(over="ignore"):  # a value beyond float32 shows in the DC term
            target[part] = source[part]

    _in_slabs(source.shape[0], target[0].nbytes, copy, workers)


def _in_slabs(count: int, plane_bytes: int, action: Callable[[slice], None], workers: int) -> None:
    """Run ``action`` on slabs of a few MiB along the first axis, on ``workers`` threads
    (NumPy releases the GIL in copies and arithmetic)."""
    step = max(1, _SLAB_BYTES // 2 // max(1, plane_bytes))
    parts = [slice(start, start + step) for start in range(0, count, step)]
    if workers == 1 or len(parts) == 1:
        for part in parts:
            action(part)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(action, parts))
