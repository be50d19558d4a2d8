"""The ``repeatability`` command: test-retest repeatability from a CSV table (private).

A thin adapter over :func:`theratrial.stats.repeatability_from_table` (wSD, wCV, RC, ICC,
Bland-Altman); registered by :mod:`theratrial.cli.response`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from theratrial.cli._common import (
    console,
    handle_errors,
    output_folder,
    print_json,
    print_table,
    to_jsonable,
)
from theratrial.cli._response_options import FIGURES, JSON, fmt

__all__ = ["repeatability_command"]


def _strip_plot_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_plot_data(v) for k, v in value.items() if k not in ("means", "differences")
        }
    if isinstance(value, list):
        return [_strip_plot_data(v) for v in value]
    return value


def _repeatability_json(result: Any) -> Any:
    data = _strip_plot_data(to_jsonable(result))
    table = data.pop("icc")
    data["icc"] = {e.pop("form"): e for e in table["estimates"]}
    data["anova_mean_squares"] = table["mean_squares"]
    return data


def repeatability_command(
    measurements: Path = typer.Argument(..., help="CSV with columns subject,region,scan,value."),
    subject: str = typer.Option("subject", "--subject", help="Subject column."),
    region: str = typer.Option("region", "--region", help="Region (organ/lesion) column."),
    scan: str = typer.Option("scan", "--scan", help="Scan (repeat) column."),
    value: str = typer.Option("value", "--value", help="Measurement column."),
    group_by: str | None = typer.Option(
        None, "--group-by", help="Column that defines the groups (default: the region column)."
    ),
    no_groups: bool = typer.Option(False, "--no-groups", help="Overall results only."),
    drop_incomplete: bool = typer.Option(
        False, "--drop-incomplete", help="Leave out targets with a missing scan."
    ),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level."),
    match_tolerance: float | None = typer.Option(
        None,
        "--match-tolerance",
        help="Match lesions between scans by position (columns x_mm,y_mm,z_mm) within MM.",
    ),
    as_json: bool = JSON,
    figures: Path | None = FIGURES,
) -> None:
    """Test-retest repeatability: wSD, wCV, RC, ICC (six forms), Bland-Altman, per group."""
    with handle_errors():
        from theratrial.stats import read_csv_table, repeatability_from_table

        if figures is not None:
            output_folder(figures, option="--figures")
        frame = read_csv_table(measurements)
        report = repeatability_from_table(
            frame,
            subject=subject,
            region=region,
            scan=scan,
            value=value,
            group_by=None if no_groups else (group_by or region),
            drop_incomplete=drop_incomplete,
            confidence=confidence,
            match_tolerance_mm=match_tolerance,
        )
        written: list[Path] = []
        if figures is not None:
            from theratrial.report.response_plots import bland_altman_figure, save_figure

            figures.mkdir(exist_ok=True)  # checked by output_folder, created here
            named = [("all", report.overall)] + [(g.group, g.result) for g in report.groups]
            for name, result in named:
                if result is not None and result.bland_altman is not None:
                    fig = bland_altman_figure(result.bland_altman, title=f"Bland-Altman: {name}")
                    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
                    written.append(save_figure(fig, figures / f"bland_altman_{safe}.png"))
        if as_json:
            print_json(
                {
                    "n_rows": report.n_rows,
                    "n_targets": report.n_targets,
                    "k_repeats": report.k_repeats,
                    "group_by": report.group_by,
                    "dropped_targets": list(report.dropped_targets),
                    "unmatched_lesions": list(report.unmatched_lesions),
                    "overall": _repeatability_json(report.overall),
                    "groups": [
                        {
                            "group": g.group,
                            "n_subjects": g.n_subjects,
                            "note": g.note,
                            **(_repeatability_json(g.result) if g.result else {}),
                        }
                        for g in report.groups
                    ],
                    "units": {
                        "wsd, rc, mean, mean_difference, bias, loa": "unit of the value column",
                        "*_pct": "percent",
                        "wsd_log": "natural-log units",
                    },
                    "methods": {
                        "wcv_pct": "log method: sqrt(exp(s_log^2) - 1)",
                        "wcv_rms_pct": "root mean square of per-subject CVs",
                        "rc": "1.96 * sqrt(2) * wSD",
                        "loa": "bias +/- 1.96 SD",
                    },
                    "figures": [str(p) for p in written],
                }
            )
            return
        table = Table(title=f"Repeatability ({report.n_targets} targets x {report.k_repeats})")
        for name in (
            "group",
            "n",
            "mean",
            "wSD",
            "RC",
            "wCV %",
            "RC %",
            "ICC(3,1)",
            "ICC(2,1)",
            "bias",
            "LoA",
        ):
            table.add_column(name, justify="left" if name == "group" else "right")
        rows = [("all", report.overall)] + [(g.group, g.result) for g in report.groups]
        for name, r in rows:
            if r is None:
                table.add_row(name, "-", "-", "-", "-", "-", "-", "-", "-", "-", "too few")
                continue
            ba = r.bland_altman
            table.add_row(
                name,
                str(r.n_subjects),
                fmt(r.mean),
                fmt(r.wsd),
                fmt(r.rc),
                fmt(r.wcv_pct, 3),
                fmt(r.rc_relative_pct, 3),
                fmt(r.icc["ICC(3,1)"].value, 3),
                fmt(r.icc["ICC(2,1)"].value, 3),
                fmt(None if ba is None else ba.bias),
                "-" if ba is None else f"{ba.loa_low:.3g} to {ba.loa_high:.3g}",
            )
        print_table(table)
        for path in written:
            console.print(f"figure: {path}", highlight=False)
