"""Lesion biology beyond SSTR: differentiation, FDG uptake and diffusion (ADC).

Each lesion carries a latent *differentiation score* ``d`` (standard normal across
lesions): ``d = 0.7 d_p + 0.71 e``, where the patient part ``d_p = z - 0.6 (grade - 2)``
falls with WHO grade and ``e`` is lesion-specific. The score drives, with stated effects:

- 68Ga-DOTATATE SUVmean: the lesion type's lognormal median x ``exp(sigma d)`` (well
  differentiated NETs express more SSTR2);
- 18F-FDG SUVmax: ``2.5 exp(-0.45 d + 0.25 e_fdg)`` x (1.6 for grade 3) (the "flip-flop"
  of SSTR and glucose metabolism, Binderup et al., J Nucl Med 2010;51:704);
- ADC mean (10^-3 mm^2/s): ``1.15 exp(0.08 d + 0.08 e_adc)`` (more cellular, less
  differentiated tumours restrict diffusion).

The 68Ga uptake feeds the response model; FDG and ADC do not (they are covariates a
response analysis may find uninformative once SSTR uptake and dose are known).

Examples
--------
>>> from theratrial.phantoms.anatomy import Ellipsoid, Region
>>> les = [Region("lesion_liver_01", "lesion_liver", "lesion",
...               Ellipsoid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0)), 1.04, 35.0)]
>>> f = draw_lesion_features(les, 2, np.random.default_rng(0))["lesion_liver_01"]
>>> f.fdg_suvmax > 0 and 0.5 < f.adc_mean_1e3_mm2_s < 3.0
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theratrial.phantoms.anatomy import Region

__all__ = ["FEATURE_MODEL", "LesionFeatures", "draw_lesion_features"]

FEATURE_MODEL: dict[str, object] = {
    "differentiation": "d = 0.7*d_p + 0.71*e, d_p = z - 0.6*(grade - 2), z, e ~ N(0, 1)",
    "ga68_suvmean": "median_type * exp(sigma_type * d)",
    "fdg_suvmax": "2.5 * exp(-0.45*d + 0.25*e_fdg) * (1.6 if grade == 3 else 1)",
    "adc_mean_1e3_mm2_s": "1.15 * exp(0.08*d + 0.08*e_adc)",
    "grade_probabilities": {"1": 0.35, "2": 0.55, "3": 0.10},
}
"""The generating effects, as written to the truth file."""


@dataclass(frozen=True, slots=True)
class LesionFeatures:
    """Latent differentiation and the FDG and ADC values of one lesion."""

    differentiation: float
    fdg_suvmax: float
    adc_mean_1e3_mm2_s: float


def draw_lesion_features(
    lesions: list[Region], grade: int, rng: np.random.Generator
) -> dict[str, LesionFeatures]:
    """Draw the features of every lesion of a patient of WHO ``grade`` (1-3)."""
    patient = float(rng.standard_normal()) - 0.6 * (grade - 2)
    out: dict[str, LesionFeatures] = {}
    for lesion in lesions:
        d = 0.7 * patient + math.sqrt(0.5) * float(rng.standard_normal())
        fdg = 2.5 * math.exp(-0.45 * d + 0.25 * float(rng.standard_normal()))
        if grade == 3:
            fdg *= 1.6
        adc = 1.15 * math.exp(0.08 * d + 0.08 * float(rng.standard_normal()))
        out[lesion.name] = LesionFeatures(d, fdg, adc)
    return out
