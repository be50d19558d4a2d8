"""Voxel-level absorbed dose: local energy deposition and dose-voxel-kernel convolution.

Both take a map of time-integrated activity per voxel (MBq h, an ``(z, y, x)`` array on
the image grid) and return absorbed dose per voxel (Gy).

- **Local energy deposition** (LED): all non-penetrating energy of a decay is absorbed in
  its voxel, ``D = A~ E k / (rho V)`` (Sanchez-Garcia et al., Med. Phys. 41 (2014) 112503;
  Pasciak et al., Front. Oncol. 4 (2014) 121). Right for alpha emitters at any voxel size;
  for Lu-177 it ignores the sub-millimetre electron spread and the photons.
- **Kernel convolution**: ``D = (A~ * S) / (rho / rho_kernel)`` with the voxel S-value
  kernel of :func:`~theratrial.dosimetry.voxel_kernel.voxel_kernel`, computed by FFT
  (Bolch et al., MIRD Pamphlet No. 17, J. Nucl. Med. 40 (1999) 11S); dividing by the
  relative density is the usual first-order heterogeneity correction.

The convolution runs through a named array backend (``"fft"``: one FFT of the padded
volume, :func:`scipy.signal.fftconvolve`; ``"overlap-add"``: blockwise FFTs,
:func:`scipy.signal.oaconvolve`, on par for large kernels, slower and hungrier for small
ones: see ``benchmarks/bench_dosimetry.py``). A GPU backend (CuPy or torch) can be added to
:data:`BACKENDS` with the same signature, keeping the CPU one as fallback; none is bundled.

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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import fftconvolve, oaconvolve

from theratrial.dosimetry.alpha import chain_energy_per_decay
from theratrial.dosimetry.voxel_kernel import VoxelKernel
from theratrial.errors import ParameterError
from theratrial.nuclides import dose_rate_constant_mgy_g_per_mbq_h, nuclide

__all__ = [
    "BACKENDS",
    "ConvolutionBackend",
    "kernel_dose_gy",
    "local_deposition_dose_gy",
    "local_energy_mev",
    "mean_in_mask",
]


@dataclass(frozen=True, slots=True)
class ConvolutionBackend:
    """A named 3-D convolution ('same' size, kernel centred) on some array library.

    Attributes
    ----------
    name
        Backend name used by :func:`kernel_dose_gy`.
    convolve
        ``convolve(image, kernel) -> array`` of the image's shape, as NumPy float64.
    description
        What runs underneath.
    """

    name: str
    convolve: Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]
    description: str


def _fft(image: NDArray[np.float64], kernel: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(fftconvolve(image, kernel, mode="same"), dtype=np.float64)


def _overlap_add(image: NDArray[np.float64], kernel: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(oaconvolve(image, kernel, mode="same"), dtype=np.float64)


BACKENDS: dict[str, ConvolutionBackend] = {
    "fft": ConvolutionBackend("fft", _fft, "scipy.signal.fftconvolve (CPU, NumPy arrays)"),
    "overlap-add": ConvolutionBackend(
        "overlap-add", _overlap_add, "scipy.signal.oaconvolve (CPU, blockwise FFT)"
    ),
}
"""Available convolution backends; CPU only in this release."""


def _as_map(values: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 3:
        raise ParameterError(f"{name} must be a 3-D array, got {array.ndim} dimensions", field=name)
    if not np.all(np.isfinite(array)):
        raise ParameterError(f"{name} contains NaN or infinite values", field=name)
    return array


def _density(density_g_per_ml: float | ArrayLike, shape: tuple[int, ...]) -> NDArray[np.float64]:
    rho = np.asarray(density_g_per_ml, dtype=np.float64)
    if rho.ndim not in (0, 3) or (rho.ndim == 3 and rho.shape != shape):
        raise ParameterError(
            f"density must be a number or a map of shape {shape}", field="density_g_per_ml"
        )
    if np.any(~np.isfinite(rho)) or np.any(rho <= 0):
        raise ParameterError(
            "density must be positive everywhere",
            field="density_g_per_ml",
            hint="clip the CT-derived density to a floor such as 0.001 g/mL (air)",
        )
    return rho


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
    mgy = dose_rate_constant_mgy_g_per_mbq_h(energy) * tia / (rho * volume_ml)
    return np.asarray(mgy / 1000.0, dtype=np.float64)


def kernel_dose_gy(
    tia_mbq_h: ArrayLike,
    kernel: VoxelKernel,
    *,
    voxel_size_mm: tuple[float, float, float] | None = None,
    density_g_per_ml: float | ArrayLike | None = None,
    backend: str = "fft",
) -> NDArray[np.float64]:
    """Absorbed dose (Gy) per voxel by convolving the Ã map with a voxel S-value kernel.

    Parameters
    ----------
    tia_mbq_h
        Time-integrated activity per voxel (MBq h).
    kernel
        Kernel generated for this grid's voxel size.
    voxel_size_mm
        The image's voxel size, checked against the kernel's when given.
    density_g_per_ml
        Optional density map (or number): dose is divided by density / kernel density.
    backend
        Name of a :data:`BACKENDS` entry.

    Raises
    ------
    ParameterError
        When the kernel was made for another voxel size, or the backend is unknown.

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
    tia = _as_map(tia_mbq_h, "tia_mbq_h")
    if voxel_size_mm is not None and not np.allclose(
        voxel_size_mm, kernel.voxel_size_mm, rtol=1e-3
    ):
        raise ParameterError(
            f"kernel made for voxels of {kernel.voxel_size_mm} mm, image has {voxel_size_mm} mm",
            field="voxel_size_mm",
            hint="generate the kernel with voxel_kernel(voxel_size_mm=<the image's voxel size>)",
        )
    if backend not in BACKENDS:
        raise ParameterError(
            f"unknown convolution backend {backend!r}",
            field="backend",
            hint=f"choose one of: {', '.join(BACKENDS)}",
        )
    mgy = BACKENDS[backend].convolve(tia, kernel.s_values_mgy_per_mbq_h)
    if density_g_per_ml is not None:
        mgy = mgy / (_density(density_g_per_ml, tia.shape) / kernel.density_g_per_ml)
    return np.asarray(mgy / 1000.0, dtype=np.float64)


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
