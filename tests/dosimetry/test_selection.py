"""Model selection: AICc with Akaike weights; simplest shape or F-test for sparse data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theratrial.dosimetry.fit import FALLBACK
from theratrial.dosimetry.selection import select_model
from theratrial.dosimetry.tac import time_activity_curve


def _curve(terms: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    return np.asarray(np.sum([a * np.exp(-lam * t) for a, lam in terms], axis=0))


TRUE_CURVES = {"bi_exponential": ([(40.0, 0.3), (80.0, 0.02)], 40 / 0.3 + 80 / 0.02)}


def test_selection_prefers_the_true_model_with_noise() -> None:
    rng = np.random.default_rng(3)
    terms, _ = TRUE_CURVES["bi_exponential"]
    t = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 24.0, 48.0, 72.0, 96.0, 168.0, 240.0])
    a = _curve(terms, t) * (1 + 0.02 * rng.standard_normal(t.size))
    selection = select_model(time_activity_curve(t, a))
    assert selection.best is not None
    assert selection.best.model == "bi_exponential"
    assert selection.criterion == "AICc"
    finite = [w for w in selection.akaike_weights if not math.isnan(w)]
    assert sum(finite) == pytest.approx(1.0)


def test_selection_with_few_points_keeps_the_simplest_shape() -> None:
    t = np.array([4.0, 24.0, 96.0, 168.0])
    falling = select_model(time_activity_curve(t, 60 * np.exp(-0.0139 * t)))
    assert falling.best is not None
    assert falling.best.model == "mono_exponential"
    assert falling.criterion == "fewest parameters"
    rising = select_model(time_activity_curve(t, [10.0, 14.0, 11.0, 7.0]))
    assert rising.best is not None
    assert rising.best.model == "uptake_washout"
    assert any("uptake phase" in w for w in rising.warnings)


@pytest.mark.parametrize(
    ("times", "activities"),
    [([24.0], [50.0]), ([4.0, 24.0, 96.0], [10.0, 20.0, 30.0])],
)
def test_no_usable_fit_names_the_fallback(times: list[float], activities: list[float]) -> None:
    selection = select_model(time_activity_curve(times, activities))
    assert selection.best is None
    assert selection.fallback == FALLBACK
    assert "falling back" in selection.warnings[0]


def test_f_test_favours_the_uptake_model_on_spleen_like_data() -> None:
    t = np.array([4.0, 24.0, 96.0, 168.0])
    spleen_like = [50.3, 46.93, 18.44, 7.25]  # decays from 4 h, slow uptake still visible
    chosen = select_model(time_activity_curve(t, spleen_like))
    assert chosen.best is not None
    assert chosen.criterion == "F-test"
    assert chosen.best.model == "uptake_washout"
    mono = next(f for f in chosen.candidates if f.model == "mono_exponential")
    assert chosen.best.weighted_rss < mono.weighted_rss / 161.0  # F(1, 1) 5 % point
