"""Dispensing activity at calibration and net administered activity."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from theratrial.errors import ParameterError
from theratrial.nuclides import nuclide
from theratrial.treatment.dispensing import dispensing_activity, net_administered_activity_mbq

ADMIN = datetime(2026, 3, 2, 10, 0)


def test_calibration_before_administration_needs_more_activity() -> None:
    half = nuclide("Lu-177").half_life_h
    order = dispensing_activity(
        7400.0, nuclide="Lu-177", administration_time=ADMIN,
        calibration_time=ADMIN - timedelta(hours=half),
    )  # fmt: skip
    assert order.activity_at_calibration_mbq == pytest.approx(14800.0)
    assert order.decay_factor == pytest.approx(0.5)


def test_calibration_after_administration_needs_less() -> None:
    order = dispensing_activity(
        8.0,
        nuclide="Ac-225",
        administration_time=ADMIN,
        calibration_time=ADMIN + timedelta(days=10),
    )
    assert order.activity_at_calibration_mbq == pytest.approx(4.0, rel=1e-6)


def test_net_administered_activity_decays_both_measurements() -> None:
    lam = math.log(2) / nuclide("Lu-177").half_life_h
    net = net_administered_activity_mbq(
        7600.0, measured_before=ADMIN - timedelta(hours=2), residual_mbq=150.0,
        measured_residual=ADMIN + timedelta(hours=3), administration_time=ADMIN, nuclide="Lu-177",
    )  # fmt: skip
    assert net == pytest.approx(7600.0 * math.exp(-2 * lam) - 150.0 * math.exp(3 * lam))


def test_bad_dispensing_inputs() -> None:
    with pytest.raises(ParameterError):
        dispensing_activity(
            0.0, nuclide="Lu-177", administration_time=ADMIN, calibration_time=ADMIN
        )
    with pytest.raises(ParameterError, match="10 half-lives"):
        dispensing_activity(
            7400.0, nuclide="Lu-177", administration_time=ADMIN,
            calibration_time=ADMIN - timedelta(days=400),
        )  # fmt: skip
    with pytest.raises(ParameterError, match="residual"):
        net_administered_activity_mbq(
            100.0, measured_before=ADMIN, residual_mbq=200.0, measured_residual=ADMIN,
            administration_time=ADMIN, nuclide="Lu-177",
        )  # fmt: skip
