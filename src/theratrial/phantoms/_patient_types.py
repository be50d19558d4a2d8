"""The records of a virtual patient: injections, region truths, lesion responses, scans.

Frozen dataclasses produced by :func:`theratrial.phantoms.patient.generate_patient` (and
re-exported there); the time-activity and dose methods evaluate the exact kinetics of
:mod:`theratrial.phantoms.kinetics` (MIRD schema, Bolch et al., J Nucl Med 2009;50:477).

Examples
--------
>>> from datetime import datetime
>>> Injection(1, datetime(2025, 1, 6, 10, 0), 7400.0, "Lu-177").activity_mbq
7400.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide
from theratrial.phantoms._layout import Demographics
from theratrial.phantoms.anatomy import BodyOutline, Region
from theratrial.phantoms.config import PhantomConfig, ScannerConfig
from theratrial.phantoms.dose import DoseModel
from theratrial.phantoms.features import LesionFeatures
from theratrial.phantoms.grid import Grid
from theratrial.phantoms.kinetics import Kinetics, time_activity_mbq, time_integrated_activity_mbq_h

__all__ = ["Injection", "LesionResponse", "RegionTruth", "ScanPlan", "VirtualPatient"]


@dataclass(frozen=True, slots=True)
class Injection:
    """One administration: cycle (0 for a diagnostic), time, activity (MBq), nuclide."""

    cycle: int
    time: datetime
    activity_mbq: float
    nuclide_name: str


@dataclass(frozen=True, slots=True)
class RegionTruth:
    """Truth of one region.

    ``volume_ml`` is the analytic volume (ellipsoid, less the lesions inside it);
    ``uptake_fraction`` = ``therapy_uptake_index`` x ``volume_ml`` / body weight (g);
    per-cycle lists hold the time-integrated activity to infinity (MBq h) and the
    absorbed and RBE-weighted self-doses (Gy) of that cycle's administration.
    """

    region: Region
    ga68_suvmean: float
    ga68_suvmean_retest: float
    therapy_uptake_index: float
    uptake_fraction: float
    kinetics: Kinetics
    volume_ml: float
    tia_mbq_h: tuple[float, ...]
    absorbed_dose_gy: tuple[float, ...]
    rbe_weighted_dose_gy: tuple[float, ...]

    @property
    def name(self) -> str:
        """The region's name."""
        return self.region.name

    @property
    def mass_g(self) -> float:
        """Mass (g): density x analytic volume."""
        return self.region.density_g_per_ml * self.volume_ml

    @property
    def ga68_suvmax(self) -> float:
        """True SUVmax: the central value of the radial profile."""
        return self.ga68_suvmean * self.region.peak_to_mean


@dataclass(frozen=True, slots=True)
class LesionResponse:
    """Follow-up of one lesion under the response model."""

    baseline_ld_mm: float
    baseline_short_axis_mm: float
    followup_days: tuple[float, ...]
    dose_delivered_gy: tuple[float, ...]
    true_change: tuple[float, ...]
    true_ld_mm: tuple[float, ...]
    measured_ld_mm: tuple[float, ...]
    lesion_effect: float
    growth_per_month: float

    @property
    def measured_change(self) -> tuple[float, ...]:
        """Measured fractional change of the longest diameter at each follow-up."""
        return tuple(m / self.baseline_ld_mm - 1.0 for m in self.measured_ld_mm)

    def responder(self, threshold: float) -> bool:
        """Whether the last measured change is at or below ``threshold``."""
        return bool(self.measured_change) and self.measured_change[-1] <= threshold


@dataclass(frozen=True, slots=True)
class ScanPlan:
    """One image series to write: what, when and with which system.

    ``kind`` is ``ct``, ``pet``, ``pet_retest``, ``spect`` or ``ct_followup``;
    ``hours_post_injection`` counts from ``injection`` (None for CT).
    """

    series: str
    kind: str
    modality: str
    start: datetime
    injection: Injection | None
    scanner: ScannerConfig | None
    cycle: int | None = None
    hours_post_injection: float | None = None
    week: float | None = None


@dataclass(frozen=True, slots=True)
class VirtualPatient:
    """A generated patient with its exact truth (no images)."""

    patient_id: str
    seed: int
    config: PhantomConfig
    demographics: Demographics
    grade: int
    body: BodyOutline
    body_volume_ml: float
    regions: tuple[RegionTruth, ...]
    features: dict[str, LesionFeatures]
    responses: dict[str, LesionResponse]
    injections: tuple[Injection, ...]
    ga68: Injection
    ga68_retest: Injection | None
    retest_calibration: float
    scans: tuple[ScanPlan, ...]
    grid: Grid
    dose: DoseModel

    @property
    def therapy_nuclide(self) -> str:
        """The therapy radionuclide."""
        return self.dose.nuclide_name

    @property
    def lesions(self) -> tuple[RegionTruth, ...]:
        """The lesion regions."""
        return tuple(r for r in self.regions if r.region.kind == "lesion")

    def truth(self) -> dict[str, Any]:
        """The JSON-ready truth (schema in :mod:`theratrial.phantoms.truth`)."""
        from theratrial.phantoms.truth import patient_truth

        return patient_truth(self)

    def region(self, name: str) -> RegionTruth:
        """The truth of one region by name."""
        for r in self.regions:
            if r.name == name:
                return r
        raise ParameterError(
            f"no region named {name!r}",
            field="region",
            hint=f"use one of {', '.join(r.name for r in self.regions)}",
        )

    def therapy_concentration_bq_per_ml(self, name: str, when: datetime) -> float:
        """True mean activity concentration (Bq/mL) of the therapy nuclide at ``when``.

        Sums every administration given before ``when`` (earlier cycles' residue).
        """
        r = self.region(name)
        weight_g = self.demographics.weight_kg * 1000.0
        total = 0.0
        for inj in self.injections:
            hours = (when - inj.time).total_seconds() / 3600.0
            if hours < 0:
                continue
            mbq = time_activity_mbq(
                r.kinetics,
                hours,
                activity_mbq=inj.activity_mbq,
                uptake_fraction=r.therapy_uptake_index / weight_g,
                nuclide_name=inj.nuclide_name,
            )
            total += float(mbq) * 1e6
        return total

    def ga68_concentration_bq_per_ml(self, name: str, *, retest: bool = False) -> float:
        """True mean 68Ga concentration (Bq/mL) at the PET start (retest: as imaged).

        C = SUV x injected activity decayed to the scan start (Bq) / weight (g); the
        retest includes the global measurement factor.
        """
        r = self.region(name)
        inj = self.ga68_retest if retest else self.ga68
        if inj is None:
            raise ParameterError("this patient has no retest PET", field="retest")
        uptake_h = self.config.pet.uptake_time_min / 60.0
        decayed = (
            inj.activity_mbq
            * 1e6
            * math.exp(-math.log(2.0) * uptake_h / nuclide("Ga-68").half_life_h)
        )
        suv = r.ga68_suvmean_retest * self.retest_calibration if retest else r.ga68_suvmean
        return suv * decayed / (self.demographics.weight_kg * 1000.0)

    def cumulative_dose_gy(self, name: str, *, until: datetime, rbe: bool = False) -> float:
        """Mean absorbed (or RBE-weighted) dose delivered up to ``until`` (Gy), exact."""
        r = self.region(name)
        weight_g = self.demographics.weight_kg * 1000.0
        total = 0.0
        for inj in self.injections:
            hours = (until - inj.time).total_seconds() / 3600.0
            if hours <= 0:
                continue
            tia = time_integrated_activity_mbq_h(
                r.kinetics,
                activity_mbq=inj.activity_mbq,
                uptake_fraction=r.therapy_uptake_index * r.volume_ml / weight_g,
                nuclide_name=inj.nuclide_name,
                t_end_h=hours,
            )
            total += (
                self.dose.rbe_weighted_dose_gy(tia, mass_g=r.mass_g)
                if rbe
                else self.dose.absorbed_dose_gy(tia, mass_g=r.mass_g)
            )
        return total
