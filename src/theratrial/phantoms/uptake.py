"""Distributions of SSTR uptake and kinetics per organ and lesion type.

Each region type (``"kidney"``, ``"liver"``, ``"lesion_liver"``, ...) has a
:class:`RegionUptakeModel`: lognormal distributions of its 68Ga-DOTATATE SUVmean at 60 min,
of the ratio between the therapy uptake index and that SUV, and of its kinetic parameters.

The *therapy uptake index* ``s`` is the region's plateau activity concentration expressed
like an SUV (concentration x body weight / administered activity): a region of volume
``V`` (mL) in a patient of ``W`` grams holds the uptake fraction ``f = s V / W`` of the
administered activity (see :mod:`theratrial.phantoms.kinetics`). Linking ``s`` to the
68Ga SUV by a lognormal ratio makes the diagnostic PET predictive of the therapy dose, as
theranostics presumes, with a stated scatter.

Defaults and their sources:

- 68Ga-DOTATATE normal-organ SUVmax (mean over patients): spleen 24.7, kidneys 14.3,
  adrenals 13.7, pituitary 9.7, liver 9.1; tumours: liver 28.7, pancreas 25.2, bone 18.3,
  nodes 12.6 (Kuyumcu et al., Ann Nucl Med 2013;27:538-545). The organ medians here are
  SUVmean, about 0.75 x those SUVmax; salivary glands, marrow, lungs and background follow
  the low uptake reported by Özgüven et al. (Mol Imaging Radionucl Ther 2021;30:39).
- 177Lu-DOTATATE effective half-lives: kidney about 50 h, spleen and liver 60-80 h, tumours
  longer (80-110 h) (Sandström et al., J Nucl Med 2013;54:33-41; Garske-Román et al.,
  EJNMMI 2018;45:970). Effective half-lives are drawn for 177Lu and turned into biological
  ones, so the same biology gives the 225Ac effective half-lives.
- The ratios are calibrated so that the median patient (70 kg, 7.4 GBq) receives about
  0.4 Gy/GBq to the kidneys (Staanum et al., EJNMMI Phys 2021;8:78: 0.46 Gy/GBq),
  0.6-1 Gy/GBq to the spleen, 0.2-0.3 Gy/GBq to the liver, about 0.03 Gy/GBq to the marrow
  and 1-4 Gy/GBq to tumours (Sandström 2013; Ilan et al., J Nucl Med 2015;56:177).

Examples
--------
>>> import numpy as np
>>> dist = LogNormal(10.0, 0.25)
>>> round(float(np.median(dist.draw(np.random.default_rng(0), 20001))), 1)
10.0
>>> sorted(DEFAULT_UPTAKE)[:3]
['adrenal', 'bladder', 'body']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide
from theratrial.phantoms.kinetics import Kinetics, biological_half_life_h

__all__ = [
    "DEFAULT_UPTAKE",
    "LogNormal",
    "RegionUptakeModel",
    "Uniform",
    "draw_kinetics",
]

REFERENCE_NUCLIDE = "Lu-177"
"""Effective half-lives in :class:`RegionUptakeModel` are those of this nuclide."""


@dataclass(frozen=True, slots=True)
class LogNormal:
    """A lognormal distribution given by its median and coefficient of variation.

    ``sigma = sqrt(ln(1 + cv^2))``; ``cv = 0`` gives the median every time.

    Examples
    --------
    >>> round(LogNormal(2.0, 0.5).sigma, 4)
    0.4724
    """

    median: float
    cv: float

    def __post_init__(self) -> None:
        if not self.median > 0 or not self.cv >= 0:
            raise ParameterError(
                f"lognormal needs median > 0 and cv >= 0, got {self.median}, {self.cv}",
                field="median/cv",
            )

    @property
    def sigma(self) -> float:
        """Standard deviation of the underlying normal."""
        return math.sqrt(math.log1p(self.cv**2))

    def draw(self, rng: np.random.Generator, size: int | None = None) -> NDArray[np.float64]:
        """Draw ``size`` values (a 0-d array when ``size`` is None)."""
        z = rng.standard_normal(size)
        return np.asarray(self.median * np.exp(self.sigma * z), dtype=np.float64)

    def draw_one(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        return float(self.median * math.exp(self.sigma * rng.standard_normal()))

    def at(self, z: float) -> float:
        """The value ``z`` standard deviations (of the log) from the median."""
        return float(self.median * math.exp(self.sigma * z))


@dataclass(frozen=True, slots=True)
class Uniform:
    """A uniform distribution on ``[low, high]``.

    Examples
    --------
    >>> Uniform(0.1, 0.1).draw_one(np.random.default_rng(1))
    0.1
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise ParameterError(
                f"uniform needs low <= high, got {self.low} > {self.high}", field="low/high"
            )

    def draw_one(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        return float(self.low + (self.high - self.low) * rng.random())


@dataclass(frozen=True, slots=True)
class RegionUptakeModel:
    """Distributions of one region type's uptake and kinetics.

    Attributes
    ----------
    ga68_suv
        68Ga-DOTATATE SUVmean at 60 min p.i.
    transfer_ratio
        Therapy uptake index / 68Ga SUVmean.
    uptake_rate_per_h
        Uptake rate ``k_u`` (1/h).
    fast_fraction
        Weight of the fast washout phase.
    fast_half_life_h
        Biological half-life of the fast phase (h).
    slow_effective_half_life_h
        Effective half-life of the slow phase for 177Lu (h); converted to a biological
        half-life so that every nuclide shares the biology.
    """

    ga68_suv: LogNormal
    transfer_ratio: LogNormal
    uptake_rate_per_h: LogNormal
    fast_fraction: Uniform
    fast_half_life_h: LogNormal
    slow_effective_half_life_h: LogNormal


def draw_kinetics(model: RegionUptakeModel, rng: np.random.Generator) -> Kinetics:
    """Draw the biological kinetics of one region from ``model``.

    The 177Lu effective half-life drawn is capped at 98 % of the physical half-life
    before it is turned into a biological half-life.

    Examples
    --------
    >>> k = draw_kinetics(DEFAULT_UPTAKE["kidney"], np.random.default_rng(3))
    >>> 20.0 < k.effective_slow_half_life_h("Lu-177") < 120.0
    True
    """
    t_phys = nuclide(REFERENCE_NUCLIDE).half_life_h
    uptake = model.uptake_rate_per_h.draw_one(rng)
    fast = model.fast_fraction.draw_one(rng)
    fast_half = model.fast_half_life_h.draw_one(rng)
    t_eff = min(model.slow_effective_half_life_h.draw_one(rng), 0.98 * t_phys)
    slow_bio = biological_half_life_h(t_eff, nuclide_name=REFERENCE_NUCLIDE)
    return Kinetics(uptake, fast, fast_half, slow_bio)


def _model(
    suv: tuple[float, float],
    ratio: tuple[float, float],
    uptake: float,
    fast: tuple[float, float],
    fast_half: float,
    t_eff: tuple[float, float],
) -> RegionUptakeModel:
    return RegionUptakeModel(
        ga68_suv=LogNormal(*suv),
        transfer_ratio=LogNormal(*ratio),
        uptake_rate_per_h=LogNormal(uptake, 0.2),
        fast_fraction=Uniform(*fast),
        fast_half_life_h=LogNormal(fast_half, 0.2),
        slow_effective_half_life_h=LogNormal(*t_eff),
    )


DEFAULT_UPTAKE: dict[str, RegionUptakeModel] = {
    # type: SUV (median, cv), ratio (median, cv), k_u, fast fraction, T_fast, T_eff slow
    "body": _model((0.6, 0.25), (0.5, 0.2), 4.0, (0.75, 0.85), 2.0, (50.0, 0.2)),
    "brain": _model((0.15, 0.3), (0.4, 0.2), 4.0, (0.75, 0.85), 2.0, (50.0, 0.2)),
    "lung": _model((0.5, 0.3), (0.4, 0.2), 4.0, (0.75, 0.85), 2.0, (50.0, 0.2)),
    "liver": _model((7.0, 0.25), (0.4, 0.25), 0.5, (0.1, 0.3), 3.0, (70.0, 0.2)),
    "spleen": _model((19.0, 0.3), (0.3, 0.25), 0.5, (0.05, 0.15), 3.0, (70.0, 0.2)),
    "kidney": _model((11.0, 0.25), (0.65, 0.25), 1.5, (0.1, 0.3), 2.0, (50.0, 0.2)),
    "adrenal": _model((10.0, 0.3), (0.3, 0.25), 0.5, (0.1, 0.3), 3.0, (60.0, 0.2)),
    "pituitary": _model((7.0, 0.35), (0.15, 0.3), 0.5, (0.1, 0.3), 3.0, (50.0, 0.2)),
    "parotid": _model((3.0, 0.3), (0.3, 0.25), 1.0, (0.3, 0.5), 2.0, (40.0, 0.2)),
    "submandibular": _model((4.0, 0.3), (0.3, 0.25), 1.0, (0.3, 0.5), 2.0, (40.0, 0.2)),
    "bone_marrow": _model((1.2, 0.3), (0.8, 0.2), 4.0, (0.65, 0.75), 2.0, (60.0, 0.2)),
    "bladder": _model((20.0, 0.5), (0.5, 0.3), 0.5, (0.95, 1.0), 3.0, (20.0, 0.2)),
    "lesion_liver": _model((25.0, 0.5), (0.5, 0.3), 0.2, (0.0, 0.1), 5.0, (95.0, 0.2)),
    "lesion_node": _model((15.0, 0.5), (0.5, 0.3), 0.2, (0.0, 0.1), 5.0, (85.0, 0.2)),
    "lesion_bone": _model((18.0, 0.5), (0.5, 0.3), 0.2, (0.0, 0.1), 5.0, (90.0, 0.2)),
    "lesion_primary": _model((25.0, 0.5), (0.5, 0.3), 0.2, (0.0, 0.1), 5.0, (95.0, 0.2)),
}
"""Default distributions per region type (see the module docstring for the sources)."""
