"""Where the organs and lesions of a virtual patient go (private helper of anatomy).

Positions are set by the depth below the vertex as a fraction of body height
(anthropometric proportions of an adult: chin at 0.13 H, shoulders 0.18 H, liver dome
0.30 H, kidneys 0.39 H, pelvic floor 0.53 H), lateral and antero-posterior offsets in mm.
Organ sizes are reference sizes (ICRP Publication 89 adult volumes) scaled by the body
size and a lognormal factor per organ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from theratrial.phantoms.anatomy import (
    BodyOutline,
    Ellipsoid,
    Region,
    ellipsoid_overlaps,
    ellipsoid_within,
)

__all__ = ["Demographics", "LesionCounts", "build_body", "build_organs", "place_lesions"]

PERINEUM_FRACTION = 0.53
"""Vertex-to-pelvic-floor distance as a fraction of height."""


@dataclass(frozen=True, slots=True)
class Demographics:
    """Sex (``"M"``/``"F"``), age (years), height (cm) and weight (kg) of a patient."""

    sex: str
    age_y: int
    height_cm: float
    weight_kg: float

    @property
    def bmi(self) -> float:
        """Body-mass index (kg/m^2)."""
        return self.weight_kg / (self.height_cm / 100.0) ** 2


@dataclass(frozen=True, slots=True)
class LesionCounts:
    """How many lesions of each type a patient has."""

    liver: int
    node: int
    bone: int
    primary: int


# name: (type, depth fraction, x mm, y mm, semi-axes mm, angle deg, density, HU)
_ORGANS: tuple[
    tuple[str, str, float, float, float, tuple[float, float, float], float, float, float], ...
] = (
    ("brain", "brain", 0.055, 0.0, 5.0, (60.0, 75.0, 55.0), 0.0, 1.04, 35.0),
    ("pituitary", "pituitary", 0.088, 0.0, 5.0, (6.0, 5.0, 4.0), 0.0, 1.03, 45.0),
    ("parotid_left", "parotid", 0.105, 46.0, 12.0, (10.0, 20.0, 24.0), 0.0, 1.03, 20.0),
    ("parotid_right", "parotid", 0.105, -46.0, 12.0, (10.0, 20.0, 24.0), 0.0, 1.03, 20.0),
    (
        "submandibular_left",
        "submandibular",
        0.118,
        33.0,
        -22.0,
        (10.0, 13.0, 12.0),
        0.0,
        1.03,
        35.0,
    ),
    (
        "submandibular_right",
        "submandibular",
        0.118,
        -33.0,
        -22.0,
        (10.0, 13.0, 12.0),
        0.0,
        1.03,
        35.0,
    ),
    ("lung_left", "lung", 0.245, 80.0, 0.0, (55.0, 70.0, 85.0), 0.0, 0.26, -750.0),
    ("lung_right", "lung", 0.245, -80.0, 0.0, (55.0, 70.0, 85.0), 0.0, 0.26, -750.0),
    ("bone_marrow", "bone_marrow", 0.32, 0.0, 72.0, (20.0, 17.0, 227.0), 0.0, 1.18, 250.0),
    ("liver", "liver", 0.335, -60.0, -15.0, (85.0, 70.0, 58.0), 0.0, 1.06, 60.0),
    ("spleen", "spleen", 0.335, 85.0, 30.0, (25.0, 40.0, 45.0), 30.0, 1.06, 50.0),
    ("adrenal_left", "adrenal", 0.352, 36.0, 55.0, (6.0, 10.0, 20.0), 0.0, 1.03, 25.0),
    ("adrenal_right", "adrenal", 0.357, -36.0, 55.0, (6.0, 10.0, 20.0), 0.0, 1.03, 25.0),
    ("kidney_left", "kidney", 0.385, 70.0, 42.0, (30.0, 22.0, 55.0), 20.0, 1.05, 35.0),
    ("kidney_right", "kidney", 0.395, -70.0, 42.0, (30.0, 22.0, 55.0), -20.0, 1.05, 35.0),
    ("bladder", "bladder", 0.50, 0.0, -30.0, (40.0, 35.0, 30.0), 0.0, 1.02, 5.0),
)

# Organ pairs that may touch after size jitter, pushed apart (second moves) if they do.
_NEIGHBOURS = (
    ("liver", "kidney_right"),
    ("liver", "adrenal_right"),
    ("liver", "lung_right"),
    ("liver", "bone_marrow"),
    ("spleen", "kidney_left"),
    ("spleen", "lung_left"),
    ("spleen", "adrenal_left"),
    ("bone_marrow", "adrenal_left"),
    ("bone_marrow", "adrenal_right"),
    ("bone_marrow", "kidney_left"),
    ("bone_marrow", "kidney_right"),
    ("bone_marrow", "lung_left"),
    ("bone_marrow", "lung_right"),
    ("kidney_left", "adrenal_left"),
    ("kidney_right", "adrenal_right"),
    ("brain", "pituitary"),
    ("brain", "parotid_left"),
    ("brain", "parotid_right"),
    ("brain", "submandibular_left"),
    ("brain", "submandibular_right"),
    ("parotid_left", "submandibular_left"),
    ("parotid_right", "submandibular_right"),
)


def _vertex_z(demo: Demographics) -> float:
    return PERINEUM_FRACTION * demo.height_cm * 10.0


def build_body(demo: Demographics) -> BodyOutline:
    """The body outline of a patient of this height and body-mass index."""
    h = demo.height_cm * 10.0
    width = math.sqrt(demo.bmi / 23.0)
    vertex = _vertex_z(demo)
    trunk = (max(165.0 * width, 165.0), max(110.0 * width**1.2, 108.0))
    return BodyOutline(
        vertex_z_mm=vertex,
        head_semi_mm=(78.0, 98.0, 0.072 * h),
        neck_semi_mm=(max(55.0 * width, 52.0), max(55.0 * width, 52.0)),
        neck_z_mm=(vertex - 0.19 * h, vertex - 0.12 * h),
        trunk_semi_mm=trunk,
        trunk_z_mm=(0.0, vertex - 0.18 * h),
    )


_HEAD_ORGANS = ("brain", "pituitary", "parotid", "submandibular")


def build_organs(
    demo: Demographics, body: BodyOutline, rng: np.random.Generator, *, size_cv: float
) -> list[Region]:
    """Organs at their anatomical places, sizes drawn around the reference.

    Head organs scale with height only, trunk organs with height and weight; an organ
    that would cross the body outline is shrunk about its centre until it fits.
    """
    h = demo.height_cm * 10.0
    vertex = _vertex_z(demo)
    length = h / 1750.0
    body_factor = (demo.weight_kg / 70.0) ** 0.4 * (demo.height_cm / 175.0)
    sigma = math.sqrt(math.log1p(size_cv**2))
    regions: list[Region] = []
    factors: dict[str, float] = {}
    for name, rtype, depth, x, y, semi, angle, density, hu in _ORGANS:
        # paired organs share most of their size factor
        key = rtype if name.endswith(("_left", "_right")) else name
        if key not in factors:
            size = demo.height_cm / 175.0 if rtype in _HEAD_ORGANS else body_factor
            factors[key] = size * math.exp(sigma * rng.standard_normal())
        own = math.exp(0.3 * sigma * rng.standard_normal())
        scale = (factors[key] * own) ** (1.0 / 3.0)
        if name == "bone_marrow":  # the spine: its length follows height, its section not
            a, b, c = semi[0] * scale, semi[1] * scale, semi[2] * length
        else:
            a, b, c = semi[0] * scale, semi[1] * scale, semi[2] * scale
        jitter = rng.normal(0.0, 3.0, size=3) if name != "bone_marrow" else np.zeros(3)
        centre = (x + float(jitter[0]), y + float(jitter[1]), vertex - depth * h + float(jitter[2]))
        regions.append(
            Region(name, rtype, "organ", Ellipsoid(centre, (a, b, c), angle), density, hu)
        )
    separated = _separate(regions)
    return [_fit_inside(r, body) for r in separated]


def _fit_inside(region: Region, body: BodyOutline) -> Region:
    shape = region.ellipsoid
    for _ in range(40):
        if _inside_body(shape, body, margin_mm=2.0):
            break
        shape = shape.scaled(0.97)
    return replace(region, ellipsoid=shape)


def _separate(regions: list[Region]) -> list[Region]:
    by_name = {r.name: r for r in regions}
    for fixed_name, moving_name in _NEIGHBOURS:
        fixed = by_name[fixed_name].ellipsoid
        moving = by_name[moving_name]
        shape = moving.ellipsoid
        direction = np.asarray(shape.centre_mm) - np.asarray(fixed.centre_mm)
        norm = float(np.linalg.norm(direction))
        unit = direction / norm if norm > 0 else np.array([0.0, 0.0, -1.0])
        for _ in range(60):
            if not ellipsoid_overlaps(fixed, shape, gap_mm=3.0):
                break
            shape = shape.moved(*(2.0 * unit))
        by_name[moving_name] = replace(moving, ellipsoid=shape)
    return [by_name[r.name] for r in regions]


def _inside_body(e: Ellipsoid, body: BodyOutline, *, margin_mm: float) -> bool:
    pts = e.surface_points(300)
    ax, ay = body.semi_axes_at(pts[:, 2])
    ok = (ax > margin_mm) & (ay > margin_mm)
    q = (pts[:, 0] / np.maximum(ax - margin_mm, 1e-9)) ** 2 + (
        pts[:, 1] / np.maximum(ay - margin_mm, 1e-9)
    ) ** 2
    return bool(np.all(ok & (q <= 1.0)))


def _lesion_shape(
    rng: np.random.Generator, centre: tuple[float, float, float], diameter_mm: float
) -> Ellipsoid:
    r = diameter_mm / 2.0
    b = r * (0.75 + 0.25 * rng.random())
    c = r * (0.7 + 0.3 * rng.random())
    return Ellipsoid(centre, (r, b, c), float(rng.uniform(0.0, 180.0)))


def place_lesions(
    demo: Demographics,
    organs: list[Region],
    body: BodyOutline,
    counts: LesionCounts,
    diameters_mm: dict[str, list[float]],
    rng: np.random.Generator,
    *,
    densities: dict[str, float],
    hus: dict[str, float],
    profile_beta: float,
) -> list[Region]:
    """Place lesions by rejection sampling; a lesion that finds no room is left out.

    Liver lesions lie inside the liver and bone lesions inside the spine (the bone-marrow
    region); nodes and the primary lie in the abdomen, clear of every organ and lesion.
    """
    by_name = {r.name: r for r in organs}
    h = demo.height_cm * 10.0
    vertex = _vertex_z(demo)
    placed: list[Region] = []
    taken: list[Ellipsoid] = []

    def clear_of_all(e: Ellipsoid, *, host: str | None) -> bool:
        others = [r.ellipsoid for r in organs if r.name != host] + taken
        return not any(ellipsoid_overlaps(e, o, gap_mm=3.0) for o in others)

    plan = [("liver", i) for i in range(counts.liver)]
    plan += [("node", i) for i in range(counts.node)]
    plan += [("bone", i) for i in range(counts.bone)]
    plan += [("primary", i) for i in range(counts.primary)]
    numbers = {"liver": 0, "node": 0, "bone": 0, "primary": 0}
    for kind, index in plan:
        diameter = diameters_mm[kind][index]
        host = {"liver": "liver", "bone": "bone_marrow"}.get(kind)
        for attempt in range(200):
            d = diameter * (0.97**attempt if attempt > 100 else 1.0)
            if host is not None:
                he = by_name[host].ellipsoid
                u = rng.uniform(-0.8, 0.8, size=3)
                a, b, c = he.semi_axes_mm
                centre = (
                    he.centre_mm[0] + float(u[0]) * a,
                    he.centre_mm[1] + float(u[1]) * b,
                    he.centre_mm[2] + float(u[2]) * c,
                )
                shape = _lesion_shape(rng, centre, d)
                ok = ellipsoid_within(shape, he, margin=0.03) and clear_of_all(shape, host=host)
            else:
                depth = rng.uniform(0.37, 0.47) if kind == "node" else rng.uniform(0.38, 0.45)
                centre = (
                    float(rng.uniform(-90.0, 90.0)),
                    float(rng.uniform(-70.0, 45.0)),
                    vertex - float(depth) * h,
                )
                shape = _lesion_shape(rng, centre, d)
                ok = _inside_body(shape, body, margin_mm=15.0) and clear_of_all(shape, host=None)
            if ok:
                numbers[kind] += 1
                name = f"lesion_{kind}_{numbers[kind]:02d}"
                placed.append(
                    Region(
                        name,
                        f"lesion_{kind}",
                        "lesion",
                        shape,
                        densities[kind],
                        hus[kind],
                        parent=host,
                        profile_beta=profile_beta,
                    )
                )
                taken.append(shape)
                break
    return placed
