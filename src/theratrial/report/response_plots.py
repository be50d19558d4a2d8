"""Figures of the response and statistics endpoints (matplotlib, no pyplot state).

- waterfall: best percent change of the sum of diameters per patient (or lesion), bars
  sorted, with the RECIST PR (-30 %) and PD (+20 %) lines (Eisenhauer et al. 2009);
- spider: percent change from baseline over time, one line per patient or lesion;
- Bland-Altman: differences against means with bias and 95 % limits of agreement
  (Bland & Altman 1986);
- ROC, calibration and effect (forest) plots of an outcome model, and one report figure per
  model that puts them together.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no
global state); :func:`save_figure` writes it (PNG, SVG or PDF by the suffix).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullFormatter

from theratrial.report._paths import output_path
from theratrial.response import LesionChange, RecistEvaluation
from theratrial.stats import BlandAltman, Calibration, OutcomeAnalysis, RocCurve

__all__ = [
    "bland_altman_figure",
    "calibration_figure",
    "effect_figure",
    "outcome_report_figure",
    "roc_figure",
    "save_figure",
    "spider_figure",
    "spider_from_evaluation",
    "spider_from_lesions",
    "waterfall_figure",
]

_COLOURS = {
    "CR": "#1a9850",
    "PR": "#91cf60",
    "SD": "#fee08b",
    "NON-CR/NON-PD": "#fee08b",
    "PD": "#d73027",
    "NE": "#bdbdbd",
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


def _recist_lines(ax: Axes) -> None:
    for level, label in ((20.0, "PD +20 %"), (-30.0, "PR -30 %")):
        ax.axhline(level, color="0.3", linestyle="--", linewidth=0.8)
        ax.annotate(
            label,
            (1.0, level),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            ha="right",
            va="bottom",
            color="0.3",
        )


def waterfall_figure(
    values_pct: Sequence[float | None],
    *,
    labels: Sequence[str] | None = None,
    categories: Sequence[str | None] | None = None,
    title: str = "Best change in sum of diameters",
) -> Figure:
    """Waterfall plot: one bar per patient (or lesion), largest increase on the left.

    Parameters
    ----------
    values_pct
        Best percent change from baseline; None values are left out.
    labels
        Bar labels (patient or lesion ids).
    categories
        Best overall response per bar (colours the bars: CR, PR, SD, PD, NE).

    Examples
    --------
    >>> fig = waterfall_figure([-45.0, 12.0, None, -10.0], categories=["PR", "PD", "NE", "SD"])
    >>> len(fig.axes[0].patches)
    3
    """
    n = len(values_pct)
    names = list(labels) if labels is not None else [str(i + 1) for i in range(n)]
    cats = list(categories) if categories is not None else [None] * n
    rows = [(v, names[i], cats[i]) for i, v in enumerate(values_pct) if v is not None]
    rows.sort(key=lambda r: -float(r[0] or 0.0))
    fig = Figure(figsize=(max(4.0, 0.25 * len(rows) + 2.0), 3.5))
    ax = fig.add_subplot()
    colours = [_COLOURS.get(str(c), "#4575b4") for _, _, c in rows]
    ax.bar(
        range(len(rows)),
        [float(v or 0.0) for v, _, _ in rows],
        color=colours,
        edgecolor="0.2",
        linewidth=0.4,
    )
    ax.set_xticks(range(len(rows)), [name for _, name, _ in rows], rotation=90, fontsize=7)
    ax.axhline(0.0, color="black", linewidth=0.6)
    _recist_lines(ax)
    ax.set_ylabel("change from baseline (%)")
    ax.set_title(title)
    present = list(dict.fromkeys(str(c) for _, _, c in rows if c is not None))
    if present:
        from matplotlib.patches import Patch

        ax.legend(
            handles=[Patch(color=_COLOURS.get(c, "#4575b4"), label=c) for c in present],
            fontsize=7,
            loc="upper right",
        )
    return fig


def spider_figure(
    series: Mapping[str, tuple[Sequence[float], Sequence[float | None]]],
    *,
    time_unit: str = "weeks",
    title: str = "Change from baseline over time",
) -> Figure:
    """Spider plot: percent change from baseline against time, one line per series.

    Parameters
    ----------
    series
        ``name -> (times, percent changes)``; the baseline point (0, 0) is added when
        absent; None changes are skipped.
    time_unit
        Label of the time axis.

    Examples
    --------
    >>> fig = spider_figure({"P1": ([8, 16], [-20.0, -35.0]), "P2": ([8], [25.0])})
    >>> len(fig.axes[0].lines) >= 2
    True
    """
    fig = Figure(figsize=(5.0, 3.5))
    ax = fig.add_subplot()
    for name, (times, pcts) in series.items():
        points = [(float(t), float(p)) for t, p in zip(times, pcts, strict=True) if p is not None]
        if not points or points[0][0] != 0.0:
            points.insert(0, (0.0, 0.0))
        ax.plot(
            [t for t, _ in points],
            [p for _, p in points],
            marker="o",
            markersize=3,
            linewidth=1.0,
            label=name,
        )
    _recist_lines(ax)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xlabel(f"time from baseline ({time_unit})")
    ax.set_ylabel("change from baseline (%)")
    ax.set_title(title)
    if 0 < len(series) <= 12:
        ax.legend(fontsize=7, loc="best")
    return fig


def spider_from_evaluation(evaluations: Mapping[str, RecistEvaluation]) -> Figure:
    """Spider plot of the sum of diameters of several patients (time in weeks)."""
    series = {
        pid: (
            [tp.day / 7.0 for tp in ev.time_points],
            [tp.change_from_baseline_pct for tp in ev.time_points],
        )
        for pid, ev in evaluations.items()
    }
    return spider_figure(series, title="Sum of target diameters")


def spider_from_lesions(changes: Sequence[LesionChange]) -> Figure:
    """Spider plot of each lesion's diameter change of one patient (time in weeks)."""
    series: dict[str, tuple[list[float], list[float | None]]] = {}
    for change in changes:
        times, pcts = series.setdefault(change.lesion_id, ([], []))
        times.append(change.day / 7.0)
        pcts.append(change.change_pct)
    return spider_figure(series, title="Lesion diameter")


def bland_altman_figure(
    result: BlandAltman, *, units: str = "", title: str = "Bland-Altman"
) -> Figure:
    """Differences against pair means with bias and limits of agreement.

    Examples
    --------
    >>> from theratrial.stats import bland_altman
    >>> fig = bland_altman_figure(bland_altman([1.0, 2.0, 3.0, 4.0], [1.1, 2.1, 2.8, 4.3]))
    >>> fig.axes[0].get_xlabel()
    'mean of the two scans'
    """
    fig = Figure(figsize=(4.5, 3.5))
    ax = fig.add_subplot()
    ax.scatter(result.means, result.differences, s=12, color="#4575b4")
    lines = (
        (result.bias, "bias", "-"),
        (result.loa_low, "LoA", "--"),
        (result.loa_high, "LoA", "--"),
    )
    for value, name, style in lines:
        ax.axhline(
            value, color="#d73027" if name == "bias" else "0.3", linestyle=style, linewidth=1.0
        )
        ax.annotate(
            f"{name} {value:.3g}",
            (1.0, value),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            ha="right",
            va="bottom",
        )
    suffix = f" ({units})" if units else ""
    ylabel = {
        "absolute": f"second - first{suffix}",
        "percent": "difference (% of mean)",
        "ratio": "second / first",
    }[result.scale]
    ax.set_xlabel("mean of the two scans" + suffix)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return fig


def _roc_axes(ax: Axes, curves: Mapping[str, RocCurve]) -> None:
    for name, curve in curves.items():
        ax.plot(curve.fpr, curve.tpr, linewidth=1.2, label=name)
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_aspect("equal")
    if curves:
        ax.legend(fontsize=7, loc="lower right")


def roc_figure(curves: Mapping[str, RocCurve], *, title: str = "ROC") -> Figure:
    """ROC curves, labelled by name (put the AUC in the name)."""
    fig = Figure(figsize=(4.0, 4.0))
    ax = fig.add_subplot()
    _roc_axes(ax, curves)
    ax.set_title(title)
    return fig


def _calibration_axes(ax: Axes, cal: Calibration) -> None:
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=0.8)
    sizes = [10.0 + 2.0 * c for c in cal.counts]
    ax.scatter(cal.predicted, cal.observed, s=sizes, color="#4575b4", zorder=3)
    ax.plot(cal.predicted, cal.observed, color="#4575b4", linewidth=0.8)
    slope = "n/a" if cal.slope is None else f"{cal.slope:.2f}"
    inter = "n/a" if cal.intercept is None else f"{cal.intercept:.2f}"
    ax.text(
        0.03,
        0.97,
        f"slope {slope}\nintercept {inter}\nBrier {cal.brier:.3f}",
        transform=ax.transAxes,
        va="top",
        fontsize=7,
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed fraction")
    ax.set_aspect("equal")


def calibration_figure(cal: Calibration, *, title: str = "Calibration") -> Figure:
    """Observed fraction against mean predicted probability per bin."""
    fig = Figure(figsize=(4.0, 4.0))
    ax = fig.add_subplot()
    _calibration_axes(ax, cal)
    ax.set_title(title)
    return fig


def _effect_axes(ax: Axes, analysis: OutcomeAnalysis) -> None:
    binary = analysis.family == "binomial"
    rows: list[tuple[str, float, float, float, str]] = []
    for fit in analysis.univariable:
        if fit.ok:
            c = fit.coefficients[1]
            rows.append((c.term, c.estimate, c.ci_low, c.ci_high, "univariable"))
    if analysis.multivariable.ok:
        for c in analysis.multivariable.coefficients[1:]:
            rows.append((c.term, c.estimate, c.ci_low, c.ci_high, "multivariable"))
    names = list(dict.fromkeys(r[0] for r in rows))
    for offset, kind, colour in (
        (-0.15, "univariable", "#4575b4"),
        (0.15, "multivariable", "#d73027"),
    ):
        sel = [r for r in rows if r[4] == kind]
        ys = [names.index(r[0]) + offset for r in sel]
        tr = (lambda v: math.exp(min(v, 700.0))) if binary else (lambda v: v)
        est = [tr(r[1]) for r in sel]
        err = [
            [e - tr(r[2]) for e, r in zip(est, sel, strict=True)],
            [tr(r[3]) - e for e, r in zip(est, sel, strict=True)],
        ]
        ax.errorbar(est, ys, xerr=err, fmt="o", color=colour, markersize=4, capsize=2, label=kind)
    ax.axvline(1.0 if binary else 0.0, color="0.4", linestyle=":", linewidth=0.8)
    if binary:
        ax.set_xscale("log")
        low, high = ax.get_xlim()
        if high / low < 20.0:  # under about a decade the log ticks' labels collide
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%.3g"))
            ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    per = " per SD" if analysis.standardized else " per unit"
    ax.set_xlabel(("odds ratio" if binary else f"effect on {analysis.outcome.column}") + per)
    ax.legend(fontsize=7, loc="best")


def effect_figure(analysis: OutcomeAnalysis, *, title: str = "Effects (95 % CI)") -> Figure:
    """Forest plot of univariable and multivariable effects (odds ratios if binary)."""
    fig = Figure(figsize=(5.0, 0.5 * len(analysis.predictors) + 2.0))
    ax = fig.add_subplot()
    _effect_axes(ax, analysis)
    ax.set_title(title)
    return fig


def outcome_report_figure(analysis: OutcomeAnalysis) -> Figure:
    """One report figure per model: ROC + calibration + effects (binary outcome), or
    effects + observed against cross-validated prediction (continuous outcome)."""
    binary = analysis.family == "binomial"
    fig = Figure(figsize=(13.0 if binary else 9.0, 4.2))
    title = f"{analysis.level}-level model: {analysis.outcome.description}"
    fig.suptitle(
        f"{title} ({analysis.method}, n = {analysis.n_obs}, patients = {analysis.n_clusters})",
        fontsize=10,
    )
    if binary:
        ax_roc, ax_cal, ax_eff = fig.subplots(1, 3)
        curves: dict[str, RocCurve] = {}
        if analysis.roc is not None and analysis.apparent_auc is not None:
            curves[f"apparent AUC {analysis.apparent_auc.auc:.2f}"] = analysis.roc
        cv = analysis.cross_validation
        if analysis.roc_cross_validated is not None and cv is not None and cv.auc is not None:
            curves[f"cross-validated AUC {cv.auc:.2f}"] = analysis.roc_cross_validated
        _roc_axes(ax_roc, curves)
        ax_roc.set_title("ROC", fontsize=9)
        if analysis.calibration is not None:
            _calibration_axes(ax_cal, analysis.calibration)
        else:
            ax_cal.text(0.5, 0.5, "no calibration", ha="center", transform=ax_cal.transAxes)
        ax_cal.set_title("Calibration (cross-validated)", fontsize=9)
    else:
        ax_eff, ax_obs = fig.subplots(1, 2)
        cv = analysis.cross_validation
        predicted = cv.predictions if cv is not None else analysis.fitted
        ax_obs.scatter(predicted, analysis.observed, s=10, color="#4575b4")
        finite = [v for v in (*predicted, *analysis.observed) if math.isfinite(v)]
        if finite:
            lo, hi = min(finite), max(finite)
            ax_obs.plot([lo, hi], [lo, hi], color="0.6", linestyle=":")
        ax_obs.set_xlabel("cross-validated prediction" if cv is not None else "fitted")
        ax_obs.set_ylabel(f"observed {analysis.outcome.column}")
        r2 = None if cv is None else cv.r2
        ax_obs.set_title(
            "Observed vs predicted" + ("" if r2 is None else f" (CV R² {r2:.2f})"), fontsize=9
        )
    _effect_axes(ax_eff, analysis)
    ax_eff.set_title("Effects (95 % CI)", fontsize=9)
    fig.tight_layout()
    return fig
