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
- Remainder of the body: its therapy uptake index is drawn directly (median 0.85, CV 5 %;
  about 0.45 of the administered activity in a 70 kg patient), almost all of it in one
  slow phase of 65 h effective half-life, so that the whole-body retention (every region,
  physical decay included; mean of seeds 0-59) is about 51 % at 4 h, 40 % at 24 h, 31 % at
  48 h and 9 % at 168 h. That reproduces the urinary excretion of [177Lu]Lu-DOTATATE:
  44 % of the activity within 5 h, 58 % within 24 h and 65 % within 48 h (Lutathera
  prescribing information, section 12.3 Pharmacokinetics, Elimination), within 5
  percentage points whether those figures are read as decay-corrected or not, and gives a
  whole-body dose near the 0.05 mGy/MBq of Wehrmann et al. (Cancer Biother Radiopharm
  2007;22:406-416; whole-body kinetics also in Sandström et al., J Nucl Med
  2013;54:33-41). The 68Ga SUV of the remainder at 60 min (blood pool and unbound
  peptide) is unchanged: it does not predict the 177Lu retention, hence the direct index.
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
    therapy_index
        When given, the therapy uptake index is drawn from it directly instead of as
        ``ga68_suv x transfer_ratio`` (``transfer_ratio`` is then unused). Used for the
        remainder of the body, whose 68Ga SUV at 60 min (blood pool and unbound peptide)
        does not predict how much 177Lu the body retains.
    """

    ga68_suv: LogNormal
    transfer_ratio: LogNormal
    uptake_rate_per_h: LogNormal
    fast_fraction: Uniform
    fast_half_life_h: LogNormal
    slow_effective_half_life_h: LogNormal
    therapy_index: LogNormal | None = None

    def draw_ratio(self, rng: np.random.Generator, ga68_suv: float) -> float:
        """Draw the therapy-index / 68Ga-SUV ratio of one region with this SUV.

        One standard-normal draw either way, so the random stream of the other regions
        does not depend on whether ``therapy_index`` is set.

        Examples
        --------
        >>> model = RegionUptakeModel(
        ...     LogNormal(0.6, 0.25), LogNormal(0.5, 0.2), LogNormal(4.0, 0.2),
        ...     Uniform(0.2, 0.2), LogNormal(3.0, 0.2), LogNormal(60.0, 0.2),
        ...     therapy_index=LogNormal(0.9, 0.0))
        >>> round(0.6 * model.draw_ratio(np.random.default_rng(0), 0.6), 6)
        0.9
        """
        if self.therapy_index is None:
            return self.transfer_ratio.draw_one(rng)
        return self.therapy_index.draw_one(rng) / ga68_suv


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
    index: tuple[float, float] | None = None,
) -> RegionUptakeModel:
    return RegionUptakeModel(
        ga68_suv=LogNormal(*suv),
        transfer_ratio=LogNormal(*ratio),
        uptake_rate_per_h=LogNormal(uptake, 0.2),
        fast_fraction=Uniform(*fast),
        fast_half_life_h=LogNormal(fast_half, 0.2),
        slow_effective_half_life_h=LogNormal(*t_eff),
        therapy_index=None if index is None else LogNormal(*index),
    )


DEFAULT_UPTAKE: dict[str, RegionUptakeModel] = {
    # type: SUV (median, cv), ratio (median, cv), k_u, fast fraction, T_fast, T_eff slow
    # body: therapy index drawn directly (ratio unused; 1.4 = 0.85 / 0.6 for reference),
    # tuned to the whole-body retention of the Lutathera label (see the module docstring)
    "body": _model((0.6, 0.25), (1.4, 0.0), 4.0, (0.0, 0.1), 3.0, (65.0, 0.15), index=(0.85, 0.05)),
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
