"""Photon interaction data for water and the geometric-progression buildup factor.

- Mass energy-absorption coefficients of liquid water: Hubbell & Seltzer, *Tables of X-Ray
  Mass Attenuation Coefficients and Mass Energy-Absorption Coefficients*, NISTIR 5632
  (1995), table 4.
- Mass attenuation coefficients of water without coherent scattering and the
  geometric-progression (GP) buildup-factor coefficients b, c, a, X_k, d for a point
  isotropic source in infinite water: ANSI/ANS-6.4.3-1991 (Trubey, ORNL/RSIC-49, 1988);
  the GP formula is Harima et al., Nucl. Sci. Eng. 94 (1986) 24.

Energies in MeV, coefficients in cm^2/g, distances in mean free paths.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["gp_buildup", "mu_en_water_cm2_g", "mu_water_cm2_g"]

_E_MU = np.array(
    [0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8,
     1.0, 1.5, 2.0, 3.0]
)  # fmt: skip
_MU_NO_COHERENT = np.array(
    [5.157, 1.579, 0.7505, 0.3455, 0.2502, 0.2149, 0.1973, 0.1786, 0.1674, 0.1490, 0.1361,
     0.1183, 0.1059, 0.09667, 0.08943, 0.07856, 0.07062, 0.05747, 0.04932, 0.03961]
)  # fmt: skip
_MU_EN = np.array(
    [4.944, 1.374, 0.5503, 0.1557, 0.06947, 0.04223, 0.03190, 0.02597, 0.02546, 0.02764,
     0.02967, 0.03192, 0.03279, 0.03299, 0.03284, 0.03206, 0.03103, 0.02833, 0.02608, 0.02281]
)  # fmt: skip
_E_GP = np.array(
    [0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0,
     1.5, 2.0, 3.0]
)  # fmt: skip
_GP = np.array(
    [
        [1.182, 0.463, 0.175, 14.23, -0.0908],
        [1.427, 0.549, 0.143, 14.86, -0.0707],
        [2.335, 0.736, 0.087, 13.28, -0.0419],
        [3.477, 1.117, -0.019, 11.67, 0.0026],
        [4.461, 1.457, -0.084, 13.62, 0.0341],
        [4.983, 1.730, -0.126, 13.64, 0.0561],
        [5.059, 2.059, -0.168, 13.67, 0.0770],
        [4.663, 2.221, -0.186, 13.33, 0.0826],
        [3.897, 2.242, -0.185, 14.19, 0.0777],
        [3.478, 2.154, -0.176, 14.50, 0.0774],
        [2.920, 2.022, -0.164, 14.21, 0.0655],
        [2.660, 1.882, -0.149, 14.24, 0.0595],
        [2.500, 1.766, -0.135, 14.33, 0.0546],
        [2.377, 1.679, -0.124, 14.23, 0.0503],
        [2.212, 1.544, -0.105, 14.36, 0.0437],
        [2.103, 1.441, -0.089, 14.22, 0.0378],
        [1.939, 1.269, -0.058, 14.52, 0.0246],
        [1.839, 1.173, -0.039, 14.07, 0.0161],
        [1.710, 1.056, -0.013, 11.82, 0.0047],
    ]
)


def _loglog(energy_mev: float, xs: NDArray[np.float64], ys: NDArray[np.float64]) -> float:
    return float(np.exp(np.interp(math.log(energy_mev), np.log(xs), np.log(ys))))


def mu_water_cm2_g(energy_mev: float) -> float:
    """Mass attenuation coefficient of water without coherent scattering (cm^2/g).

    Log-log interpolation in the ANSI/ANS-6.4.3 table, 10 keV to 3 MeV.
    """
    return _loglog(energy_mev, _E_MU, _MU_NO_COHERENT)


def mu_en_water_cm2_g(energy_mev: float) -> float:
    """Mass energy-absorption coefficient of liquid water (cm^2/g), NISTIR 5632 table 4."""
    return _loglog(energy_mev, _E_MU, _MU_EN)


def gp_buildup(energy_mev: float, mfp: NDArray[np.float64]) -> NDArray[np.float64]:
    """Point-isotropic-source buildup factor in water by the GP formula (Harima 1986).

    ``B = 1 + (b - 1)(K^x - 1)/(K - 1)``, ``K(x) = c x^a + d (tanh(x/X_k - 2) - tanh(-2)) /
    (1 - tanh(-2))``, with the coefficients interpolated linearly in log energy.
    """
    log_e = math.log(min(max(energy_mev, _E_GP[0]), _E_GP[-1]))
    b, c, a, xk, d = (float(np.interp(log_e, np.log(_E_GP), _GP[:, i])) for i in range(5))
    x = np.asarray(mfp, dtype=np.float64)
    safe = np.maximum(x, 1e-12)
    k = c * safe**a + d * (np.tanh(safe / xk - 2.0) - math.tanh(-2.0)) / (1.0 - math.tanh(-2.0))
    near_one = np.abs(k - 1.0) < 1e-9
    geometric = 1.0 + (b - 1.0) * (k**safe - 1.0) / np.where(near_one, 1.0, k - 1.0)
    linear = 1.0 + (b - 1.0) * safe
    result: NDArray[np.float64] = np.where(near_one, linear, geometric)
    return np.where(x <= 0.0, 1.0, result)
