"""wSD, wCV, RC and their relations (Bland & Altman 1996; Raunig et al. 2015)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from theratrial.stats import RC_FACTOR, repeatability


def _simulate(seed: int, n: int, k: int, wsd: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(50.0, 10.0, size=(n, 1)) + rng.normal(0.0, wsd, size=(n, k))


def test_rc_factor_is_2_77() -> None:
    assert pytest.approx(2.77, abs=0.002) == RC_FACTOR


def test_two_scans_wsd_from_differences() -> None:
    x = _simulate(0, 25, 2, 2.0)
    d = x[:, 1] - x[:, 0]
    r = repeatability(x)
    assert r.wsd == pytest.approx(math.sqrt(np.sum(d**2) / (2 * len(d))))
    assert r.rc == pytest.approx(1.96 * math.sqrt(2) * r.wsd)
    assert r.mean_difference == pytest.approx(d.mean())
    assert r.paired_t_p_value == pytest.approx(stats.ttest_rel(x[:, 1], x[:, 0]).pvalue)
    assert r.bland_altman is not None
    assert r.bland_altman.bias == pytest.approx(d.mean())


def test_k_repeats_wsd_is_the_anova_within_mean_square() -> None:
    x = _simulate(1, 12, 4, 1.5)
    groups = list(x)
    # one-way ANOVA: within mean square = MS_error
    f, _ = stats.f_oneway(*groups)
    grand = x.mean()
    msb = 4 * np.sum((x.mean(axis=1) - grand) ** 2) / 11
    r = repeatability(x)
    assert msb / r.wsd**2 == pytest.approx(f)
    assert r.mean_difference is None
    assert r.bland_altman is None
    assert r.k_repeats == 4


def test_wsd_interval_is_chi_square() -> None:
    x = _simulate(2, 20, 3, 1.0)
    r = repeatability(x)
    df = 40
    assert r.wsd_ci[0] == pytest.approx(r.wsd * math.sqrt(df / stats.chi2.ppf(0.975, df)))
    assert r.wsd_ci[1] == pytest.approx(r.wsd * math.sqrt(df / stats.chi2.ppf(0.025, df)))


def test_wcv_log_and_rms_methods() -> None:
    x = np.array([[10.0, 11.0], [20.0, 18.0], [5.0, 5.5], [40.0, 44.0]])
    r = repeatability(x)
    logs = np.log(x)
    s_log = math.sqrt(np.sum((logs[:, 1] - logs[:, 0]) ** 2) / 8)
    assert r.wsd_log == pytest.approx(s_log)
    assert r.wcv_pct == pytest.approx(100 * math.sqrt(math.exp(s_log**2) - 1))
    cv2 = x.var(axis=1, ddof=1) / x.mean(axis=1) ** 2
    assert r.wcv_rms_pct == pytest.approx(100 * math.sqrt(cv2.mean()))
    assert r.rc_relative_pct == pytest.approx(RC_FACTOR * r.wcv_pct)
    low, high = r.rc_ratio_limits_pct
    assert low == pytest.approx(100 * (math.exp(-RC_FACTOR * s_log) - 1))
    assert high == pytest.approx(100 * (math.exp(RC_FACTOR * s_log) - 1))


def test_relative_measures_need_positive_values() -> None:
    r = repeatability([[-1.0, 1.0], [2.0, 2.5], [3.0, 2.0]])
    assert r.wcv_pct is None
    assert r.rc_ratio_limits_pct is None
    assert r.bland_altman_ratio is None


def test_large_sample_recovers_the_true_wsd() -> None:
    r = repeatability(_simulate(3, 2000, 2, 3.0))
    assert r.wsd == pytest.approx(3.0, rel=0.05)
    assert r.wsd_ci[0] < 3.0 < r.wsd_ci[1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 100.0))
def test_scaling_values_scales_wsd_but_not_wcv(seed: int, scale: float) -> None:
    x = np.abs(_simulate(seed, 8, 2, 2.0)) + 1.0
    a, b = repeatability(x), repeatability(x * scale)
    assert b.wsd == pytest.approx(a.wsd * scale, rel=1e-9)
    assert b.wcv_pct == pytest.approx(a.wcv_pct, rel=1e-9)
    assert b.icc["ICC(3,1)"].value == pytest.approx(a.icc["ICC(3,1)"].value, abs=1e-9)
