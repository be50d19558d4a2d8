"""Figures of dosimetry: time-activity curves with their fits, cumulative organ dose.

- :func:`tac_figure`: one panel per region, measured activities, the curve that gave Ã
  (fitted model, trapezoid with physical tail, or single-time-point exponential), and the
  other usable candidate fits dashed, with the model and Ã in the legend;
- :func:`cumulative_dose_figure`: cumulative absorbed dose (or BED, RBE-weighted dose) per
  organ across cycles against the protocol limits, with the next cycle's projection when a
  plan is given.

Built without ``pyplot`` (no global state); :func:`save_figure` writes PNG, SVG or PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from theratrial.dosimetry.tac import TimeActivityCurve
from theratrial.dosimetry.tia import TiaResult
from theratrial.errors import ParameterError
from theratrial.protocol import OrganLimit
from theratrial.report._paths import output_path
from theratrial.treatment.history import CycleDose, cumulative_doses
from theratrial.treatment.planning import NextCyclePlan

__all__ = ["cumulative_dose_figure", "save_figure", "tac_figure"]

_QUANTITY_LABEL = {
    "absorbed_dose_gy": "absorbed dose (Gy)",
    "bed_gy": "BED (Gy)",
    "rbe_weighted_dose_gy": "RBE-weighted dose (Gy)",
}


def save_figure(figure: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``figure`` to ``path`` (format from the suffix) and return the path.

    Raises
    ------
    ParameterError
        When ``path`` is a folder or its folder does not exist (it is never created).
    """
    target = output_path(path)
    figure.savefig(target, dpi=dpi, bbox_inches="tight")
    return target


def tac_figure(
    tacs: Sequence[TimeActivityCurve],
    results: Sequence[TiaResult],
    *,
    log_scale: bool = False,
    show_candidates: bool = True,
    columns: int = 3,
) -> Figure:
    """Time-activity curves with the curve behind each Ã, one panel per region.

    Raises
    ------
    ParameterError
        When curves and results do not pair up region by region.
    """
    if len(tacs) != len(results) or not tacs:
        raise ParameterError("give one Ã result per time-activity curve", field="results")
    for tac, res in zip(tacs, results, strict=True):
        if tac.region != res.region:
            raise ParameterError(
                f"curve {tac.region!r} is paired with the result of {res.region!r}", field="results"
            )
    cols = max(1, min(columns, len(tacs)))
    rows = math.ceil(len(tacs) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for index, (tac, res) in enumerate(zip(tacs, results, strict=True)):
        ax = axes[index // cols][index % cols]
        t_end = 1.6 * tac.times_h[-1]
        grid = np.linspace(0.0, t_end, 400)
        if show_candidates and res.selection is not None:
            for fit in res.selection.candidates:
                if fit.success and (res.fit is None or fit.model != res.fit.model):
                    ax.plot(grid, fit.evaluate(grid), "--", lw=0.8, color="0.6", label=fit.model)
        label = f"{res.method}: Ã {res.tia_mbq_h:.4g} MBq h"
        ax.plot(grid, res.activity_mbq(grid), color="#2166ac", lw=1.6, label=label)
        ax.plot(tac.times_h, tac.activity_mbq, "o", color="#b2182b", label="measured")
        if res.fallback is not None:
            ax.set_facecolor("#fff7e6")
        ax.set_title(tac.region, fontsize=9)
        ax.set_xlabel("time after administration (h)")
        ax.set_ylabel(f"{tac.nuclide} activity (MBq)")
        if log_scale:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0.0)
        ax.legend(fontsize=6)
    for index in range(len(tacs), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    return fig


def cumulative_dose_figure(
    history: Sequence[CycleDose],
    limits: Sequence[OrganLimit] = (),
    *,
    plan: NextCyclePlan | None = None,
    combine: str = "max",
) -> Figure:
    """Cumulative organ dose after each cycle against the protocol limits.

    One panel per (organ, quantity) that has a limit, plus absorbed dose for organs
    without one. With ``plan``, the projection of the next cycle at the recommended
    activity is drawn dotted.

    Raises
    ------
    ParameterError
        Without any cycle dose.
    """
    if not history:
        raise ParameterError("no cycle doses to plot", field="history")
    organs = sorted({c.organ for c in history})
    panels: list[tuple[str, str, list[OrganLimit]]] = []
    for organ in organs:
        quantities: list[str] = sorted({lim.quantity for lim in limits if lim.organ == organ})
        for name in quantities or ["absorbed_dose_gy"]:
            own = [lim for lim in limits if lim.organ == organ and lim.quantity == name]
            panels.append((organ, name, own))
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    last_cycle = max(c.cycle for c in history)
    for index, (organ, quantity, own) in enumerate(panels):
        ax = axes[index // cols][index % cols]
        xs, ys = [0], [0.0]
        for cycle in range(1, last_cycle + 1):
            total = cumulative_doses([c for c in history if c.cycle <= cycle], combine=combine)
            value = total[organ].value(quantity) if organ in total else None
            if value is not None:
                xs.append(cycle)
                ys.append(value)
        ax.plot(xs, ys, "o-", color="#2166ac", label="cumulative")
        if plan is not None and not plan.stop:
            check = next(
                (c for c in plan.checks if c.limit.organ == organ and c.limit.quantity == quantity),
                None,
            )
            if check is not None and check.dose_gy_per_gbq is not None:
                per_gbq = check.dose_gy_per_gbq
                dose = per_gbq * plan.recommended_activity_mbq / 1000.0
                step = dose
                if quantity == "bed_gy":
                    last = [c for c in history if c.organ == organ][-1]
                    g = last.g_factor or 0.0
                    step = dose * (1 + g * dose / last.radiobiology.alpha_beta_gy)
                ax.plot(
                    [xs[-1], plan.cycle], [ys[-1], ys[-1] + step], ":", color="#2166ac",
                    label=f"cycle {plan.cycle}: {plan.recommended_activity_mbq / 1000:.3g} GBq",
                )  # fmt: skip
        for lim in own:
            style = "--" if lim.applies_if is None else "-."
            note = f" ({lim.applies_if})" if lim.applies_if else ""
            ax.axhline(
                lim.limit, color="#b2182b", ls=style, lw=1.0, label=f"limit {lim.limit:g} Gy{note}"
            )
        ax.set_title(organ, fontsize=9)
        ax.set_xlabel("cycle")
        ax.set_ylabel(f"cumulative {_QUANTITY_LABEL[quantity]}")
        ax.set_xticks(range(0, max(last_cycle, plan.cycle if plan else 0) + 1))
        ax.set_ylim(bottom=0.0)
        ax.legend(fontsize=6)
    for index in range(len(panels), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    return fig
