"""Ã: trapezoid with physical tail, fits, fallbacks and single-time-point methods."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theratrial.dosimetry.radiobiology import g_factor_mono_exponential
from theratrial.dosimetry.tac import time_activity_curve
from theratrial.dosimetry.tia import tia_trapezoid, time_integrated_activity
from theratrial.errors import ParameterError

LAM_P = math.log(2) / (6.647 * 24)


def test_trapezoid_parts_by_hand() -> None:
    tac = time_activity_curve([4.0, 24.0, 96.0, 168.0], [30.0, 25.0, 12.0, 6.0])
    result = tia_trapezoid(tac)
    parts = dict(result.parts_mbq_h)
    assert parts["head"] == pytest.approx(0.5 * 4 * 30)
    assert parts["samples"] == pytest.approx(27.5 * 20 + 18.5 * 72 + 9 * 72)
    assert parts["tail"] == pytest.approx(6.0 / LAM_P, rel=1e-3)
    assert result.tia_mbq_h == pytest.approx(sum(parts.values()))
    constant = tia_trapezoid(tac, head="constant")
    assert dict(constant.parts_mbq_h)["head"] == pytest.approx(4 * 30)


def test_trapezoid_converges_to_the_integral_of_physical_decay() -> None:
    t = np.linspace(0.0, 2000.0, 4001)
    tac = time_activity_curve(t, 50.0 * np.exp(-LAM_P * t))
    assert tia_trapezoid(tac).tia_mbq_h == pytest.approx(50.0 / LAM_P, rel=1e-4)


def test_last_two_tail_uses_the_observed_washout() -> None:
    tac = time_activity_curve([24.0, 96.0], [20.0, 5.0])
    lam = math.log(4.0) / 72.0
    assert dict(tia_trapezoid(tac, tail="last_two").parts_mbq_h)["tail"] == pytest.approx(5 / lam)


def test_auto_uses_the_fit_and_its_g_factor() -> None:
    t = np.array([4.0, 24.0, 72.0, 168.0])
    lam = math.log(2) / 50.0
    result = time_integrated_activity(time_activity_curve(t, 80 * np.exp(-lam * t)))
    assert result.method == "mono_exponential"
    assert result.fallback is None
    assert result.tia_mbq_h == pytest.approx(80 / lam, rel=1e-6)
    assert result.effective_half_life_h == pytest.approx(50.0, rel=1e-6)
    assert result.g_factor(repair_half_time_h=2.8) == pytest.approx(
        g_factor_mono_exponential(50.0, repair_half_time_h=2.8), rel=1e-6
    )


def test_failed_fit_falls_back_to_trapezoid_with_a_warning() -> None:
    tac = time_activity_curve([4.0, 24.0, 96.0], [10.0, 20.0, 30.0])
    result = time_integrated_activity(tac, method="bi_exponential")
    assert result.method == "trapezoid_physical_tail"
    assert result.fallback == "trapezoid_physical_tail"
    assert any("not usable" in w for w in result.warnings)
    assert 0 < result.g_factor(repair_half_time_h=2.8) < 1


def test_single_point_methods() -> None:
    tac = time_activity_curve([67.0], [50.0])
    hanscheid = time_integrated_activity(tac)
    assert hanscheid.method == "hanscheid"
    assert hanscheid.tia_mbq_h == pytest.approx(50.0 * 2 * 67.0 / math.log(2))
    madsen = time_integrated_activity(tac, population_half_life_h=67.0)
    assert madsen.method == "madsen"
    assert madsen.tia_mbq_h == pytest.approx(hanscheid.tia_mbq_h)
    assert madsen.g_factor(repair_half_time_h=2.8) == pytest.approx(
        g_factor_mono_exponential(67.0, repair_half_time_h=2.8)
    )


def test_bad_method_requests() -> None:
    several = time_activity_curve([4.0, 24.0], [2.0, 1.0])
    with pytest.raises(ParameterError):
        time_integrated_activity(several, method="simpson")
    with pytest.raises(ParameterError):
        time_integrated_activity(several, method="hanscheid")
    with pytest.raises(ParameterError):
        time_integrated_activity(time_activity_curve([24.0], [1.0]), method="madsen")
    with pytest.raises(ParameterError):
        tia_trapezoid(several, head="cubic")
