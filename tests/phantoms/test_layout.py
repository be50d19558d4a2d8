"""Organ and lesion placement over many seeds: no overlaps, lesions inside their hosts."""

from __future__ import annotations

import numpy as np
import pytest

from theratrial.phantoms.anatomy import ellipsoid_overlaps, ellipsoid_within
from theratrial.phantoms.patient import generate_patient

SEEDS = list(range(0, 60, 3))


@pytest.mark.parametrize("seed", SEEDS)
def test_regions_do_not_overlap_and_lesions_stay_in_hosts(seed: int) -> None:
    p = generate_patient(seed)
    regions = [r.region for r in p.regions if r.name != "body"]
    by_name = {r.name: r for r in regions}
    for i, a in enumerate(regions):
        if a.parent is not None:
            assert ellipsoid_within(a.ellipsoid, by_name[a.parent].ellipsoid), a.name
        for b in regions[i + 1 :]:
            if a.name in (b.parent,) or b.name in (a.parent,):
                continue
            assert not ellipsoid_overlaps(a.ellipsoid, b.ellipsoid), (a.name, b.name)


@pytest.mark.parametrize("seed", SEEDS)
def test_organs_lie_inside_the_body_outline(seed: int) -> None:
    p = generate_patient(seed)
    for r in p.regions:
        if r.name == "body":
            continue
        pts = r.region.ellipsoid.surface_points(300)
        ax, ay = p.body.semi_axes_at(pts[:, 2])
        q = (pts[:, 0] / np.maximum(ax, 1e-9)) ** 2 + (pts[:, 1] / np.maximum(ay, 1e-9)) ** 2
        assert np.all((ax > 0) & (q <= 1.0)), r.name


def test_every_patient_has_measurable_disease() -> None:
    for seed in range(40):
        assert generate_patient(seed).lesions
