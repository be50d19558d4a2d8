"""Voxel-level absorbed dose: local energy deposition and dose-voxel-kernel convolution.

Both take a map of time-integrated activity per voxel (MBq h, an ``(z, y, x)`` array on
the image grid) and return absorbed dose per voxel (Gy, float64).

- **Local energy deposition** (LED): all non-penetrating energy of a decay is absorbed in
  its voxel, ``D = A~ E k / (rho V)`` (Sanchez-Garcia et al., Med. Phys. 41 (2014) 112503;
  Pasciak et al., Front. Oncol. 4 (2014) 121). Right for alpha emitters at any voxel size;
  for Lu-177 it ignores the sub-millimetre electron spread and the photons.
- **Kernel convolution**: ``D = (A~ * S) / (rho / rho_kernel)`` with the voxel S-value
  kernel of :func:`~theratrial.dosimetry.voxel_kernel.voxel_kernel`, computed by FFT
  (Bolch et al., MIRD Pamphlet No. 17, J. Nucl. Med. 40 (1999) 11S); dividing by the
  relative density is the usual first-order heterogeneity correction.

The convolution runs through a named backend. ``"fft"`` (default): the map zero-padded
to a fast size (:func:`scipy.fft.next_fast_len`) of ``n + h`` voxels per axis (``h``: the
kernel's half-width) goes through one ``rfftn``; the kernel's spectrum is made by pruned
FFTs and multiplied in slab by slab; one ``irfftn`` follows and the 'same' window is a view
of its result. Every core the process may use runs the FFTs; the only full-size buffers
are the FFT's own and the float64 dose; unit and uniform-density scaling is folded into the
small kernel. ``"overlap-add"`` (:func:`scipy.signal.oaconvolve`) is on par for large
kernels, slower and hungrier for small ones (``benchmarks/bench_kernel.py``). With
``device="gpu"``, or ``"auto"`` (default) where CuPy imports and sees a CUDA device, the
``"fft"`` backend runs on the GPU through cuFFT (:mod:`theratrial.gpu`;
CuPy is optional, never required) and agrees with the CPU within 1e-5 relative.

Precision: FFT round-off grows like ``eps sqrt(log N)`` relative to the RMS of what is
transformed (Schatzman, SIAM J. Sci. Comput. 17 (1996) 1150), so float32 FFTs leave an
error floor near 1e-7 of the maximum dose: up to 1e-4 relative in voxels at 1e-3 of it
next to hot lesions. ``precision="single"`` (default) therefore applies the self-voxel
S-value (80-90 % of a Lu-177 kernel's weight at 2-5 mm voxels) in float64 and sends only
the cross-voxel rest through float32 FFTs: on a patient-like map with 4-5 mm voxels the
dose stays within 1e-5 relative of ``precision="double"`` wherever it exceeds 1e-3 of its
maximum (2e-5 with 2 mm voxels), far inside the kernel's own 0.3 % accuracy. Float64 is kept
for the kernel, its scale factors and its small spectrum passes, the self-voxel term, the
density division and the returned dose (organ means sum up to 1e6 voxels).

Examples
--------
>>> import numpy as np
>>> tia = np.zeros((9, 9, 9)); tia[4, 4, 4] = 100.0           # MBq h in one voxel
>>> led = local_deposition_dose_gy(tia, voxel_size_mm=(4.0, 4.0, 4.0))
>>> round(float(led.sum()), 1)
133.3
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.dosimetry._fft import assemble_dose, fft_convolve, overlap_add_convolve
from theratrial.dosimetry.alpha import chain_energy_per_decay
from theratrial.dosimetry.voxel_kernel import VoxelKernel
from theratrial.errors import ParameterError
from theratrial.gpu import Device, fft_convolve_gpu, resolve_device
from theratrial.nuclides import dose_rate_constant_mgy_g_per_mbq_h, nuclide

__all__ = [
    "BACKENDS",
    "ConvolutionBackend",
    "kernel_dose_gy",
    "local_deposition_dose_gy",
    "local_energy_mev",
    "mean_in_mask",
]

_FloatArray = NDArray[np.floating[Any]]
_DTYPES: dict[str, type[np.floating[Any]]] = {"single": np.float32, "double": np.float64}


@dataclass(frozen=True, slots=True)
class ConvolutionBackend:
    """A named 3-D convolution ('same' size, kernel centred) on some array library.

    Attributes
    ----------
    name
        Backend name used by :func:`kernel_dose_gy`.
    convolve
        ``convolve(image, kernel, dtype, workers) -> array`` of the image's shape, computed
        in ``dtype`` (``np.float32`` or ``np.float64``) with ``workers`` threads, on NumPy
        arrays; the result may be a view and is the caller's to scale in place.
    description
        What runs underneath.
    """

    name: str
    convolve: Callable[[_FloatArray, NDArray[np.float64], type[np.floating[Any]], int], _FloatArray]
    description: str


def _cpu_fft(
    image: _FloatArray, kernel: NDArray[np.float64], dtype: type[np.floating[Any]], workers: int
) -> _FloatArray:
    return fft_convolve(image, kernel, dtype, workers, device="cpu")


BACKENDS: dict[str, ConvolutionBackend] = {
    "fft": ConvolutionBackend(
        "fft",
        _cpu_fft,
        "scipy.fft rfftn/irfftn, fast padded size, all cores (CPU, NumPy arrays)",
    ),
    "overlap-add": ConvolutionBackend(
        "overlap-add", overlap_add_convolve, "scipy.signal.oaconvolve (CPU, blockwise FFT)"
    ),
}
"""Available convolution backends (CPU); ``"fft"`` also runs on a GPU (``device``)."""

_Convolve = Callable[[_FloatArray, NDArray[np.float64], type[np.floating[Any]], int], _FloatArray]


def _gpu_fft(
    image: _FloatArray, kernel: NDArray[np.float64], dtype: type[np.floating[Any]], workers: int
) -> _FloatArray:
    return fft_convolve_gpu(image, kernel, dtype)


def _convolver(backend: str, device: Device) -> _Convolve:
    """The backend's convolution on the device asked for (``"auto"``: GPU if usable)."""
    if backend not in BACKENDS:
        raise ParameterError(
            f"unknown convolution backend {backend!r}",
            field="backend",
            hint=f"choose one of: {', '.join(BACKENDS)}",
        )
    if resolve_device(device) == "cpu":
        return BACKENDS[backend].convolve
    if backend == "fft":
        return _gpu_fft
    if device == "gpu":
        raise ParameterError(
            f"the {backend!r} backend runs on the CPU only",
            field="device",
            hint="pass backend='fft' to convolve on the GPU, or device='cpu'",
        )
    return BACKENDS[backend].convolve


def _require_finite(array: _FloatArray, name: str) -> None:
    """Refuse NaN or infinite values: a finite sum (one pass, nothing allocated) proves
    every value finite; only a non-finite sum pays for the exact element check."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sum(array))
    if math.isfinite(total) or bool(np.isfinite(array).all()):
        return
    raise ParameterError(
        f"{name} contains NaN or infinite values",
        field=name,
        hint="replace missing voxels by 0 (or mask them out) before computing the dose",
    )


def _as_map(values: ArrayLike, name: str, *, keep_float: bool = False) -> _FloatArray:
    """The map as a 3-D float array: float64, or any float dtype as given if ``keep_float``."""
    array = np.asarray(values)
    if array.dtype.kind not in "fiub":
        raise ParameterError(f"{name} must hold real numbers, got dtype {array.dtype}", field=name)
    if not (keep_float and array.dtype.kind == "f"):
        array = array.astype(np.float64, copy=False)
    if array.ndim != 3:
        raise ParameterError(f"{name} must be a 3-D array, got {array.ndim} dimensions", field=name)
    _require_finite(array, name)
    return array


def _density(density_g_per_ml: float | ArrayLike, shape: tuple[int, ...]) -> NDArray[np.float64]:
    rho = np.asarray(density_g_per_ml, dtype=np.float64)
    if rho.ndim not in (0, 3) or (rho.ndim == 3 and rho.shape != shape):
        raise ParameterError(
            f"density must be a number or a map of shape {shape}", field="density_g_per_ml"
        )
    with np.errstate(invalid="ignore"):
        lowest, highest = float(np.min(rho)), float(np.max(rho))  # NaN propagates; no temporary
    if not (lowest > 0 and math.isfinite(highest)):
        raise ParameterError(
            "density must be positive everywhere",
            field="density_g_per_ml",
            hint="clip the CT-derived density to a floor such as 0.001 g/mL (air)",
        )
    return rho


def _workers(workers: int | None) -> int:
    if workers is None:
        affinity = getattr(os, "sched_getaffinity", None)
        return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        hint = "leave it out to use every core the process may run on"
        raise ParameterError(f"workers must be >= 1, got {workers!r}", field="workers", hint=hint)
    return workers


def local_energy_mev(nuclide_name: str, *, include_photons: bool = False) -> float:
    """Energy per decay that local deposition puts in the decay voxel (MeV).

    Non-penetrating energy (alpha, recoil-free; electrons), plus photons if asked. For a
    nuclide with radioactive daughters that have ICRP 107 data (Ac-225), the whole chain in
    situ per parent decay (:func:`~theratrial.dosimetry.alpha.chain_energy_per_decay`).

    Examples
    --------
    >>> round(local_energy_mev("Lu-177"), 5), round(local_energy_mev("Ac-225"), 2)
    (0.14793, 28.17)
    """
    nuc = nuclide(nuclide_name)
    if nuc.daughters and any(not nuclide(d).is_stable for d, _ in nuc.daughters):
        chain = chain_energy_per_decay(nuc.name)
        return chain.deposited_mev + (chain.photon_mev if include_photons else 0.0)
    if nuc.energies is None:
        raise ParameterError(f"no emitted-energy data for {nuc.name}", field="nuclide")
    e = nuc.energies
    return e.alpha_mev + e.electrons_mev + (e.photons_mev if include_photons else 0.0)


def local_deposition_dose_gy(
    tia_mbq_h: ArrayLike,
    *,
    voxel_size_mm: tuple[float, float, float],
    nuclide: str = "Lu-177",
    density_g_per_ml: float | ArrayLike = 1.0,
    include_photons: bool = False,
) -> NDArray[np.float64]:
    """Absorbed dose (Gy) per voxel when each decay's energy stays in its voxel.

    Parameters
    ----------
    tia_mbq_h
        Time-integrated activity per voxel (MBq h).
    voxel_size_mm
        Voxel sides (mm).
    nuclide
        The administered nuclide (Ac-225: chain in situ).
    density_g_per_ml
        Tissue density: a number or a map on the same grid (e.g. from CT).
    include_photons
        Deposit the photon energy locally too (default: electrons and alphas only).
    """
    tia = _as_map(tia_mbq_h, "tia_mbq_h")
    if len(voxel_size_mm) != 3 or not all(s > 0 for s in voxel_size_mm):
        raise ParameterError(f"bad voxel size {voxel_size_mm}", field="voxel_size_mm")
    rho = _density(density_g_per_ml, tia.shape)
    energy = local_energy_mev(nuclide, include_photons=include_photons)
    volume_ml = math.prod(voxel_size_mm) / 1000.0
    gy_per_mbq_h = dose_rate_constant_mgy_g_per_mbq_h(energy) / volume_ml / 1000.0
    if rho.ndim == 0:
        return np.asarray(tia * (gy_per_mbq_h / float(rho)), dtype=np.float64)
    dose = np.asarray(tia * gy_per_mbq_h, dtype=np.float64)
    dose /= rho  # in place
    return dose


def kernel_dose_gy(
    tia_mbq_h: ArrayLike,
    kernel: VoxelKernel,
    *,
    voxel_size_mm: tuple[float, float, float] | None = None,
    density_g_per_ml: float | ArrayLike | None = None,
    backend: str = "fft",
    precision: Literal["single", "double"] = "single",
    workers: int | None = None,
    device: Device = "auto",
) -> NDArray[np.float64]:
    """Absorbed dose (Gy) per voxel by convolving the Ã map with a voxel S-value kernel.

    Parameters
    ----------
    tia_mbq_h
        Time-integrated activity per voxel (MBq h); float32 maps are used without a copy.
    kernel
        Kernel generated for this grid's voxel size.
    voxel_size_mm
        The image's voxel size, checked against the kernel's when given.
    density_g_per_ml
        Optional density map (or number): dose is divided by density / kernel density.
    backend
        Name of a :data:`BACKENDS` entry.
    precision
        ``"single"`` (default): self-voxel term in float64, the rest by float32 FFTs;
        within 1e-5 relative of ``"double"`` (all float64) where the dose exceeds 1e-3 of
        its maximum at 4-5 mm voxels, 2e-5 at 2 mm (see the module notes).
    workers
        FFT threads; default every core the process may run on.
    device
        ``"cpu"``, ``"gpu"`` (CuPy and a CUDA device required; ``"fft"`` backend) or
        ``"auto"`` (default): the GPU only when CuPy imports and a device is present.

    Raises
    ------
    ParameterError
        When the kernel was made for another voxel size, the backend, precision or device
        is unknown, ``device="gpu"`` has no usable GPU, or the map or density holds values
        that cannot be used.

    Examples
    --------
    >>> import numpy as np
    >>> from theratrial.dosimetry.voxel_kernel import voxel_kernel
    >>> k = voxel_kernel("Lu-177", voxel_size_mm=(4.0, 4.0, 4.0), include_photons=False)
    >>> tia = np.zeros((15, 15, 15)); tia[7, 7, 7] = 100.0
    >>> dose = kernel_dose_gy(tia, k)
    >>> round(float(dose.sum() * 0.064), 2)   # Gy x g: all electron energy is absorbed
    8.54
    """
    tia = _as_map(tia_mbq_h, "tia_mbq_h", keep_float=True)
    if voxel_size_mm is not None and not np.allclose(
        voxel_size_mm, kernel.voxel_size_mm, rtol=1e-3
    ):
        raise ParameterError(
            f"kernel made for voxels of {kernel.voxel_size_mm} mm, image has {voxel_size_mm} mm",
            field="voxel_size_mm",
            hint="generate the kernel with voxel_kernel(voxel_size_mm=<the image's voxel size>)",
        )
    convolve = _convolver(backend, device)
    if precision not in _DTYPES:
        hint = "choose 'single' (float32 FFTs) or 'double' (float64)"
        raise ParameterError(f"unknown precision {precision!r}", field="precision", hint=hint)
    threads = _workers(workers)
    # mGy -> Gy and a uniform density are folded into the small kernel (float64), so the
    # full-size result needs no scaling pass; a density map divides it in place.
    gy_scale = 1e-3
    rho = None
    if density_g_per_ml is not None:
        rho = _density(density_g_per_ml, tia.shape)
        gy_scale *= kernel.density_g_per_ml / (float(rho) if rho.ndim == 0 else 1.0)
        rho = rho if rho.ndim == 3 else None
    s_values = kernel.s_values_mgy_per_mbq_h * gy_scale
    if precision == "double":
        dose = convolve(tia, s_values, np.float64, threads)
        dose_gy = dose.astype(np.float64, copy=False)  # the cropped view, no copy
        if rho is not None:
            dose_gy /= rho
        return dose_gy
    # single: the self-voxel term (80-90 % of a Lu-177 kernel's weight) is applied in float64
    # and only the cross-voxel rest goes through the float32 FFTs, whose round-off scales
    # with what they carry.
    centre = tuple((k - 1) // 2 for k in s_values.shape)
    self_gy = float(s_values[centre])
    s_values[centre] = 0.0
    cross = convolve(tia, s_values, np.float32, threads)
    return assemble_dose(tia, self_gy, cross, rho, threads)


def mean_in_mask(values: ArrayLike, mask: ArrayLike) -> float:
    """Mean of ``values`` over a boolean mask of the same shape.

    Examples
    --------
    >>> mean_in_mask(np.arange(8.0).reshape(2, 2, 2), np.arange(8).reshape(2, 2, 2) > 3)
    5.5
    """
    array = np.asarray(values, dtype=np.float64)
    selector = np.asarray(mask, dtype=bool)
    if selector.shape != array.shape:
        raise ParameterError(
            f"mask shape {selector.shape} differs from the map's {array.shape}", field="mask"
        )
    if not selector.any():
        raise ParameterError("the mask is empty", field="mask")
    return float(array[selector].mean())
