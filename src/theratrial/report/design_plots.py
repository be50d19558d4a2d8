"""Plots of simulated operating characteristics of a dose-finding design.

Two panels per scenario, as in the BOIN package's ``plot.boin`` and the operating
characteristics tables of Liu & Yuan (2015): the percentage of trials selecting each level as
the MTD (with the early-stop percentage), and the mean allocation of patients and DLTs per
level. The x axis names each level with its true DLT probability.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from theratrial.design.simulation import OperatingCharacteristics

__all__ = ["operating_characteristics_figure", "save_operating_characteristics_plot"]


def _labels(oc: OperatingCharacteristics, level_unit: str) -> list[str]:
    unit = f" {level_unit}" if level_unit else ""
    return [f"{v:g}{unit}\np={p:.2f}" for v, p in zip(oc.levels, oc.truth, strict=True)]


def operating_characteristics_figure(
    oc: OperatingCharacteristics, *, level_unit: str = "", title: str | None = None
) -> Figure:
    """Figure with the selection and allocation per level.

    Parameters
    ----------
    oc
        Result of :func:`theratrial.design.simulate`.
    level_unit
        Unit of the dose levels for the axis labels (e.g. ``"kBq/kg"``).
    title
        Figure title; a default names the design, target and number of trials.

    Examples
    --------
    >>> from theratrial.design import Boin, simulate
    >>> oc = simulate(Boin(0.3), [0.1, 0.3, 0.5], max_n=12, n_trials=200, seed=1)
    >>> fig = operating_characteristics_figure(oc)
    >>> [ax.get_title() for ax in fig.axes]
    ['MTD selection', 'Allocation']
    """
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax_sel, ax_alloc = fig.subplots(1, 2)
    x = np.arange(len(oc.levels))
    labels = _labels(oc, level_unit)
    bars = ax_sel.bar(x, oc.selection_pct, color="#3b6ea5")
    ax_sel.bar_label(bars, fmt="%.1f", fontsize=8)
    ax_sel.set_xticks(x, labels, fontsize=8)
    ax_sel.set_ylabel("trials selecting the level as MTD (%)")
    # headroom above the tallest bar for its label and the note on early stopping
    ax_sel.set_ylim(0, max(100.0, max(oc.selection_pct)) * 1.18)
    ax_sel.set_title("MTD selection")
    ax_sel.text(
        0.02,
        0.97,
        f"stopped, no MTD: {oc.stop_pct:.1f} %",
        transform=ax_sel.transAxes,
        ha="left",
        va="top",
        fontsize=8,
    )
    width = 0.4
    pts = ax_alloc.bar(x - width / 2, oc.n_treated_mean, width, label="patients", color="#6a9f58")
    tox = ax_alloc.bar(x + width / 2, oc.dlt_mean_per_level, width, label="DLTs", color="#c4513d")
    ax_alloc.bar_label(pts, fmt="%.1f", fontsize=8)
    ax_alloc.bar_label(tox, fmt="%.1f", fontsize=8)
    ax_alloc.set_xticks(x, labels, fontsize=8)
    ax_alloc.set_ylabel("mean per trial (patients)")
    ax_alloc.set_ylim(0, max(1.0, max(oc.n_treated_mean)) * 1.3)
    ax_alloc.set_title("Allocation")
    ax_alloc.legend(fontsize=8, loc="upper right")
    ax_alloc.text(
        0.02,
        0.95,
        f"mean N = {oc.n_mean:.1f}, mean DLTs = {oc.dlt_mean:.1f}",
        transform=ax_alloc.transAxes,
        ha="left",
        va="top",
        fontsize=8,
    )
    if title is None:
        target = "" if oc.target is None else f", target {oc.target:g}"
        runs = "exact" if oc.exact else f"{oc.n_trials} trials, seed {oc.seed}"
        title = (
            f"{oc.design}{target}: cohort {oc.cohort_size}, max N {oc.max_n}, "
            f"start {oc.levels[oc.start_index]:g} ({runs})"
        )
    fig.suptitle(title, fontsize=10)
    return fig


def save_operating_characteristics_plot(
    oc: OperatingCharacteristics,
    path: str | Path,
    *,
    level_unit: str = "",
    title: str | None = None,
    dpi: int = 150,
) -> Path:
    """Write the selection and allocation plot to ``path`` (format from the suffix, e.g. PNG).

    Examples
    --------
    >>> import tempfile
    >>> from theratrial.design import Boin, simulate
    >>> oc = simulate(Boin(0.3), [0.1, 0.3, 0.5], max_n=12, n_trials=200, seed=1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_operating_characteristics_plot(oc, Path(tmp) / "oc.png")
    ...     out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    out = Path(path)
    fig = operating_characteristics_figure(oc, level_unit=level_unit, title=title)
    fig.savefig(out, dpi=dpi)
    return out
