"""Draws of one patient: demographics, lesion counts, grid, volumes, pseudonym."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from theratrial.errors import ParameterError
from theratrial.phantoms._patient_draws import (
    draw_demographics,
    draw_lesion_counts,
    patient_grid,
    pseudonym,
    region_volumes,
)
from theratrial.phantoms.config import PhantomConfig
from theratrial.phantoms.patient import generate_patient


def test_demographics_stay_in_their_clipped_ranges() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        d = draw_demographics(rng)
        assert 150.0 <= d.height_cm <= 198.0
        assert 30 <= d.age_y <= 85
        assert 17.4 <= d.bmi <= 38.1


def test_a_patient_always_has_a_lesion() -> None:
    cfg = PhantomConfig()
    none = replace(
        cfg,
        lesions=replace(
            cfg.lesions, mean_liver=0.0, mean_node=0.0, mean_bone=0.0, primary_probability=0.0
        ),
    )
    counts = draw_lesion_counts(np.random.default_rng(1), none)
    assert (counts.liver, counts.node, counts.bone, counts.primary) == (1, 0, 0, 0)


def test_grid_spans_the_patient_with_the_margin() -> None:
    p = generate_patient(4)
    grid = patient_grid(p.body, p.config)
    low, high = p.body.z_range_mm
    z = grid.axis_mm(2)
    dz = grid.spacing_xyz_mm[2]
    assert z[0] - dz / 2 == pytest.approx(low - p.config.grid.z_margin_mm)
    assert z[-1] + dz / 2 == pytest.approx(high + p.config.grid.z_margin_mm)


def test_region_volumes_remove_lesions_from_their_host() -> None:
    p = generate_patient(1)
    regions = [r.region for r in p.regions if r.name != "body"]
    volumes, body = region_volumes(regions, p.body)
    hosted = [r for r in regions if r.parent == "liver"]
    assert hosted
    liver = next(r for r in regions if r.name == "liver")
    expected = liver.ellipsoid.volume_ml - sum(r.ellipsoid.volume_ml for r in hosted)
    assert volumes["liver"] == pytest.approx(expected)
    assert body == pytest.approx(p.body_volume_ml)


@pytest.mark.parametrize("bad", ["", "John Smith", "A^B", "a/b", "x" * 65])
def test_identifiers_that_are_not_pseudonyms_are_refused(bad: str) -> None:
    with pytest.raises(ParameterError):
        pseudonym(bad)
