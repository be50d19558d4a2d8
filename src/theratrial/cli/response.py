"""CLI commands of the response capability: ``recist``, ``repeatability``, ``model``.

Thin adapters over :mod:`theratrial.response` (RECIST 1.1) and :mod:`theratrial.stats`
(test-retest repeatability, lesion- and patient-level outcome models). Each prints a Rich
table, or JSON with ``--json``; ``--figures DIR`` writes the figures of
:mod:`theratrial.report.response_plots` (``--plot`` is the same option).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import typer
from rich.progress import Progress
from rich.table import Table

from theratrial.cli._common import console, err_console, handle_errors, print_json, to_jsonable
from theratrial.errors import ParameterError, PatientRecordError
from theratrial.response import (
    RecistEvaluation,
    assessment_from_dict,
    evaluate_recist,
    lesion_changes,
)

__all__ = ["recist_payload", "register"]

RECIST_HELP = (
    "RECIST 1.1 responses of one patient (or several) from a JSON file of assessments.\n\n"
    'Input: {"baseline_date": "YYYY-MM-DD" (optional: start of treatment, for the SD '
    'duration), "time_points": [{"date": "YYYY-MM-DD", "lesions": [{"id", "organ", '
    '"nodal": bool, "measurement_mm": number | null | "too_small", "target": bool, '
    '"new": bool | "equivocal", "status": present | absent | too_small | '
    "unequivocal_progression | not_evaluated}]}]}. The first time point is the baseline. "
    "Nodes are measured on the short axis; a list of numbers is a split lesion; a lesion "
    "seen before inherits its organ and nodal flag; a time point may say "
    '"not_done": true or "tumour_markers_normal": false. Without target flags at baseline '
    "the targets are chosen by RECIST (at most 5, at most 2 per organ, all nodes one organ). "
    'Several patients: {"patients": [{"id": ..., "time_points": [...]}, ...]}.\n\n'
    "Output per time point: date, sum_mm, change_from_baseline_pct, change_from_nadir_pct, "
    "target, non_target, new_lesions, overall (the baseline first, with null responses); "
    "then best_overall_response (confirmed when --confirm-days is given)."
)

_FIG = typer.Option(None, "--figures", "--plot", help="Folder to write the figures (PNG) in.")
_JSON = typer.Option(False, "--json", help="Print JSON.")


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "value", value))


@contextmanager
def _progress(enabled: bool, description: str) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=None)

        def callback(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield callback


def _csv_list(text: str | None, option: str) -> list[str]:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    if text is not None and not items:
        raise ParameterError("empty list", field=option, hint="write names separated by commas")
    return items


# --- recist ----------------------------------------------------------------------------------


def recist_payload(evaluation: RecistEvaluation) -> dict[str, Any]:
    """The JSON document of one patient's RECIST evaluation."""
    bor = evaluation.best_overall_response
    confirmed = evaluation.best_overall_response_confirmed
    return {
        "criteria": "RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228-247)",
        "time_points": to_jsonable(list(evaluation.time_points)),
        "best_overall_response": bor.response.value,
        "best_overall_response_detail": to_jsonable(bor),
        "best_overall_response_unconfirmed": (
            evaluation.best_overall_response_unconfirmed.response.value
        ),
        "best_overall_response_confirmed": None if confirmed is None else confirmed.response.value,
        "best_change_from_baseline_pct": evaluation.best_change_from_baseline_pct,
        "baseline": to_jsonable(evaluation.baseline),
        "options": {"confirm_days": evaluation.confirm_days, "min_sd_days": evaluation.min_sd_days},
        "units": {
            "sum_mm": "mm",
            "nadir_mm": "mm",
            "change_*_pct": "percent",
            "day": "days from the reference date (baseline_date or first scan)",
        },
    }


def _recist_table(evaluation: RecistEvaluation, title: str) -> None:
    table = Table(title=title)
    for name in (
        "date",
        "day",
        "sum mm",
        "vs baseline %",
        "vs nadir %",
        "target",
        "non-target",
        "new",
        "overall",
    ):
        table.add_column(name, justify="right" if name[0] in "dsv" else "left")
    for tp in evaluation.time_points:
        table.add_row(
            str(tp.date),
            str(tp.day),
            _fmt(tp.sum_mm),
            _fmt(tp.change_from_baseline_pct),
            _fmt(tp.change_from_nadir_pct),
            "baseline" if tp.is_baseline else _fmt(tp.target),
            _fmt(tp.non_target),
            _fmt(tp.new_lesions),
            _fmt(tp.overall),
        )
    console.print(table)
    bor = evaluation.best_overall_response
    console.print(f"Best overall response: [bold]{bor.response.value}[/] ({bor.reason})")
    for tp in evaluation.time_points:
        for note in tp.notes:
            console.print(f"  {tp.date}: {note}", highlight=False)


def _patients(data: Any, file: str) -> list[tuple[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("patients"), list):
        out = []
        for i, item in enumerate(data["patients"]):
            if not isinstance(item, dict):
                raise PatientRecordError(
                    "a patient must be an object", file=file, field=f"patients[{i}]"
                )
            pid = str(item.get("id", item.get("patient_id", f"patient {i + 1}")))
            out.append((pid, item))
        return out
    return [("", data)]


def recist_command(
    assessments: Path = typer.Argument(..., help="JSON file of assessments (see above)."),
    confirm_days: int | None = typer.Option(
        None, "--confirm-days", min=0, help="Confirm CR/PR by an assessment >= N days later."
    ),
    min_sd_days: int = typer.Option(
        0, "--min-sd-days", min=0, help="Minimum days from the reference date for SD."
    ),
    as_json: bool = _JSON,
    figures: Path | None = _FIG,
) -> None:
    with handle_errors():
        try:
            data = json.loads(assessments.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PatientRecordError(
                f"invalid JSON at column {exc.colno}: {exc.msg}",
                file=assessments,
                line=exc.lineno,
                hint="write the assessments as a JSON object (see theratrial recist --help)",
            ) from None
        results: list[tuple[str, RecistEvaluation, Any]] = []
        for pid, record in _patients(data, str(assessments)):
            try:
                assessment = assessment_from_dict(record, file=str(assessments))
                evaluation = evaluate_recist(
                    assessment, confirm_days=confirm_days, min_sd_days=min_sd_days
                )
            except PatientRecordError as exc:
                if pid:
                    exc.message = f"patient {pid}: {exc.message}"
                if exc.file is None:
                    exc.file = str(assessments)
                raise
            results.append((pid, evaluation, assessment))
        written = _recist_figures(results, figures) if figures is not None else []
        if as_json:
            if len(results) == 1 and not results[0][0]:
                payload = recist_payload(results[0][1])
            else:
                payload = {
                    "patients": [
                        {"patient_id": pid, **recist_payload(ev)} for pid, ev, _ in results
                    ]
                }
            payload["figures"] = [str(p) for p in written]
            print_json(payload)
            return
        for pid, evaluation, _ in results:
            _recist_table(evaluation, f"RECIST 1.1 {pid}".strip())
        for path in written:
            console.print(f"figure: {path}", highlight=False)


def _recist_figures(results: list[tuple[str, RecistEvaluation, Any]], folder: Path) -> list[Path]:
    from theratrial.report.response_plots import (
        save_figure,
        spider_from_evaluation,
        spider_from_lesions,
        waterfall_figure,
    )

    written: list[Path] = []
    if len(results) > 1:
        evaluations = {pid: ev for pid, ev, _ in results}
        written.append(save_figure(spider_from_evaluation(evaluations), folder / "spider.png"))
        fig = waterfall_figure(
            [ev.best_change_from_baseline_pct for ev in evaluations.values()],
            labels=list(evaluations),
            categories=[ev.best_overall_response.response.value for ev in evaluations.values()],
        )
        written.append(save_figure(fig, folder / "waterfall.png"))
    for pid, _, assessment in results:
        prefix = f"{pid}_" if pid and len(results) > 1 else ""
        changes = lesion_changes(assessment)
        written.append(
            save_figure(spider_from_lesions(changes), folder / f"{prefix}spider_lesions.png")
        )
        best: dict[str, float] = {}
        for c in changes:
            if c.change_pct is not None:
                best[c.lesion_id] = min(best.get(c.lesion_id, c.change_pct), c.change_pct)
        fig = waterfall_figure(
            list(best.values()), labels=list(best), title="Best change in lesion diameter"
        )
        written.append(save_figure(fig, folder / f"{prefix}waterfall_lesions.png"))
    return written


# --- repeatability ---------------------------------------------------------------------------


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
    as_json: bool = _JSON,
    figures: Path | None = _FIG,
) -> None:
    """Test-retest repeatability: wSD, wCV, RC, ICC (six forms), Bland-Altman, per group."""
    with handle_errors():
        from theratrial.stats import read_csv_table, repeatability_from_table

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
                _fmt(r.mean),
                _fmt(r.wsd),
                _fmt(r.rc),
                _fmt(r.wcv_pct, 3),
                _fmt(r.rc_relative_pct, 3),
                _fmt(r.icc["ICC(3,1)"].value, 3),
                _fmt(r.icc["ICC(2,1)"].value, 3),
                _fmt(None if ba is None else ba.bias),
                "-" if ba is None else f"{ba.loa_low:.3g} to {ba.loa_high:.3g}",
            )
        console.print(table)
        for path in written:
            console.print(f"figure: {path}", highlight=False)


# --- model -----------------------------------------------------------------------------------


def _model_payload(analysis: Any, written: list[Path]) -> dict[str, Any]:
    def fit_json(fit: Any) -> dict[str, Any]:
        data: dict[str, Any] = to_jsonable(fit)
        data.pop("params", None)
        return data

    uni = []
    for fit in analysis.univariable:
        row = {
            "ok": fit.ok,
            "message": fit.message,
            "converged": fit.converged,
            "n_obs": fit.n_obs,
            "n_patients": fit.n_clusters,
        }
        row |= to_jsonable(fit.coefficients[1]) if fit.ok else {"term": None}
        uni.append(row)
    cv = analysis.cross_validation
    cal = analysis.calibration
    return {
        "level": analysis.level,
        "outcome": to_jsonable(analysis.outcome),
        "predictors": list(analysis.predictors),
        "method": analysis.method,
        "family": analysis.family,
        "correlation": analysis.multivariable.correlation,
        "standardized": analysis.standardized,
        "predictor_sd": dict(zip(analysis.predictors, analysis.predictor_sd, strict=True)),
        "n_rows": analysis.n_rows,
        "n_obs": analysis.n_obs,
        "n_patients": analysis.n_clusters,
        "n_excluded": analysis.n_excluded,
        "univariable": uni,
        "multivariable": fit_json(analysis.multivariable),
        "discrimination": to_jsonable(analysis.apparent_auc),
        "predictor_auc": [
            {"predictor": p.predictor, **to_jsonable(p.auc)} for p in analysis.predictor_auc
        ],
        "fit": {"r2": analysis.apparent_r2, "rmse": analysis.apparent_rmse},
        "cross_validation": None
        if cv is None
        else {k: v for k, v in to_jsonable(cv).items() if k != "predictions"},
        "calibration": None
        if cal is None
        else {
            "intercept": cal.intercept,
            "slope": cal.slope,
            "brier": cal.brier,
            "bins": [
                {"predicted": p, "observed": o, "count": c}
                for p, o, c in zip(cal.predicted, cal.observed, cal.counts, strict=True)
            ],
        },
        "units": {
            "estimate": "outcome units per predictor unit (per SD if standardized); "
            "log-odds for a binary outcome"
        },
        "figures": [str(p) for p in written],
    }


def _model_figures(analysis: Any, folder: Path) -> list[Path]:
    from theratrial.report.response_plots import (
        calibration_figure,
        effect_figure,
        outcome_report_figure,
        roc_figure,
        save_figure,
    )

    level = analysis.level
    written = [save_figure(outcome_report_figure(analysis), folder / f"{level}_model.png")]
    written.append(save_figure(effect_figure(analysis), folder / f"{level}_effects.png"))
    if analysis.roc is not None:
        curves = {"apparent": analysis.roc}
        if analysis.roc_cross_validated is not None:
            curves["cross-validated"] = analysis.roc_cross_validated
        written.append(save_figure(roc_figure(curves), folder / f"{level}_roc.png"))
    if analysis.calibration is not None:
        fig = calibration_figure(analysis.calibration)
        written.append(save_figure(fig, folder / f"{level}_calibration.png"))
    return written


def _model_table(analysis: Any) -> None:
    binary = analysis.family == "binomial"
    title = (
        f"{analysis.level}-level model of {analysis.outcome.description} "
        f"({analysis.method}; {analysis.n_obs} rows, {analysis.n_clusters} patients)"
    )
    table = Table(title=title)
    for name in ("model", "term", "OR" if binary else "estimate", "95 % CI", "p"):
        table.add_column(name, justify="left" if name in ("model", "term") else "right")
    rows = [("univariable", f.coefficients[1]) for f in analysis.univariable if f.ok]
    rows += [("multivariable", c) for c in analysis.multivariable.coefficients[1:]]
    for kind, c in rows:
        est, ci = (c.odds_ratio, c.odds_ratio_ci) if binary else (c.estimate, (c.ci_low, c.ci_high))
        table.add_row(
            kind, c.term, _fmt(est), f"{_fmt(ci[0])} to {_fmt(ci[1])}", _fmt(c.p_value, 3)
        )
    console.print(table)
    if not analysis.multivariable.ok:
        console.print(f"multivariable fit failed: {analysis.multivariable.message}")
    auc, cv = analysis.apparent_auc, analysis.cross_validation
    if auc is not None and auc.auc is not None:
        console.print(
            f"AUC {auc.auc:.3f} (95 % CI {_fmt(auc.ci_low, 3)} to {_fmt(auc.ci_high, 3)},"
            f" patient bootstrap n={auc.n_bootstrap})"
        )
    if cv is not None:
        metric = (
            f"AUC {_fmt(cv.auc, 3)}" if binary else f"RMSE {_fmt(cv.rmse)}, R² {_fmt(cv.r2, 3)}"
        )
        console.print(f"cross-validated ({cv.scheme}, {cv.n_folds} folds): {metric}")


_OUTCOME = typer.Option(None, "--outcome", help="Outcome column.")
_PREDICTORS = typer.Option(
    ..., "--predictors", "--predictor", help="Predictor columns, comma-separated (repeatable)."
)
_PATIENT_COLUMNS = ("patient", "patient_id", "subject", "subject_id")
_THRESHOLD = typer.Option(None, "--threshold", help="Responder when outcome <= THRESHOLD.")
_ABOVE = typer.Option(False, "--above", help="Responder when outcome >= THRESHOLD instead.")
_POSITIVE = typer.Option(None, "--positive", help="Labels counted as 1, e.g. CR,PR.")
_STD = typer.Option(False, "--standardize", help="Effects per SD of each predictor.")
_BOOT = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap replicates for AUC CIs.")
_FOLDS = typer.Option(5, "--folds", min=2, help="Cross-validation folds.")
_SEED = typer.Option(0, "--seed", help="Random seed (bootstrap, folds).")


def _patient_column(frame: Any, given: str | None) -> str:
    if given is not None:
        return given
    names = {str(c).strip().lower() for c in frame.columns}
    return next((c for c in _PATIENT_COLUMNS if c in names), "patient")


def _run_model(as_json: bool, figures: Path | None, fit: Callable[[Any], Any]) -> None:
    with _progress(not as_json, "fitting") as progress:
        analysis = fit(progress)
    written = _model_figures(analysis, figures) if figures is not None else []
    if as_json:
        print_json(_model_payload(analysis, written))
        return
    _model_table(analysis)
    for path in written:
        console.print(f"figure: {path}", highlight=False)


def model_lesions_command(
    data: Path = typer.Argument(..., help="CSV, one row per lesion."),
    outcome: str = typer.Option(..., "--outcome", help="Outcome column (e.g. change_pct)."),
    predictors: list[str] = _PREDICTORS,
    patient: str | None = typer.Option(
        None, "--patient", help="Patient id column (default: patient, patient_id or subject)."
    ),
    threshold: float | None = _THRESHOLD,
    above: bool = _ABOVE,
    positive: str | None = _POSITIVE,
    method: str = typer.Option("gee", "--method", help="gee or mixed (continuous only)."),
    standardize: bool = _STD,
    bootstrap: int = _BOOT,
    folds: int = _FOLDS,
    seed: int = _SEED,
    as_json: bool = _JSON,
    figures: Path | None = _FIG,
) -> None:
    """Lesion-level outcome model (GEE, lesions clustered in patients).

    Univariable and multivariable GEE (exchangeable correlation, cluster = patient) or a
    mixed model; ROC AUC with patient-bootstrap CIs; cross-validation grouped by patient.
    """
    with handle_errors():
        from theratrial.stats import analyse_lesions, read_csv_table

        if method not in ("gee", "mixed"):
            raise ParameterError(
                f"unknown method {method!r}", field="--method", hint="gee or mixed"
            )
        lesion_method: Literal["gee", "mixed"] = "mixed" if method == "mixed" else "gee"
        frame = read_csv_table(data)
        _run_model(
            as_json,
            figures,
            lambda progress: analyse_lesions(
                frame,
                outcome=outcome,
                predictors=_csv_list(",".join(predictors), "--predictors"),
                patient=_patient_column(frame, patient),
                threshold=threshold,
                below=not above,
                positive_labels=_csv_list(positive, "--positive"),
                method=lesion_method,
                standardize=standardize,
                n_bootstrap=bootstrap,
                n_folds=folds,
                seed=seed,
                progress=progress,
            ),
        )


def model_patients_command(
    data: Path = typer.Argument(..., help="CSV, one row per patient (or per lesion)."),
    predictors: list[str] = _PREDICTORS,
    outcome: str | None = _OUTCOME,
    patient: str | None = typer.Option(
        None, "--patient", help="Patient id column (default: patient, patient_id or subject)."
    ),
    threshold: float | None = _THRESHOLD,
    above: bool = _ABOVE,
    positive: str | None = _POSITIVE,
    time: str | None = typer.Option(None, "--time", help="Time to progression/censoring."),
    event: str | None = typer.Option(None, "--event", help="1 = progression, 0 = censored."),
    landmark: float | None = typer.Option(
        None, "--landmark", help="Outcome: progression-free at this time (unit of --time)."
    ),
    aggregate: str | None = typer.Option(
        None, "--aggregate", help="Lesion rows: summarise predictors per patient (mean, max...)."
    ),
    standardize: bool = _STD,
    bootstrap: int = _BOOT,
    folds: int = _FOLDS,
    seed: int = _SEED,
    as_json: bool = _JSON,
    figures: Path | None = _FIG,
) -> None:
    """Patient-level response model (best response or progression-free at a landmark).

    Logistic or linear GLM, one row per patient (or lesion rows summarised with
    --aggregate); AUC with bootstrap CI; stratified cross-validation.
    """
    with handle_errors():
        from theratrial.stats import analyse_patients, read_csv_table

        frame = read_csv_table(data)
        _run_model(
            as_json,
            figures,
            lambda progress: analyse_patients(
                frame,
                predictors=_csv_list(",".join(predictors), "--predictors"),
                outcome=outcome,
                patient=_patient_column(frame, patient),
                threshold=threshold,
                below=not above,
                positive_labels=_csv_list(positive, "--positive"),
                time=time,
                event=event,
                landmark=landmark,
                aggregate=aggregate,
                standardize=standardize,
                n_bootstrap=bootstrap,
                n_folds=folds,
                seed=seed,
                progress=progress,
            ),
        )


def register(app: typer.Typer) -> None:
    """Add ``recist``, ``repeatability`` and ``model lesions|patients`` to the app."""
    app.command("recist", help=RECIST_HELP)(recist_command)
    app.command("repeatability")(repeatability_command)
    model = typer.Typer(
        help="Outcome models: lesion level and patient level.", no_args_is_help=True
    )
    model.command("lesions")(model_lesions_command)
    model.command("patients")(model_patients_command)
    app.add_typer(model, name="model")
