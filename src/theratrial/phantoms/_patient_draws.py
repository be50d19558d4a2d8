"""Draws and derived quantities of one virtual patient, used by ``generate_patient``.

Demographics (height, BMI and age of adult NET patients), the lesion counts, the grid
that follows the patient's height, the analytic region volumes, the pseudonymous id and
the lesion responses to the delivered dose (:class:`theratrial.phantoms.response.
ResponseModel`; RECIST 1.1 longest diameters, Eisenhauer et al., Eur J Cancer 2009;45:228).

Examples
--------
>>> import numpy as np
>>> draw_demographics(np.random.default_rng(0)).sex in ("M", "F")
True
>>> pseudonym("VP-000001")
'VP-000001'
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from theratrial.ids import check_pseudonym
from theratrial.phantoms._layout import Demographics, LesionCounts
from theratrial.phantoms._patient_types import LesionResponse, VirtualPatient
from theratrial.phantoms.anatomy import BodyOutline, Region
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.grid import Grid
from theratrial.phantoms.uptake import LogNormal

__all__ = [
    "draw_demographics",
    "draw_lesion_counts",
    "lesion_responses",
    "patient_grid",
    "pseudonym",
    "region_volumes",
]

_DAYS_PER_MONTH = 30.4375


def draw_demographics(rng: np.random.Generator) -> Demographics:
    """Sex, age (years), height (cm) and weight (kg) of an adult NET patient."""
    sex = "M" if rng.random() < 0.5 else "F"
    height = float(
        np.clip(rng.normal(176.0, 7.0) if sex == "M" else rng.normal(163.0, 6.5), 150.0, 198.0)
    )
    bmi = float(np.clip(LogNormal(25.0, 0.15).draw_one(rng), 17.5, 38.0))
    weight = round(bmi * (height / 100.0) ** 2, 1)
    age = int(np.clip(round(rng.normal(62.0, 11.0)), 30, 85))
    return Demographics(sex, age, round(height, 1), weight)


def patient_grid(body: BodyOutline, config: PhantomConfig) -> Grid:
    """The voxel grid: configured shape and field of view, z from pelvis to vertex."""
    nz, ny, nx = config.grid.shape_zyx
    fov = config.grid.fov_xy_mm
    low, high = body.z_range_mm
    z0, z1 = low - config.grid.z_margin_mm, high + config.grid.z_margin_mm
    dz = (z1 - z0) / nz
    dx, dy = fov / nx, fov / ny
    return Grid((nz, ny, nx), (dx, dy, dz), (-fov / 2 + dx / 2, -fov / 2 + dy / 2, z0 + dz / 2))


def draw_lesion_counts(rng: np.random.Generator, config: PhantomConfig) -> LesionCounts:
    """Lesions per type (Poisson, capped); at least one, as trial patients need one."""
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


def region_volumes(regions: list[Region], body: BodyOutline) -> tuple[dict[str, float], float]:
    """Analytic volumes (mL) of the regions less their lesions, and of the body remainder."""
    volumes = {r.name: r.ellipsoid.volume_ml for r in regions}
    for r in regions:
        if r.parent is not None:
            volumes[r.parent] -= r.ellipsoid.volume_ml
    top = sum(r.ellipsoid.volume_ml for r in regions if r.parent is None)
    return volumes, body.volume_ml - top


def pseudonym(patient_id: str) -> str:
    """A patient id fit for (0010,0020) Patient ID and file names: a pseudonym, not a name.

    The one rule of :func:`theratrial.ids.check_pseudonym` (raises ``ParameterError``).
    """
    return check_pseudonym(patient_id, field="patient_id")


def lesion_responses(p: VirtualPatient, rng: np.random.Generator) -> dict[str, LesionResponse]:
    """Each lesion's follow-up under the response model, from its cumulative dose."""
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
