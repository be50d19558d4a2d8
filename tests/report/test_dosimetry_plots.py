"""Dosimetry figures: TAC fits per region and cumulative organ dose against limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from theratrial.dosimetry.radiobiology import g_factor_mono_exponential
from theratrial.dosimetry.tac import TimeActivityCurve, time_activity_curve
from theratrial.dosimetry.tia import time_integrated_activity
from theratrial.errors import ParameterError
from theratrial.protocol import find_protocol
from theratrial.report import dosimetry_plots as dp
from theratrial.treatment.history import CycleDose
from theratrial.treatment.planning import active_limits, plan_next_cycle

T = np.array([4.0, 24.0, 96.0, 168.0])


def _tacs() -> list[TimeActivityCurve]:
    return [
        time_activity_curve(T, 60 * np.exp(-0.0139 * T), region="kidney_left"),
        time_activity_curve(T, [10.0, 14.0, 11.0, 7.0], region="lesion_01"),
        time_activity_curve(T, [1.0, 2.0, 3.0, 4.0], region="spleen"),
    ]


def test_tac_figure_has_one_panel_per_region_with_data_and_curve(tmp_path: Path) -> None:
    tacs = _tacs()
    results = [time_integrated_activity(t) for t in tacs]
    fig = dp.tac_figure(tacs, results)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["kidney_left", "lesion_01", "spleen"]
    kidney = visible[0]
    measured = [ln for ln in kidney.get_lines() if ln.get_label() == "measured"]
    assert list(measured[0].get_xdata()) == list(T)
    fitted = [ln for ln in kidney.get_lines() if str(ln.get_label()).startswith("mono_exponential")]
    ydata = np.asarray(fitted[0].get_ydata())
    assert ydata[0] == pytest.approx(results[0].exponentials[0][0], rel=1e-6)
    # the spleen curve does not decay: fallback drawn on a tinted panel
    assert visible[2].get_facecolor() != kidney.get_facecolor()
    path = dp.save_figure(fig, tmp_path / "tac.png")
    assert path.stat().st_size > 1000


def test_tac_figure_refuses_mismatched_pairs() -> None:
    tacs = _tacs()
    results = [time_integrated_activity(t) for t in tacs]
    with pytest.raises(ParameterError):
        dp.tac_figure(tacs, results[::-1])
    with pytest.raises(ParameterError):
        dp.tac_figure(tacs[:2], results)


def test_cumulative_dose_figure_draws_limits_and_projection(tmp_path: Path) -> None:
    bordet = find_protocol("NCT01842165")
    g = g_factor_mono_exponential(50.0, repair_half_time_h=2.8)
    history = [CycleDose(c, "kidneys", 7400.0, 7.0, g_factor=g) for c in (1, 2)]
    plan = plan_next_cycle(bordet, history)
    fig = dp.cumulative_dose_figure(history, active_limits(bordet), plan=plan)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["kidneys", "kidneys"]  # absorbed dose and BED panels
    absorbed = fig.axes[0]
    cumulative = next(ln for ln in absorbed.get_lines() if ln.get_label() == "cumulative")
    assert list(cumulative.get_ydata()) == pytest.approx([0.0, 7.0, 14.0])
    limit_lines = [ln for ln in absorbed.get_lines() if str(ln.get_label()).startswith("limit")]
    assert limit_lines[0].get_ydata()[0] == pytest.approx(23.0)
    projection = [ln for ln in absorbed.get_lines() if str(ln.get_label()).startswith("cycle 3")]
    assert projection[0].get_ydata()[1] == pytest.approx(14.0 + 7.0)
    assert dp.save_figure(fig, tmp_path / "dose.svg").exists()


def test_cumulative_dose_figure_needs_history() -> None:
    with pytest.raises(ParameterError):
        dp.cumulative_dose_figure([])


def test_save_figure_never_creates_the_folder(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    target = tmp_path / "figs" / "tac.png"
    with pytest.raises(ParameterError, match="does not exist") as info:
        dp.save_figure(Figure(), target)
    assert info.value.file == str(target)
    assert not target.parent.exists()
