"""Tissue density from CT numbers, for organ masses and density-corrected voxel dose.

A piecewise-linear calibration of CT number (HU) to mass density, in the manner of the
bilinear calibrations of Schneider et al., Phys. Med. Biol. 41 (1996) 111: the air-water
mixing line from air (-1000 HU, 0.0012 g/mL) through water (0 HU, 1.0 g/mL) up to soft
tissue (100 HU, 1.10 g/mL), then a soft-tissue-to-bone line up to cortical bone
(1600 HU, 1.92 g/mL, ICRU Report 46). It gives 1.04-1.06 g/mL for liver, spleen and
kidney (40-60 HU) as ICRP Publication 110 tabulates. Scanners differ: pass your own
calibration (:class:`HuDensityCalibration`) when you have one.

Examples
--------
>>> [round(float(v), 3) for v in DEFAULT_HU_DENSITY([-1000.0, 0.0, 60.0, 250.0])]
[0.001, 1.0, 1.06, 1.182]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theratrial.errors import ParameterError

__all__ = ["DEFAULT_HU_DENSITY", "HuDensityCalibration"]


@dataclass(frozen=True, slots=True)
class HuDensityCalibration:
    """Piecewise-linear map from CT number (HU) to mass density (g/mL).

    Values outside the knots are held at the end densities.

    Attributes
    ----------
    hu
        Increasing CT numbers of the knots.
    density_g_per_ml
        Density at each knot.
    source
        Where the calibration comes from.
    """

    hu: tuple[float, ...]
    density_g_per_ml: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        if len(self.hu) < 2 or len(self.hu) != len(self.density_g_per_ml):
            raise ParameterError("a calibration needs two or more (HU, density) knots", field="hu")
        if any(b <= a for a, b in zip(self.hu, self.hu[1:], strict=False)):
            raise ParameterError("calibration HU knots must increase", field="hu")
        if any(d <= 0 for d in self.density_g_per_ml):
            raise ParameterError("calibration densities must be positive", field="density_g_per_ml")

    def __call__(self, hu: ArrayLike) -> NDArray[np.float64]:
        """Density (g/mL) of each CT number."""
        values = np.asarray(hu, dtype=np.float64)
        return np.asarray(np.interp(values, self.hu, self.density_g_per_ml), dtype=np.float64)


DEFAULT_HU_DENSITY = HuDensityCalibration(
    (-1000.0, 0.0, 100.0, 1600.0),
    (0.0012, 1.0, 1.10, 1.92),
    "air-water line to 100 HU, then soft tissue to cortical bone (1.92 g/mL at 1600 HU)",
)
"""The default calibration (see the module docstring)."""
