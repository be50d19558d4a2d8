"""Image degradation: a Gaussian point-spread function and Poisson counting noise.

The system resolution is a 3-D Gaussian of the stated full width at half maximum
(sigma = FWHM / (2 sqrt(2 ln 2))), applied to the true activity map; counting noise is
Poisson on the expected counts of each voxel,

    N = C x V x 1e-6 x S x (1 - e^{-lambda T}) / lambda,

with ``C`` the concentration at the acquisition start (Bq/mL), ``V`` the voxel volume
(mL), ``S`` the system sensitivity (counts per second per MBq), ``T`` the acquisition time
(s) and ``lambda`` the decay constant (per s); the noisy concentration is ``N`` divided by
the same factor, so noise leaves the mean unbiased. Real reconstructed noise is
spatially correlated; this voxel-wise model states its level through the sensitivity
(SPECT: Ljungberg et al., MIRD Pamphlet 26, J Nucl Med 2016;57:151 report about
5-10 cps/MBq for 177Lu with medium-energy collimators).

A sphere of radius R in a cold background keeps, at its centre, the fraction
``erf(R / (sqrt 2 sigma)) - sqrt(2/pi) (R/sigma) exp(-R^2 / (2 sigma^2))`` of its value
(the 3-D Gaussian's radial distribution): :func:`sphere_centre_recovery`.

Examples
--------
>>> round(sphere_centre_recovery(radius_mm=10.0, fwhm_mm=10.0), 4)
0.864
>>> round(fwhm_to_sigma_mm(2.3548200450309493), 6)
1.0
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from theratrial.errors import ParameterError

__all__ = [
    "counts_per_bq_per_ml",
    "fwhm_to_sigma_mm",
    "gaussian_psf",
    "poisson_noise",
    "sphere_centre_recovery",
]

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def fwhm_to_sigma_mm(fwhm_mm: float) -> float:
    """Standard deviation (mm) of a Gaussian of FWHM ``fwhm_mm``."""
    return fwhm_mm / _FWHM_PER_SIGMA


def gaussian_psf(
    image: NDArray[np.float32], *, fwhm_mm: float, spacing_zyx_mm: tuple[float, float, float]
) -> NDArray[np.float32]:
    """Blur a (z, y, x) image with an isotropic 3-D Gaussian of FWHM ``fwhm_mm``.

    Zero outside the image (``mode="constant"``); ``fwhm_mm = 0`` returns a copy.

    Examples
    --------
    >>> img = np.zeros((9, 9, 9), dtype=np.float32); img[4, 4, 4] = 1.0
    >>> out = gaussian_psf(img, fwhm_mm=4.0, spacing_zyx_mm=(2.0, 2.0, 2.0))
    >>> round(float(out.sum()), 4), bool(out[4, 4, 4] < 1.0)
    (1.0, True)
    """
    if fwhm_mm < 0:
        raise ParameterError(f"FWHM must not be negative, got {fwhm_mm} mm", field="fwhm_mm")
    if fwhm_mm == 0:
        return image.astype(np.float32, copy=True)
    sigma = [fwhm_to_sigma_mm(fwhm_mm) / s for s in spacing_zyx_mm]
    result: NDArray[np.float32] = ndimage.gaussian_filter(
        image.astype(np.float32, copy=False), sigma=sigma, mode="constant", truncate=4.0
    )
    return result


def counts_per_bq_per_ml(
    *,
    voxel_volume_ml: float,
    sensitivity_cps_per_mbq: float,
    duration_s: float,
    half_life_s: float,
) -> float:
    """Expected counts in a voxel per Bq/mL at the acquisition start (decay included).

    Examples
    --------
    >>> counts_per_bq_per_ml(voxel_volume_ml=1.0, sensitivity_cps_per_mbq=10.0,
    ...                      duration_s=100.0, half_life_s=float("inf"))
    0.001
    """
    if not (voxel_volume_ml > 0 and sensitivity_cps_per_mbq > 0 and duration_s > 0):
        raise ParameterError(
            "voxel volume, sensitivity and duration must be positive",
            field="sensitivity_cps_per_mbq",
        )
    lam = math.log(2.0) / half_life_s if math.isfinite(half_life_s) else 0.0
    live = duration_s if lam == 0.0 else -math.expm1(-lam * duration_s) / lam
    return voxel_volume_ml * 1e-6 * sensitivity_cps_per_mbq * live


def poisson_noise(
    image_bq_per_ml: NDArray[np.float32],
    rng: np.random.Generator,
    *,
    counts_per_unit: float,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Poisson-distributed counts and the noisy concentration they give back.

    ``counts_per_unit`` is :func:`counts_per_bq_per_ml`. Returns ``(noisy Bq/mL,
    counts)``; negative inputs are treated as zero.

    Examples
    --------
    >>> img = np.full((20, 20, 20), 1000.0, dtype=np.float32)
    >>> noisy, counts = poisson_noise(img, np.random.default_rng(0), counts_per_unit=0.1)
    >>> round(float(noisy.mean()) / 1000.0, 2), round(float(counts.std() / counts.mean()), 1)
    (1.0, 0.1)
    """
    if not counts_per_unit > 0:
        raise ParameterError(
            f"counts per unit must be positive, got {counts_per_unit}", field="counts_per_unit"
        )
    expected = np.clip(image_bq_per_ml.astype(np.float64), 0.0, None) * counts_per_unit
    counts = rng.poisson(expected).astype(np.float32)
    noisy = (counts / counts_per_unit).astype(np.float32)
    return noisy, counts


def sphere_centre_recovery(*, radius_mm: float, fwhm_mm: float) -> float:
    """Fraction of a uniform sphere's value left at its centre after a Gaussian PSF.

    The probability that a 3-D Gaussian displacement stays within ``radius_mm``.
    """
    if fwhm_mm == 0:
        return 1.0
    sigma = fwhm_to_sigma_mm(fwhm_mm)
    r = radius_mm / sigma
    return math.erf(r / math.sqrt(2.0)) - math.sqrt(2.0 / math.pi) * r * math.exp(-r * r / 2.0)
