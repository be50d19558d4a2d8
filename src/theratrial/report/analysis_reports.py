"""Analysis reports: test-retest repeatability (NCT03335670) and RECIST 1.1 response (Bordet).

The repeatability report shows, per region group and overall, the numbers
``theratrial repeatability --json`` prints (:class:`~theratrial.stats.RepeatabilityReport`):
wSD, wCV (log method), RC = 1.96 sqrt(2) wSD (Bland & Altman 1999, Stat Methods Med Res
8:135), the six ICC forms with their confidence intervals (Shrout & Fleiss 1979, Psychol
Bull 86:420; McGraw & Wong 1996) and a Bland-Altman plot per region. The response report
shows, per patient and time point, what ``theratrial recist --json`` prints
(:func:`~theratrial.response.recist_doc.recist_payload`, Eisenhauer et al. 2009, Eur J
Cancer 45:228), the best overall response, waterfall and spider plots and lesion-level change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from theratrial.report._render import figure_uri, fmt
from theratrial.report.documents import Document, Figure, Input, Section, Table
from theratrial.report.lesion_dose import join_lesion_doses, lesion_dose_figure, spearman
from theratrial.response import Assessment, RecistEvaluation, lesion_changes
from theratrial.response.recist_doc import CRITERIA, recist_payload
from theratrial.stats import RepeatabilityReport, RepeatabilityResult

__all__ = ["repeatability_document", "response_document"]


def _summary_row(name: str, r: RepeatabilityResult | None) -> tuple[str, ...]:
    if r is None:
        return (name, "too few", *("–",) * 7)
    ba = r.bland_altman
    return (
        name,
        str(r.n_subjects),
        fmt(r.mean),
        fmt(r.wsd),
        fmt(r.wcv_pct),
        fmt(r.rc),
        fmt(r.rc_relative_pct),
        fmt(None if ba is None else ba.bias),
        "–" if ba is None else f"{fmt(ba.loa_low)} to {fmt(ba.loa_high)}",
    )


def repeatability_document(report: RepeatabilityReport, *, inputs: Sequence[Input]) -> Document:
    """The repeatability report of :func:`theratrial.stats.repeatability_from_table`."""
    from theratrial.report.response_plots import bland_altman_figure

    named = [("all", report.overall)] + [(g.group, g.result) for g in report.groups]
    summary = Table(
        (
            "region",
            "n (targets)",
            "mean",
            "wSD",
            "wCV (%)",
            "RC",
            "RC (%)",
            "bias",
            "95 % limits of agreement",
        ),
        tuple(_summary_row(n, r) for n, r in named),
        "Units of the value column unless marked %; wCV by the log method.",
    )
    icc_rows = []
    for name, r in named:
        if r is None:
            continue
        for e in r.icc.estimates:
            icc_rows.append(
                (
                    name,
                    e.form,
                    e.description,
                    fmt(e.value),
                    f"{fmt(e.ci_low)} to {fmt(e.ci_high)}",
                    fmt(e.p_value),
                )
            )
    conf = f"{fmt(100 * report.overall.confidence)} %" if report.overall else "95 %"
    icc = Table(
        ("region", "form", "model", "ICC", f"{conf} CI", "p"),
        tuple(icc_rows),
        "Intraclass correlation, six forms (Shrout & Fleiss 1979; McGraw & Wong 1996).",
    )
    figures = []
    for name, r in named:
        if r is not None and r.bland_altman is not None:
            fig = bland_altman_figure(r.bland_altman, title=f"Bland-Altman: {name}")
            figures.append(Figure(figure_uri(fig), f"Bland-Altman plot, {name}."))
    notes = [
        f"{report.n_rows} rows, {report.n_targets} targets x {report.k_repeats} scans, "
        f"grouped by {report.group_by or 'nothing'}."
    ]
    if report.dropped_targets:
        notes.append(f"Left out (a scan missing): {', '.join(map(str, report.dropped_targets))}.")
    notes += [f"{g.group}: {g.note}" for g in report.groups if g.note]
    return Document(
        "repeatability",
        "Test-retest repeatability",
        "NCT03335670 endpoint: wCV, RC and ICC",
        sections=(
            Section("Repeatability per region", tuple(notes), (summary,)),
            Section("Intraclass correlation", (), (icc,)),
            Section("Bland-Altman plots", (), (), tuple(figures)),
        ),
        inputs=tuple(inputs),
        methods=(
            "wCV (log method) = 100 sqrt(exp(s_log^2) - 1); RC = 1.96 sqrt(2) wSD; "
            "limits of agreement = bias +/- 1.96 SD (Bland & Altman 1999).",
        ),
    )


def _best_lesion_change(assessment: Assessment) -> dict[str, float]:
    best: dict[str, float] = {}
    for c in lesion_changes(assessment):
        if c.change_pct is not None:
            best[c.lesion_id] = min(best.get(c.lesion_id, c.change_pct), c.change_pct)
    return best


def response_document(
    results: Sequence[tuple[str, RecistEvaluation, Assessment]],
    *,
    inputs: Sequence[Input],
    lesion_doses: Mapping[tuple[str | None, str], float] | None = None,
    doses_file: str | Path | None = None,
) -> Document:
    """RECIST per patient and time point, best overall response, waterfall, spider, lesions.

    ``lesion_doses`` (``(patient_id or None, lesion_id) -> Gy``, from
    :func:`theratrial.report.lesion_dose.read_lesion_doses` of ``doses_file``) adds each
    lesion's absorbed dose, a scatter of change against dose and Spearman's rho.
    """
    from theratrial.report.response_plots import (
        spider_from_evaluation,
        spider_from_lesions,
        waterfall_figure,
    )

    payloads: list[tuple[str, dict[str, Any]]] = [
        (pid or "patient", recist_payload(ev)) for pid, ev, _ in results
    ]
    bor = Table(
        (
            "patient",
            "best overall response",
            "unconfirmed",
            "confirmed",
            "best change from baseline (%)",
        ),
        tuple(
            (
                pid,
                p["best_overall_response"],
                p["best_overall_response_unconfirmed"],
                p["best_overall_response_confirmed"] or "–",
                fmt(p["best_change_from_baseline_pct"]),
            )
            for pid, p in payloads
        ),
    )
    tp_rows = []
    for pid, p in payloads:
        for tp in p["time_points"]:
            tp_rows.append(
                (
                    pid,
                    tp["date"],
                    str(tp["day"]),
                    fmt(tp["sum_mm"]),
                    fmt(tp["nadir_mm"]),
                    fmt(tp["change_from_baseline_pct"]),
                    fmt(tp["change_from_nadir_pct"]),
                    tp["target"] or "–",
                    tp["non_target"] or "–",
                    "yes" if tp["new_lesions"] else "no",
                    tp["overall"] or "– (baseline)",
                )
            )
    timepoints = Table(
        (
            "patient",
            "date",
            "day",
            "sum (mm)",
            "nadir (mm)",
            "change from baseline (%)",
            "change from nadir (%)",
            "target",
            "non-target",
            "new lesions",
            "overall",
        ),
        tuple(tp_rows),
        "Sum of diameters and responses per time point.",
    )
    figures = []
    evaluations = {pid or "patient": ev for pid, ev, _ in results}
    if len(results) > 1:
        figures.append(
            Figure(
                figure_uri(
                    waterfall_figure(
                        [ev.best_change_from_baseline_pct for ev in evaluations.values()],
                        labels=list(evaluations),
                        categories=[
                            ev.best_overall_response.response.value for ev in evaluations.values()
                        ],
                    )
                ),
                "Waterfall: best change in the sum of diameters per patient.",
            )
        )
        figures.append(
            Figure(
                figure_uri(spider_from_evaluation(evaluations)),
                "Spider: change in the sum of diameters over time.",
            )
        )
    best = {pid or "patient": _best_lesion_change(a) for pid, _, a in results}
    points = join_lesion_doses(best, lesion_doses or {}, file=doses_file)
    dose_of = {(q.patient_id, q.lesion_id): q.dose_gy for q in points}
    lesion_rows = []
    for pid, _, assessment in results:
        for lesion, change in _best_lesion_change(assessment).items():
            row = (pid or "patient", lesion, fmt(change))
            lesion_rows.append(
                (*row, fmt(dose_of.get((row[0], lesion)))) if lesion_doses is not None else row
            )
        if len(results) == 1:
            figures.append(
                Figure(
                    figure_uri(spider_from_lesions(lesion_changes(assessment))),
                    "Spider: change in each lesion's diameter over time.",
                )
            )
    columns = ("patient", "lesion", "best change in diameter (%)")
    lesions = Table(
        (*columns, "absorbed dose (Gy)") if lesion_doses is not None else columns,
        tuple(lesion_rows),
        "Best change in each lesion's diameter"
        + (" and its absorbed dose (– where none was given)." if lesion_doses is not None else "."),
    )
    lesion_par: list[str] = []
    lesion_figs: list[Figure] = []
    if lesion_doses is not None:
        rank = spearman(points)
        lesion_par.append(
            f"{len(points)} of {len(lesion_rows)} lesions have an absorbed dose; "
            + (
                f"Spearman rho {fmt(rank[0], 3)} (p = {fmt(rank[1], 3)}) between dose and change."
                if rank
                else "too few for a rank correlation (3 needed)."
            )
        )
        if points:
            lesion_figs.append(
                Figure(
                    figure_uri(lesion_dose_figure(points)),
                    "Best change in lesion diameter (%) against lesion absorbed dose (Gy); "
                    "dashed: RECIST -30 % and +20 %.",
                )
            )
    return Document(
        "response",
        "RECIST 1.1 response",
        CRITERIA,
        sections=(
            Section("Best overall response", (), (bor,)),
            Section("Time points", (), (timepoints,)),
            Section("Lesion-level change", tuple(lesion_par), (lesions,), tuple(lesion_figs)),
            Section("Figures", (), (), tuple(figures)),
        ),
        inputs=tuple(inputs),
        methods=(
            f"{CRITERIA}: sums of target diameters (mm), changes in percent of baseline "
            "and nadir; confirmation as given by the options of the evaluation.",
        ),
    )
