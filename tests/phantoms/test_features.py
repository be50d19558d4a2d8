"""Lesion features: the stated signs of the generating effects."""

from __future__ import annotations

import numpy as np

from theratrial.phantoms.anatomy import Ellipsoid, Region
from theratrial.phantoms.features import FEATURE_MODEL, draw_lesion_features


def _lesions(n: int) -> list[Region]:
    shape = Ellipsoid((0.0, 0.0, 0.0), (10.0, 10.0, 10.0))
    return [
        Region(f"lesion_liver_{i:02d}", "lesion_liver", "lesion", shape, 1.04, 35.0)
        for i in range(n)
    ]


def test_fdg_falls_and_adc_rises_with_differentiation() -> None:
    rng = np.random.default_rng(2)
    feats = [f for _ in range(200) for f in draw_lesion_features(_lesions(5), 2, rng).values()]
    d = np.array([f.differentiation for f in feats])
    fdg = np.log([f.fdg_suvmax for f in feats])
    adc = np.log([f.adc_mean_1e3_mm2_s for f in feats])
    assert np.corrcoef(d, fdg)[0, 1] < -0.6
    assert np.corrcoef(d, adc)[0, 1] > 0.4


def test_grade_three_lowers_differentiation_and_raises_fdg() -> None:
    rng = np.random.default_rng(4)
    g1 = [f for _ in range(300) for f in draw_lesion_features(_lesions(3), 1, rng).values()]
    g3 = [f for _ in range(300) for f in draw_lesion_features(_lesions(3), 3, rng).values()]
    assert np.mean([f.differentiation for f in g1]) > np.mean([f.differentiation for f in g3])
    assert np.median([f.fdg_suvmax for f in g3]) > 1.5 * np.median([f.fdg_suvmax for f in g1])
    assert "fdg_suvmax" in FEATURE_MODEL
