"""Generate one virtual NET patient: anatomy, uptake, kinetics, therapy, response, truth.

:func:`generate_patient` draws everything from one seed and computes the exact truth
(time-integrated activities, absorbed doses, SUVs, lesion diameters) without touching a
voxel grid; :func:`theratrial.phantoms.writer.write_patient` then renders and writes the
images. Four independent random streams (``SeedSequence([seed, k])``) keep the anatomy,
the uptake, the response and the image noise apart, so that changing one setting (say
the noise) leaves the others as they were.

Examples
--------
>>> p = generate_patient(7)
>>> p.patient_id, p.therapy_nuclide
('VP-000007', 'Lu-177')
>>> kidney = p.region("kidney_left")
>>> 0.1 < kidney.absorbed_dose_gy[0] / (p.injections[0].activity_mbq / 1000) < 2.0
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide
from theratrial.phantoms._layout import (
    Demographics,
    LesionCounts,
    build_body,
    build_organs,
    place_lesions,
)
from theratrial.phantoms.anatomy import BodyOutline, Ellipsoid, Region
from theratrial.phantoms.config import PhantomConfig, ScannerConfig
from theratrial.phantoms.dose import DoseModel, dose_model
from theratrial.phantoms.features import LesionFeatures, draw_lesion_features
from theratrial.phantoms.grid import Grid
from theratrial.phantoms.kinetics import Kinetics, time_activity_mbq, time_integrated_activity_mbq_h
from theratrial.phantoms.uptake import LogNormal, draw_kinetics

__all__ = [
    "Injection",
    "LesionResponse",
    "RegionTruth",
    "ScanPlan",
    "VirtualPatient",
    "generate_patient",
]

_STREAM_ANATOMY, _STREAM_UPTAKE, _STREAM_RESPONSE, _STREAM_NOISE = range(4)
_BASE_DATE = datetime(2025, 1, 6, 8, 30)
_DAYS_PER_MONTH = 30.4375
_BODY_SHAPE = Ellipsoid((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))  # placeholder: the body is an outline


def stream(seed: int, purpose: int) -> np.random.Generator:
    """An independent random generator for one purpose of one seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, purpose]))


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


def _demographics(rng: np.random.Generator) -> Demographics:
    sex = "M" if rng.random() < 0.5 else "F"
    height = float(
        np.clip(rng.normal(176.0, 7.0) if sex == "M" else rng.normal(163.0, 6.5), 150.0, 198.0)
    )
    bmi = float(np.clip(LogNormal(25.0, 0.15).draw_one(rng), 17.5, 38.0))
    weight = round(bmi * (height / 100.0) ** 2, 1)
    age = int(np.clip(round(rng.normal(62.0, 11.0)), 30, 85))
    return Demographics(sex, age, round(height, 1), weight)


def _grid(body: BodyOutline, config: PhantomConfig) -> Grid:
    nz, ny, nx = config.grid.shape_zyx
    fov = config.grid.fov_xy_mm
    low, high = body.z_range_mm
    z0, z1 = low - config.grid.z_margin_mm, high + config.grid.z_margin_mm
    dz = (z1 - z0) / nz
    dx, dy = fov / nx, fov / ny
    return Grid((nz, ny, nx), (dx, dy, dz), (-fov / 2 + dx / 2, -fov / 2 + dy / 2, z0 + dz / 2))


def _lesion_counts(rng: np.random.Generator, config: PhantomConfig) -> LesionCounts:
    cfg = config.lesions
    cap = cfg.max_per_type
    counts = LesionCounts(
        liver=min(int(rng.poisson(cfg.mean_liver)), cap),
        node=min(int(rng.poisson(cfg.mean_node)), cap),
        bone=min(int(rng.poisson(cfg.mean_bone)), cap),
        primary=int(rng.random() < cfg.primary_probability),
    )
    if counts.liver + counts.node + counts.bone + counts.primary == 0:
        counts = LesionCounts(1, 0, 0, 0)  # trial patients have measurable disease
    return counts


def _volumes(regions: list[Region], body: BodyOutline) -> tuple[dict[str, float], float]:
    volumes = {r.name: r.ellipsoid.volume_ml for r in regions}
    for r in regions:
        if r.parent is not None:
            volumes[r.parent] -= r.ellipsoid.volume_ml
    top = sum(r.ellipsoid.volume_ml for r in regions if r.parent is None)
    return volumes, body.volume_ml - top


def _pseudonym(patient_id: str) -> str:
    """A patient id fit for (0010,0020) Patient ID and file names: a pseudonym, not a name."""
    if not 0 < len(patient_id) <= 64 or any(
        ch.isspace() or ch in "^\\/" or not ch.isprintable() for ch in patient_id
    ):
        raise ParameterError(
            f"patient id must be 1-64 characters without spaces, '^', '\\' or '/', got "
            f"{len(patient_id)} characters",
            field="patient_id",
            hint="use a pseudonymous id such as VP-000001, never a name",
        )
    return patient_id


def generate_patient(
    seed: int, *, config: PhantomConfig | None = None, patient_id: str | None = None
) -> VirtualPatient:
    """Draw a virtual patient from ``seed`` and compute its exact truth.

    Parameters
    ----------
    seed
        Non-negative integer; the same seed and config give the same patient.
    config
        Generator settings (defaults: :class:`PhantomConfig`).
    patient_id
        Pseudonymous identifier (default ``VP-<seed, 6 digits>``).
    """
    if seed < 0:
        raise ParameterError(f"seed must be >= 0, got {seed}", field="seed")
    cfg = config or PhantomConfig()
    pid = f"VP-{seed:06d}" if patient_id is None else _pseudonym(patient_id)
    rng_a = stream(seed, _STREAM_ANATOMY)
    demo = _demographics(rng_a)
    body = build_body(demo)
    organs = build_organs(demo, body, rng_a, size_cv=cfg.organ_size_cv)
    counts = _lesion_counts(rng_a, cfg)
    lc = cfg.lesions
    dists = {
        "liver": lc.diameter_liver_mm,
        "node": lc.diameter_node_mm,
        "bone": lc.diameter_bone_mm,
        "primary": lc.diameter_primary_mm,
    }
    diameters = {
        k: [
            float(np.clip(dists[k].draw_one(rng_a), lc.min_diameter_mm, lc.max_diameter_mm))
            for _ in range(getattr(counts, k))
        ]
        for k in dists
    }
    densities = {
        "liver": lc.density_g_per_ml,
        "node": lc.density_g_per_ml,
        "bone": lc.bone_density_g_per_ml,
        "primary": lc.density_g_per_ml,
    }
    hus = {"liver": 35.0, "node": 40.0, "bone": 700.0, "primary": 45.0}
    lesions = place_lesions(
        demo,
        organs,
        body,
        counts,
        diameters,
        rng_a,
        densities=densities,
        hus=hus,
        profile_beta=lc.profile_beta,
    )
    regions = organs + lesions
    volumes, body_volume = _volumes(regions, body)

    rng_u = stream(seed, _STREAM_UPTAKE)
    grade = int(rng_u.choice([1, 2, 3], p=[0.35, 0.55, 0.10]))
    features = draw_lesion_features(lesions, grade, rng_u)
    activity = cfg.therapy.activity_for(demo.weight_kg)
    first = _BASE_DATE + timedelta(days=seed % 730)
    injections = tuple(
        Injection(
            k,
            first
            + timedelta(
                days=cfg.therapy.first_cycle_day + (k - 1) * cfg.therapy.interval_days, hours=1.5
            ),
            activity,
            cfg.therapy.nuclide,
        )
        for k in range(1, cfg.therapy.cycles + 1)
    )
    model = dose_model(cfg.therapy.nuclide, rbe_alpha=5.0)
    weight_g = demo.weight_kg * 1000.0
    bio_sigma = math.sqrt(math.log1p(cfg.retest.biological_cv**2))
    type_draws: dict[str, tuple[float, float, Kinetics]] = {}
    truths: list[RegionTruth] = []
    body_region = Region("body", "body", "organ", _BODY_SHAPE, 1.0, 0.0)
    for region, volume in [(body_region, body_volume)] + [(r, volumes[r.name]) for r in regions]:
        um = cfg.uptake[region.region_type]
        if region.kind == "lesion":
            d = features[region.name].differentiation
            suv = um.ga68_suv.at(d)
            ratio = um.draw_ratio(rng_u, suv)
            kin = draw_kinetics(um, rng_u)
        else:
            if region.region_type not in type_draws:
                base = um.ga68_suv.draw_one(rng_u)
                type_draws[region.region_type] = (
                    base,
                    um.draw_ratio(rng_u, base),
                    draw_kinetics(um, rng_u),
                )
            base_suv, ratio, kin = type_draws[region.region_type]
            suv = base_suv * float(np.exp(0.05 * rng_u.standard_normal()))
        index = suv * ratio
        fraction = index * volume / weight_g
        retest_suv = suv * float(np.exp(bio_sigma * rng_u.standard_normal()))
        tias = tuple(
            time_integrated_activity_mbq_h(
                kin,
                activity_mbq=inj.activity_mbq,
                uptake_fraction=fraction,
                nuclide_name=inj.nuclide_name,
            )
            for inj in injections
        )
        mass = region.density_g_per_ml * volume
        truths.append(
            RegionTruth(
                region,
                suv,
                retest_suv,
                index,
                fraction,
                kin,
                volume,
                tias,
                tuple(model.absorbed_dose_gy(t, mass_g=mass) for t in tias),
                tuple(model.rbe_weighted_dose_gy(t, mass_g=mass) for t in tias),
            )
        )
    meas_sigma = math.sqrt(math.log1p(cfg.retest.measurement_cv**2))
    calibration = float(np.exp(meas_sigma * rng_u.standard_normal()))

    ga68 = Injection(0, first, cfg.pet.activity_mbq, "Ga-68")
    retest = (
        Injection(0, first + timedelta(days=cfg.retest.days_after), cfg.pet.activity_mbq, "Ga-68")
        if cfg.retest.enabled
        else None
    )
    partial = VirtualPatient(
        pid,
        seed,
        cfg,
        demo,
        grade,
        body,
        body_volume,
        tuple(truths),
        features,
        {},
        injections,
        ga68,
        retest,
        calibration,
        (),
        _grid(body, cfg),
        model,
    )
    responses = _responses(partial, stream(seed, _STREAM_RESPONSE))
    scans = _scans(partial)
    return VirtualPatient(
        pid,
        seed,
        cfg,
        demo,
        grade,
        body,
        body_volume,
        tuple(truths),
        features,
        responses,
        injections,
        ga68,
        retest,
        calibration,
        scans,
        partial.grid,
        model,
    )


def _responses(p: VirtualPatient, rng: np.random.Generator) -> dict[str, LesionResponse]:
    model = p.config.response
    growth_base = model.growth_per_month_by_grade[p.grade - 1]
    rbe = p.therapy_nuclide == "Ac-225"
    out: dict[str, LesionResponse] = {}
    start = p.injections[0].time
    for lesion in p.lesions:
        shape = lesion.region.ellipsoid
        ld0 = shape.longest_axial_diameter_mm
        growth = growth_base * float(np.exp(0.3 * rng.standard_normal()))
        effect = model.sigma_lesion * float(rng.standard_normal())
        days = tuple(7.0 * w for w in model.followup_weeks)
        doses, changes, true_ld, measured = [], [], [], []
        for day in days:
            when = start + timedelta(days=day)
            dose = p.cumulative_dose_gy(lesion.name, until=when, rbe=rbe)
            change = model.true_change(
                months=day / _DAYS_PER_MONTH,
                dose_gy=dose,
                suv=lesion.ga68_suvmean,
                growth_per_month=growth,
                lesion_effect=effect,
            )
            ld = ld0 * max(0.0, 1.0 + change)
            doses.append(dose)
            changes.append(change)
            true_ld.append(ld)
            measured.append(model.measured_diameter_mm(ld, rng))
        out[lesion.name] = LesionResponse(
            ld0,
            shape.short_axial_diameter_mm,
            days,
            tuple(doses),
            tuple(changes),
            tuple(true_ld),
            tuple(measured),
            effect,
            growth,
        )
    return out


def spect_series_name(cycle: int, hours: float) -> str:
    """Folder name of a SPECT series: ``spect_c<cycle>_<hours>h`` (``p`` for a point).

    Examples
    --------
    >>> spect_series_name(1, 4.0), spect_series_name(2, 4.5)
    ('spect_c1_004h', 'spect_c2_004p5h')
    """
    whole = int(hours)
    text = f"{whole:03d}"
    if hours != whole:
        text += "p" + f"{hours - whole:.3f}"[2:].rstrip("0")
    return f"spect_c{cycle}_{text}h"


def _scans(p: VirtualPatient) -> tuple[ScanPlan, ...]:
    cfg = p.config
    pet_start = p.ga68.time + timedelta(minutes=cfg.pet.uptake_time_min)
    plans = [
        ScanPlan("ct", "ct", "CT", pet_start - timedelta(minutes=2), None, None),
        ScanPlan("pet_ga68", "pet", "PT", pet_start, p.ga68, cfg.pet.scanner),
    ]
    if p.ga68_retest is not None:
        plans.append(
            ScanPlan(
                "pet_ga68_retest",
                "pet_retest",
                "PT",
                p.ga68_retest.time + timedelta(minutes=cfg.pet.uptake_time_min),
                p.ga68_retest,
                cfg.pet.scanner,
            )
        )
    for inj in p.injections:
        if inj.cycle not in cfg.therapy.cycles_imaged():
            continue
        for hours in cfg.therapy.spect_times_h:
            plans.append(
                ScanPlan(
                    spect_series_name(inj.cycle, hours),
                    "spect",
                    "NM",
                    inj.time + timedelta(hours=hours),
                    inj,
                    cfg.therapy.scanner,
                    cycle=inj.cycle,
                    hours_post_injection=hours,
                )
            )
    if cfg.followup_ct:
        for week in cfg.response.followup_weeks:
            plans.append(
                ScanPlan(
                    f"ct_followup_w{round(week):02d}",
                    "ct_followup",
                    "CT",
                    p.injections[0].time + timedelta(days=7.0 * week),
                    None,
                    None,
                    week=week,
                )
            )
    return tuple(plans)
