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
from datetime import datetime, timedelta

import numpy as np

from theratrial.errors import ParameterError
from theratrial.phantoms._layout import build_body, build_organs, place_lesions
from theratrial.phantoms._patient_draws import (
    draw_demographics,
    draw_lesion_counts,
    lesion_responses,
    patient_grid,
    pseudonym,
    region_volumes,
)
from theratrial.phantoms._patient_types import (
    Injection,
    LesionResponse,
    RegionTruth,
    ScanPlan,
    VirtualPatient,
)
from theratrial.phantoms._schedule import scan_plans
from theratrial.phantoms._schedule import spect_series_name as spect_series_name
from theratrial.phantoms.anatomy import Ellipsoid, Region
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.dose import dose_model
from theratrial.phantoms.features import draw_lesion_features
from theratrial.phantoms.kinetics import Kinetics, time_integrated_activity_mbq_h
from theratrial.phantoms.uptake import draw_kinetics

__all__ = [
    "Injection",
    "LesionResponse",
    "RegionTruth",
    "ScanPlan",
    "VirtualPatient",
    "generate_patient",
]

_STREAM_ANATOMY, _STREAM_UPTAKE, _STREAM_RESPONSE, _STREAM_NOISE = range(4)
_BASE_DATE = datetime(2024, 1, 8, 8, 30)
_START_SPAN_DAYS = 365
"""First 68Ga PET between 2024-01-08 and 2025-01-06 (by seed): every scan of a virtual
patient, follow-up CT at 48 weeks included, then lies in the past (before 2026), as the
store requires of a recorded administration (no date after today)."""
_BODY_SHAPE = Ellipsoid((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))  # placeholder: the body is an outline


def stream(seed: int, purpose: int) -> np.random.Generator:
    """An independent random generator for one purpose of one seed."""
    return np.random.default_rng(np.random.SeedSequence([seed, purpose]))


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
    pid = f"VP-{seed:06d}" if patient_id is None else pseudonym(patient_id)
    rng_a = stream(seed, _STREAM_ANATOMY)
    demo = draw_demographics(rng_a)
    body = build_body(demo)
    organs = build_organs(demo, body, rng_a, size_cv=cfg.organ_size_cv)
    counts = draw_lesion_counts(rng_a, cfg)
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
    volumes, body_volume = region_volumes(regions, body)

    rng_u = stream(seed, _STREAM_UPTAKE)
    grade = int(rng_u.choice([1, 2, 3], p=[0.35, 0.55, 0.10]))
    features = draw_lesion_features(lesions, grade, rng_u)
    activity = cfg.therapy.activity_for(demo.weight_kg)
    first = _BASE_DATE + timedelta(days=seed % _START_SPAN_DAYS)
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
        patient_grid(body, cfg),
        model,
    )
    responses = lesion_responses(partial, stream(seed, _STREAM_RESPONSE))
    scans = scan_plans(partial)
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
