"""Bland-Altman bias and limits of agreement (Bland & Altman 1986)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from theratrial.errors import ParameterError, TableError
from theratrial.stats import bland_altman

FIRST = np.array([10.0, 12.0, 9.0, 15.0, 20.0, 7.5])
SECOND = np.array([11.0, 12.5, 9.0, 16.5, 19.0, 8.0])


def test_bias_and_limits_by_hand() -> None:
    d = SECOND - FIRST
    ba = bland_altman(FIRST, SECOND)
    assert ba.bias == pytest.approx(d.mean())
    assert ba.sd_difference == pytest.approx(d.std(ddof=1))
    assert ba.loa_low == pytest.approx(d.mean() - 1.96 * d.std(ddof=1))
    assert ba.loa_high == pytest.approx(d.mean() + 1.96 * d.std(ddof=1))
    t = stats.t.ppf(0.975, len(d) - 1)
    se_limit = d.std(ddof=1) * math.sqrt(3 / len(d))
    assert ba.loa_high_ci == pytest.approx((ba.loa_high - t * se_limit, ba.loa_high + t * se_limit))
    assert ba.bias_ci[0] < ba.bias < ba.bias_ci[1]
    assert ba.means == pytest.approx(tuple((FIRST + SECOND) / 2))


def test_percent_and_ratio_scales() -> None:
    pct = bland_altman(FIRST, SECOND, scale="percent")
    assert pct.differences[0] == pytest.approx(100 * 1.0 / 10.5)
    ratio = bland_altman(FIRST, SECOND, scale="ratio")
    logs = np.log(SECOND / FIRST)
    assert ratio.bias == pytest.approx(math.exp(logs.mean()))
    assert ratio.loa_high == pytest.approx(math.exp(logs.mean() + 1.96 * logs.std(ddof=1)))
    assert ratio.differences[0] == pytest.approx(1.1)


def test_proportional_bias_is_detected() -> None:
    x = np.linspace(1.0, 100.0, 40)
    ba = bland_altman(x, 1.2 * x)
    assert ba.slope == pytest.approx(0.2 / 1.1)
    assert ba.slope_p_value < 1e-6


@pytest.mark.parametrize(
    ("first", "second", "kwargs", "error", "match"),
    [
        ([1.0, 2.0], [1.0, 2.0], {}, TableError, "at least 3 pairs"),
        ([1.0, 2.0, 3.0], [1.0, 2.0], {}, TableError, "3 first and 2 second"),
        ([1.0, np.nan, 3.0], [1.0, 2.0, 3.0], {}, TableError, "row 2"),
        ([1.0, -2.0, 3.0], [1.0, 2.0, 3.0], {"scale": "ratio"}, TableError, "row 2"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {"scale": "log"}, ParameterError, "unknown scale"),
    ],
)
def test_bad_input(
    first: list[float], second: list[float], kwargs: dict[str, str], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        bland_altman(first, second, **kwargs)  # type: ignore[arg-type]


# Bland & Altman (1986), Lancet 327:307-310, Table 1: peak expiratory flow (l/min) of 17
# subjects, first reading with the Wright and with the mini Wright meter.
WRIGHT = [494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427]
MINI = [512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451]


def test_published_peak_flow_example() -> None:
    # published: mean difference (Wright - mini) -2.1 l/min, SD of differences 38.8 l/min
    ba = bland_altman(MINI, WRIGHT)
    assert round(ba.bias, 1) == -2.1
    assert round(ba.sd_difference, 1) == 38.8
    assert ba.loa_low == pytest.approx(-2.1176 - 1.96 * 38.7651, abs=1e-3)
