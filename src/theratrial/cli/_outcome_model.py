"""The ``model lesions|patients`` commands: lesion- and patient-level outcome models (private).

Thin adapters over :func:`theratrial.stats.analyse_lesions` and
:func:`theratrial.stats.analyse_patients`; registered by :mod:`theratrial.cli.response`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

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
from theratrial.cli._progress import progress_callback
from theratrial.cli._response_options import FIGURES, JSON, fmt
from theratrial.errors import ParameterError

__all__ = ["model_lesions_command", "model_patients_command"]


def _csv_list(text: str | None, option: str) -> list[str]:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    if text is not None and not items:
        raise ParameterError("empty list", field=option, hint="write names separated by commas")
    return items


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
        "events_per_variable": to_jsonable(analysis.events_per_variable),
        "warnings": list(analysis.warnings),
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

    folder.mkdir(exist_ok=True)  # --figures: checked by output_folder, created here
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
        table.add_row(kind, c.term, fmt(est), f"{fmt(ci[0])} to {fmt(ci[1])}", fmt(c.p_value, 3))
    print_table(table)
    for warning in analysis.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    if not analysis.multivariable.ok:
        console.print(f"multivariable fit failed: {analysis.multivariable.message}")
    auc, cv = analysis.apparent_auc, analysis.cross_validation
    if auc is not None and auc.auc is not None:
        console.print(
            f"AUC {auc.auc:.3f} (95 % CI {fmt(auc.ci_low, 3)} to {fmt(auc.ci_high, 3)},"
            f" patient bootstrap n={auc.n_bootstrap})"
        )
    if cv is not None:
        metric = f"AUC {fmt(cv.auc, 3)}" if binary else f"RMSE {fmt(cv.rmse)}, R² {fmt(cv.r2, 3)}"
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
    if figures is not None:
        output_folder(figures, option="--figures")
    with progress_callback(not as_json, "fitting") as progress:
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
    as_json: bool = JSON,
    figures: Path | None = FIGURES,
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
    as_json: bool = JSON,
    figures: Path | None = FIGURES,
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
