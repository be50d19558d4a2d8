"""Selection and allocation plot of simulated operating characteristics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from theratrial.design import Boin, simulate
from theratrial.report.design_plots import (
    operating_characteristics_figure,
    save_operating_characteristics_plot,
)


@pytest.fixture(scope="module")
def oc():  # type: ignore[no-untyped-def]
    return simulate(
        Boin(0.25),
        [0.1, 0.25, 0.45],
        max_n=18,
        start_level=2,
        n_trials=500,
        seed=4,
        levels=[60, 90, 120],
    )


def test_bars_show_the_simulated_numbers(oc) -> None:  # type: ignore[no-untyped-def]
    fig = operating_characteristics_figure(oc, level_unit="kBq/kg")
    sel, alloc = fig.axes
    heights = [p.get_height() for p in sel.patches]
    assert heights == pytest.approx(list(oc.selection_pct))
    alloc_heights = [p.get_height() for p in alloc.patches]
    assert alloc_heights == pytest.approx([*oc.n_treated_mean, *oc.dlt_mean_per_level])
    labels = [t.get_text() for t in sel.get_xticklabels()]
    assert labels[2] == "120 kBq/kg\np=0.45"
    assert "boin, target 0.25" in fig.get_suptitle()


def test_png_is_written(oc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = save_operating_characteristics_plot(oc, tmp_path / "oc.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    assert np.isfinite(oc.n_mean)
