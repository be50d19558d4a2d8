"""Time-activity fits: recovery of known curves, reports, AICc selection, ill-posed data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theratrial.dosimetry.fit import FALLBACK, MODEL_NAMES, aicc, fit_tac
from theratrial.dosimetry.tac import time_activity_curve
from theratrial.errors import ParameterError

LAM_P = math.log(2) / (6.647 * 24)
T8 = np.array([1.0, 4.0, 24.0, 48.0, 72.0, 96.0, 168.0, 240.0])

TRUE_CURVES = {
    "mono_exponential": ([(100.0, 0.0139)], 100.0 / 0.0139),
    "bi_exponential": ([(40.0, 0.3), (80.0, 0.02)], 40 / 0.3 + 80 / 0.02),
    "uptake_washout": ([(100.0, 0.01), (-100.0, 0.2)], 100 / 0.01 - 100 / 0.2),
    "tri_exponential": (
        [(60.0, 0.05), (50.0, 0.008), (-110.0, 0.5)],
        60 / 0.05 + 50 / 0.008 - 110 / 0.5,
    ),
}


def _curve(terms: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    return np.sum([a * np.exp(-lam * t) for a, lam in terms], axis=0)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_each_model_recovers_its_own_exact_curve(model: str) -> None:
    terms, tia_true = TRUE_CURVES[model]
    tac = time_activity_curve(T8, _curve(terms, T8), region="r")
    fit = fit_tac(tac, model)
    assert fit.success, fit.message
    assert fit.tia_mbq_h == pytest.approx(tia_true, rel=1e-5)
    assert np.allclose(fit.evaluate(T8), _curve(terms, T8), rtol=1e-5)
    assert max(abs(r) for r in fit.residuals_mbq) < 1e-4
    assert fit.fallback is None


def test_fit_report_has_parameters_with_standard_errors() -> None:
    rng = np.random.default_rng(7)
    a = _curve([(100.0, 0.0139)], T8) * (1 + 0.05 * rng.standard_normal(T8.size))
    fit = fit_tac(time_activity_curve(T8, a), "mono_exponential")
    values, errors = fit.parameter_values(), fit.standard_errors()
    assert set(values) == {"a_mbq", "lambda_per_h"}
    assert values["lambda_per_h"] == pytest.approx(0.0139, rel=0.1)
    assert 0 < errors["lambda_per_h"] < 0.2 * values["lambda_per_h"]
    assert abs(values["lambda_per_h"] - 0.0139) < 4 * errors["lambda_per_h"]
    assert 0 < fit.tia_se_mbq_h < 0.2 * fit.tia_mbq_h
    assert len(fit.residuals_mbq) == T8.size
    assert math.isfinite(fit.aicc)


def test_decay_constants_never_below_physical_decay() -> None:
    # activity decaying more slowly than physics allows (e.g. mis-calibrated data)
    a = 100.0 * np.exp(-0.5 * LAM_P * T8)
    fit = fit_tac(time_activity_curve(T8, a), "mono_exponential")
    assert fit.success
    assert fit.decay_constants_per_h[0] == pytest.approx(LAM_P, rel=1e-6)
    assert any("physical-decay bound" in w for w in fit.warnings)


def test_aicc_formula() -> None:
    n, p, wrss = 8, 2, 0.05
    k = p + 1
    expected = n * math.log(wrss / n) + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    assert aicc(wrss, n, p) == pytest.approx(expected)
    assert math.isnan(aicc(wrss, 4, 2))


@pytest.mark.parametrize(
    ("times", "activities", "reason"),
    [
        ([24.0], [50.0], "too few points"),
        ([4.0, 24.0, 96.0], [10.0, 20.0, 30.0], "non-decaying"),
        ([4.0, 24.0, 96.0], [10.0, 10.0, 10.0], "non-decaying"),
    ],
)
def test_ill_posed_data_report_failure_and_fallback(
    times: list[float], activities: list[float], reason: str
) -> None:
    fit = fit_tac(time_activity_curve(times, activities), "mono_exponential")
    assert not fit.success
    assert reason in fit.message
    assert fit.fallback == FALLBACK
    assert math.isnan(fit.tia_mbq_h)


def test_overparameterised_model_on_simple_data_is_flagged() -> None:
    a = _curve([(100.0, 0.0139)], T8)
    fit = fit_tac(time_activity_curve(T8, a), "bi_exponential")
    assert not fit.success
    assert "collapses" in fit.message or "identified" in fit.message


def test_unknown_model_or_weighting_is_a_programming_error() -> None:
    tac = time_activity_curve(T8, _curve([(1.0, 0.1)], T8))
    with pytest.raises(ParameterError):
        fit_tac(tac, "quadratic")
    with pytest.raises(ParameterError):
        fit_tac(tac, "mono_exponential", weighting="poisson")


def test_uniform_weighting_also_fits() -> None:
    terms, tia_true = TRUE_CURVES["mono_exponential"]
    fit = fit_tac(time_activity_curve(T8, _curve(terms, T8)), weighting="uniform")
    assert fit.success
    assert fit.tia_mbq_h == pytest.approx(tia_true, rel=1e-6)


def test_a_phase_seen_at_one_time_point_only_is_not_identifiable() -> None:
    # 4, 24, 96, 168 h: the fast phase (rate 1/h) is 5.5 MBq at 4 h and 4e-8 MBq at 24 h, so
    # A1 exp(-4 lambda1) = 5.5 is all the data say about it. Every (A1, lambda1) on that curve
    # fits exactly, with A1 / lambda1 anywhere from 40 to beyond 10,000 MBq h: the fit is
    # rejected instead of returning an arbitrary integral.
    t = np.array([4.0, 24.0, 96.0, 168.0])
    a = _curve([(300.0, 1.0), (80.0, LAM_P + 0.002)], t)
    fit = fit_tac(time_activity_curve(t, a, region="kidney"), "bi_exponential")
    assert not fit.success
    assert "one value" in fit.message
    assert "0.1 %" in fit.message
    assert fit.fallback == FALLBACK


def test_a_fast_phase_seen_at_two_time_points_is_kept() -> None:
    # the same curve sampled at 1 and 4 h as well: the fast phase shows at 1 h and 4 h
    t = np.array([1.0, 4.0, 24.0, 96.0, 168.0])
    terms = [(300.0, 1.0), (80.0, LAM_P + 0.002)]
    fit = fit_tac(time_activity_curve(t, _curve(terms, t), region="kidney"), "bi_exponential")
    assert fit.success, fit.message
    assert fit.tia_mbq_h == pytest.approx(300.0 / 1.0 + 80.0 / (LAM_P + 0.002), rel=1e-5)
