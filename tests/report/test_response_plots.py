"""Figures of the response and statistics endpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from theratrial.report import response_plots as rp
from theratrial.response import assessment_from_dict, evaluate_recist_dict, lesion_changes
from theratrial.stats import (
    OutcomeAnalysis,
    analyse_lesions,
    bland_altman,
    calibration,
    roc_curve_points,
)

RECORD = [
    {
        "date": "2024-01-01",
        "lesions": [
            {"id": "L1", "organ": "liver", "measurement_mm": 40},
            {"id": "L2", "organ": "lung", "measurement_mm": 20},
        ],
    },
    {
        "date": "2024-02-26",
        "lesions": [{"id": "L1", "measurement_mm": 30}, {"id": "L2", "measurement_mm": 22}],
    },
]


def test_waterfall_sorts_bars_and_colours_by_response() -> None:
    fig = rp.waterfall_figure(
        [-50.0, 30.0, None, -5.0], labels=["a", "b", "c", "d"], categories=["PR", "PD", "NE", "SD"]
    )
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [30.0, -5.0, -50.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b", "d", "a"]
    assert to_hex(ax.patches[0].get_facecolor()) == "#d73027"  # PD red
    levels = sorted(line.get_ydata()[0] for line in ax.lines)
    assert levels == [-30.0, 0.0, 20.0]


def test_spider_adds_the_baseline_point() -> None:
    fig = rp.spider_figure({"P1": ([8.0, 16.0], [-20.0, None])})
    line = fig.axes[0].lines[0]
    assert list(line.get_xdata()) == [0.0, 8.0]
    assert list(line.get_ydata()) == [0.0, -20.0]


def test_spider_from_recist_objects() -> None:
    ev = evaluate_recist_dict(RECORD)
    fig = rp.spider_from_evaluation({"P1": ev})
    assert list(fig.axes[0].lines[0].get_ydata()) == [0.0, pytest.approx(-13.333333)]
    fig = rp.spider_from_lesions(lesion_changes(assessment_from_dict(RECORD)))
    assert [line.get_label() for line in fig.axes[0].lines[:2]] == ["L1", "L2"]


def test_bland_altman_lines_are_bias_and_limits() -> None:
    ba = bland_altman([10.0, 12.0, 9.0, 15.0], [11.0, 12.5, 9.0, 16.5])
    fig = rp.bland_altman_figure(ba, units="SUV")
    ys = sorted(line.get_ydata()[0] for line in fig.axes[0].lines)
    assert ys == pytest.approx(sorted([ba.loa_low, ba.bias, ba.loa_high]))
    assert fig.axes[0].get_ylabel() == "second - first (SUV)"


def test_roc_and_calibration_figures() -> None:
    y = np.array([0, 0, 1, 1, 0, 1, 1, 0], dtype=float)
    p = np.array([0.2, 0.1, 0.8, 0.7, 0.4, 0.6, 0.9, 0.3])
    fig = rp.roc_figure({"model": roc_curve_points(y, p)})
    assert fig.axes[0].get_xlabel() == "1 - specificity"
    fig = rp.calibration_figure(calibration(y, p, n_bins=2))
    assert len(fig.axes[0].collections) == 1


@pytest.fixture(scope="module")
def binary_analysis() -> tuple[OutcomeAnalysis, OutcomeAnalysis]:
    rng = np.random.default_rng(0)
    dose = rng.uniform(5, 60, 120)
    suv = rng.uniform(5, 40, 120)
    change = 15 - 0.9 * dose - 0.3 * suv + rng.normal(0, 10, 120)
    df = pd.DataFrame(
        {
            "patient": np.repeat([f"P{i}" for i in range(40)], 3),
            "dose_gy": dose,
            "suv": suv,
            "change_pct": change,
        }
    )
    binary = analyse_lesions(
        df,
        outcome="change_pct",
        threshold=-30,
        predictors=["dose_gy", "suv"],
        n_bootstrap=10,
        n_folds=3,
    )
    continuous = analyse_lesions(
        df, outcome="change_pct", predictors=["dose_gy", "suv"], n_bootstrap=0, n_folds=3
    )
    return binary, continuous


def test_effect_figure_odds_ratios_on_log_axis(
    binary_analysis: tuple[OutcomeAnalysis, OutcomeAnalysis],
) -> None:
    binary, continuous = binary_analysis
    fig = rp.effect_figure(binary)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dose_gy", "suv"]
    assert rp.effect_figure(continuous).axes[0].get_xscale() == "linear"


def test_report_figure_per_model(
    binary_analysis: tuple[OutcomeAnalysis, OutcomeAnalysis], tmp_path: Path
) -> None:
    binary, continuous = binary_analysis
    fig = rp.outcome_report_figure(binary)
    assert [ax.get_title() for ax in fig.axes] == [
        "ROC",
        "Calibration (cross-validated)",
        "Effects (95 % CI)",
    ]
    fig = rp.outcome_report_figure(continuous)
    assert len(fig.axes) == 2
    png = rp.save_figure(fig, tmp_path / "model.png")
    svg = rp.save_figure(fig, tmp_path / "model.svg")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert svg.read_text().lstrip().startswith("<?xml")


def test_save_figure_never_creates_the_folder(tmp_path: Path) -> None:
    from theratrial.errors import ParameterError

    target = tmp_path / "sub" / "model.png"
    with pytest.raises(ParameterError, match="does not exist") as info:
        rp.save_figure(rp.waterfall_figure([-40.0]), target)
    assert info.value.file == str(target)
    assert not target.parent.exists()
