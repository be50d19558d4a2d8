"""Every setting of the virtual-patient generator, with literature-based defaults.

Defaults and their sources:

- Therapy: 177Lu-DOTATATE 7.4 GBq x 4 cycles every 8 weeks (NETTER-1, Strosberg et al.,
  N Engl J Med 2017;376:125); 225Ac-DOTATATE 100 kBq/kg x 4 cycles every 8 weeks
  (Ballal et al., JAMA Oncol 2022;8:1; ACTION-1 starts at 120 kBq/kg).
- SPECT after each cycle at 4, 24, 96 and 168 h (EANM/MIRD guideline time points for
  177Lu-DOTATATE dosimetry, Sjögreen Gleisner et al., EJNMMI 2022;49:1778); 177Lu SPECT
  sensitivity about 8 cps/MBq (MIRD Pamphlet 26), 30 min acquisitions, 12 mm FWHM after
  resolution recovery; 225Ac SPECT 20 mm FWHM with high-energy collimation.
- 68Ga-DOTATATE PET: 150 MBq (EANM guideline 100-200 MBq), static scan at 60 min,
  6 mm FWHM (positron range included), noise level equivalent to ~10 % voxel CoV in liver.
- Test-retest: second PET 4 days later; biological variability of the true SUV 8 % (CV,
  per region) and a global measurement (calibration) variability of 3 %; together with
  counting noise this gives a wCV near the 7-15 % reported for SSTR PET SUVmax.

Examples
--------
>>> cfg = PhantomConfig()
>>> cfg.therapy.nuclide, cfg.therapy.cycles, cfg.grid.shape_zyx
('Lu-177', 4, (128, 128, 128))
>>> small = cfg.with_grid((64, 64, 64))
>>> small.grid.shape_zyx
(64, 64, 64)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from theratrial.errors import ParameterError
from theratrial.nuclides import normalise_name
from theratrial.phantoms.response import ResponseModel
from theratrial.phantoms.uptake import DEFAULT_UPTAKE, LogNormal, RegionUptakeModel

__all__ = [
    "GridConfig",
    "LesionConfig",
    "PetConfig",
    "PhantomConfig",
    "RetestConfig",
    "ScannerConfig",
    "TherapyConfig",
]

SUPPORTED_THERAPY = ("Lu-177", "Ac-225")


@dataclass(frozen=True, slots=True)
class GridConfig:
    """Voxel grid: array shape, transaxial field of view and sub-voxel sampling.

    The axial extent covers the patient from the pelvic floor to the vertex plus
    ``z_margin_mm`` at each end, so the slice spacing follows the patient's height.
    """

    shape_zyx: tuple[int, int, int] = (128, 128, 128)
    fov_xy_mm: float = 500.0
    z_margin_mm: float = 25.0
    supersample: int = 3


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    """Resolution and noise of one imaging system.

    ``fwhm_mm`` = 0 disables the PSF; ``noise`` = False writes the noise-free image.
    """

    fwhm_mm: float
    sensitivity_cps_per_mbq: float
    duration_s: float
    noise: bool = True

    def __post_init__(self) -> None:
        if self.fwhm_mm < 0 or not self.sensitivity_cps_per_mbq > 0 or not self.duration_s > 0:
            raise ParameterError(
                "scanner needs fwhm_mm >= 0 and positive sensitivity and duration",
                field="scanner",
            )


@dataclass(frozen=True, slots=True)
class TherapyConfig:
    """The radioligand therapy: nuclide, activity, cycles and SPECT time points.

    ``activity_mbq`` per cycle overrides the default (7400 MBq for 177Lu;
    ``activity_kbq_per_kg`` x weight for 225Ac). ``imaged_cycles`` lists the cycles with
    SPECT (None: every cycle). ``spect_units`` is ``"BQML"`` (Bq/mL via RescaleSlope) or
    ``"CNTS"`` (counts; convert with the calibration factor in the truth).
    """

    nuclide: str = "Lu-177"
    cycles: int = 4
    activity_mbq: float | None = None
    activity_kbq_per_kg: float = 100.0
    interval_days: float = 56.0
    first_cycle_day: float = 14.0
    spect_times_h: tuple[float, ...] = (4.0, 24.0, 96.0, 168.0)
    imaged_cycles: tuple[int, ...] | None = None
    spect_units: str = "BQML"
    lu177_scanner: ScannerConfig = ScannerConfig(12.0, 8.0, 1800.0)
    ac225_scanner: ScannerConfig = ScannerConfig(20.0, 20.0, 1800.0)

    def __post_init__(self) -> None:
        name = normalise_name(self.nuclide)
        if name not in SUPPORTED_THERAPY:
            raise ParameterError(
                f"therapy nuclide {self.nuclide!r} is not supported",
                field="therapy.nuclide",
                hint="use Lu-177 or Ac-225",
            )
        object.__setattr__(self, "nuclide", name)
        if self.cycles < 1:
            raise ParameterError(f"cycles must be >= 1, got {self.cycles}", field="cycles")
        if self.spect_units not in ("BQML", "CNTS"):
            raise ParameterError(
                f"spect_units must be BQML or CNTS, got {self.spect_units!r}",
                field="therapy.spect_units",
            )
        if any(t <= 0 for t in self.spect_times_h):
            raise ParameterError("SPECT times must be positive (h)", field="spect_times_h")

    @property
    def scanner(self) -> ScannerConfig:
        """The SPECT system used for this nuclide."""
        return self.lu177_scanner if self.nuclide == "Lu-177" else self.ac225_scanner

    def activity_for(self, weight_kg: float) -> float:
        """Administered activity per cycle (MBq)."""
        if self.activity_mbq is not None:
            return self.activity_mbq
        if self.nuclide == "Lu-177":
            return 7400.0
        return self.activity_kbq_per_kg * weight_kg / 1000.0

    def cycles_imaged(self) -> tuple[int, ...]:
        """The cycles (1-based) that get SPECT."""
        if self.imaged_cycles is None:
            return tuple(range(1, self.cycles + 1))
        return tuple(c for c in self.imaged_cycles if 1 <= c <= self.cycles)


@dataclass(frozen=True, slots=True)
class PetConfig:
    """The diagnostic 68Ga-DOTATATE PET (static, ``uptake_time_min`` after injection)."""

    activity_mbq: float = 150.0
    uptake_time_min: float = 60.0
    scanner: ScannerConfig = ScannerConfig(6.0, 600.0, 180.0)


@dataclass(frozen=True, slots=True)
class RetestConfig:
    """The repeat PET: delay, biological CV per region, global measurement CV."""

    days_after: float = 4.0
    biological_cv: float = 0.08
    measurement_cv: float = 0.03
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class LesionConfig:
    """Lesion numbers (Poisson means, capped), sizes (longest diameter) and profile."""

    mean_liver: float = 3.0
    mean_node: float = 2.0
    mean_bone: float = 1.0
    primary_probability: float = 0.6
    max_per_type: int = 8
    diameter_liver_mm: LogNormal = field(default_factory=lambda: LogNormal(22.0, 0.45))
    diameter_node_mm: LogNormal = field(default_factory=lambda: LogNormal(16.0, 0.35))
    diameter_bone_mm: LogNormal = field(default_factory=lambda: LogNormal(15.0, 0.3))
    diameter_primary_mm: LogNormal = field(default_factory=lambda: LogNormal(25.0, 0.35))
    min_diameter_mm: float = 8.0
    max_diameter_mm: float = 70.0
    profile_beta: float = 0.4
    density_g_per_ml: float = 1.04
    bone_density_g_per_ml: float = 1.4


@dataclass(frozen=True, slots=True)
class PhantomConfig:
    """All settings of a virtual patient; every field has a default.

    ``uptake`` maps region types to their distributions (see
    :data:`theratrial.phantoms.uptake.DEFAULT_UPTAKE`); ``organ_size_cv`` is the CV of
    organ volumes around the body-size-scaled reference; ``ct_noise_hu`` the SD of the CT
    noise; ``followup_ct`` adds a CT at each follow-up of the response model.
    """

    grid: GridConfig = GridConfig()
    therapy: TherapyConfig = TherapyConfig()
    pet: PetConfig = PetConfig()
    retest: RetestConfig = RetestConfig()
    lesions: LesionConfig = LesionConfig()
    response: ResponseModel = field(default_factory=ResponseModel)
    uptake: dict[str, RegionUptakeModel] = field(default_factory=lambda: dict(DEFAULT_UPTAKE))
    organ_size_cv: float = 0.12
    ct_noise_hu: float = 10.0
    followup_ct: bool = False

    def with_grid(self, shape_zyx: tuple[int, int, int]) -> PhantomConfig:
        """A copy with another grid shape."""
        return replace(self, grid=replace(self.grid, shape_zyx=shape_zyx))

    def with_therapy(self, **changes: object) -> PhantomConfig:
        """A copy with some therapy settings changed (e.g. ``nuclide="Ac-225"``)."""
        return replace(self, therapy=replace(self.therapy, **changes))  # type: ignore[arg-type]

    def noise_free(self) -> PhantomConfig:
        """A copy whose PET and SPECT have neither PSF nor noise (ideal images)."""
        ideal = ScannerConfig(0.0, 1.0, 1.0, noise=False)
        return replace(
            self,
            pet=replace(
                self.pet, scanner=replace(ideal, sensitivity_cps_per_mbq=600.0, duration_s=180.0)
            ),
            therapy=replace(
                self.therapy,
                lu177_scanner=replace(ideal, sensitivity_cps_per_mbq=8.0, duration_s=1800.0),
                ac225_scanner=replace(ideal, sensitivity_cps_per_mbq=20.0, duration_s=1800.0),
            ),
        )
