"""``/analyses``: response, repeatability and outcome-model analyses for the pages.

- ``GET /analyses/recist``: the newest stored RECIST 1.1 evaluation of each patient of the
  reader's sites (the rows ``POST /patients/{id}/recist`` stored; Eisenhauer et al. 2009);
  ``waterfall.svg`` and ``spider.svg`` draw them with
  :mod:`theratrial.report.response_plots`.
- ``POST /analyses/repeatability``: a CSV of test-retest values, as ``theratrial
  repeatability`` reads it (columns subject, region, scan, value), analysed by
  :func:`theratrial.stats.repeatability_from_table` (wSD, wCV, RC, the six ICC forms of
  Shrout & Fleiss 1979, Bland & Altman 1986).
- ``POST /analyses/outcome-model``: a CSV as ``theratrial model patients|lesions`` reads it,
  analysed by :func:`theratrial.stats.analyse_patients` or
  :func:`theratrial.stats.analyse_lesions` (effects with 95 % CIs, ROC AUC).

An uploaded table is analysed and returned, never stored; the figures come back as
``data:image/png`` URIs in the JSON.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from theratrial.api.deps import Context, require, tx, visible_site_pks
from theratrial.api.permissions import Action
from theratrial.api.problems import ProblemError
from theratrial.api.routers._common import jsonable, protocol_for
from theratrial.store.dashboard import RecistEntry, latest_recist

__all__ = ["router"]

router = APIRouter(prefix="/analyses", tags=["analyses"])

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""Largest CSV an analysis reads (5 MiB: tens of thousands of rows)."""


def _finite(value: Any) -> Any:
    """JSON values with NaN and infinities as None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _recist_rows(request: Request, ctx: Context, trial_id: str | None) -> list[RecistEntry]:
    with tx(request) as session:
        trial = protocol_for(session, trial_id).id if trial_id else None
        sites = visible_site_pks(session, ctx.principal)
        return latest_recist(session, trial_id=trial, site_pks=sites)


def _svg(figure: Any) -> Response:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return Response(buffer.getvalue(), media_type="image/svg+xml")


@router.get("/recist")
def recist_table(
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    trial_id: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """Per patient of the reader's sites: RECIST time points and best overall response."""
    items = []
    for e in _recist_rows(ctx.request, ctx, trial_id):
        r = e.result
        items.append(
            {
                "patient_id": e.patient_id,
                "trial_id": e.trial_id,
                "best_overall_response": r.get("best_overall_response"),
                "best_overall_response_confirmed": r.get("best_overall_response_confirmed"),
                "best_change_from_baseline_pct": r.get("best_change_from_baseline_pct"),
                "time_points": [
                    {
                        k: tp.get(k)
                        for k in (
                            "date",
                            "day",
                            "is_baseline",
                            "sum_mm",
                            "change_from_baseline_pct",
                            "change_from_nadir_pct",
                            "target",
                            "non_target",
                            "new_lesions",
                            "overall",
                        )
                    }
                    for tp in r.get("time_points", [])
                ],
            }
        )
    return {
        "criteria": "RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228-247)",
        "items": _finite(items),
        "units": {
            "sum_mm": "mm",
            "change_from_baseline_pct": "percent",
            "change_from_nadir_pct": "percent",
            "best_change_from_baseline_pct": "percent",
            "day": "days from baseline",
        },
    }


@router.get("/waterfall.svg")
def waterfall_svg(
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    trial_id: str | None = Query(None, max_length=64),
) -> Response:
    """Waterfall plot of the best change in the sum of diameters, coloured by BOR."""
    from theratrial.report.response_plots import waterfall_figure

    rows = _recist_rows(ctx.request, ctx, trial_id)
    fig = waterfall_figure(
        [e.result.get("best_change_from_baseline_pct") for e in rows],
        labels=[e.patient_id for e in rows],
        categories=[e.result.get("best_overall_response") for e in rows],
    )
    return _svg(fig)


@router.get("/spider.svg")
def spider_svg(
    ctx: Context = Depends(require(Action.READ_PATIENTS)),
    trial_id: str | None = Query(None, max_length=64),
) -> Response:
    """Spider plot: change of the sum of diameters from baseline over time (weeks)."""
    from theratrial.report.response_plots import spider_figure

    series = {
        e.patient_id: (
            [float(tp.get("day") or 0) / 7.0 for tp in e.result.get("time_points", [])],
            [tp.get("change_from_baseline_pct") for tp in e.result.get("time_points", [])],
        )
        for e in _recist_rows(ctx.request, ctx, trial_id)
    }
    return _svg(spider_figure(series, title="Sum of target diameters"))


async def _csv_body(request: Request) -> bytes:
    data = await request.body()
    if not data.strip():
        raise ProblemError(
            422,
            "the request body is empty",
            field="file",
            hint="upload the CSV table as the body (Content-Type: text/csv)",
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise ProblemError(
            413,
            f"the table is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB",
            field="file",
            hint="upload a smaller table",
        )
    return data


def _with_table(data: bytes, run: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """Run ``run`` on the uploaded CSV read as ``theratrial`` reads a file (never kept)."""
    from theratrial.stats import read_csv_table

    with tempfile.TemporaryDirectory(prefix="theratrial-upload-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(data)
        frame = read_csv_table(path)
        frame.attrs["file"] = "upload.csv"
        return run(frame)


def _png(figure: Any) -> str:
    from theratrial.report._render import figure_uri

    return figure_uri(figure, dpi=100)


def _repeatability_row(name: str, r: Any) -> dict[str, Any]:
    if r is None:
        return {"group": name, "too_few": True}
    ba = r.bland_altman
    return {
        "group": name,
        "too_few": False,
        "n_subjects": r.n_subjects,
        "k_repeats": r.k_repeats,
        "mean": r.mean,
        "wsd": r.wsd,
        "wsd_ci": list(r.wsd_ci),
        "rc": r.rc,
        "wcv_pct": r.wcv_pct,
        "rc_relative_pct": r.rc_relative_pct,
        "icc": [
            {
                "form": e.form,
                "description": e.description,
                "value": e.value,
                "ci_low": e.ci_low,
                "ci_high": e.ci_high,
                "p_value": e.p_value,
            }
            for e in r.icc.estimates
        ],
        "bland_altman": None
        if ba is None
        else {
            "n": ba.n,
            "bias": ba.bias,
            "loa_low": ba.loa_low,
            "loa_high": ba.loa_high,
            "bias_ci": list(ba.bias_ci),
        },
    }


@router.post("/repeatability")
async def repeatability(
    request: Request,
    ctx: Context = Depends(require(Action.RUN_ANALYSES)),
    subject: str = Query("subject", max_length=64),
    region: str = Query("region", max_length=64),
    scan: str = Query("scan", max_length=64),
    value: str = Query("value", max_length=64),
    unit: str = Query("", max_length=32, description="Unit of the value column, for display."),
    no_groups: bool = False,
    drop_incomplete: bool = False,
    confidence: float = Query(0.95, gt=0.5, lt=1),
) -> dict[str, Any]:
    """Test-retest repeatability of an uploaded CSV: per group wSD, RC, wCV, ICC, Bland-Altman."""
    data = await _csv_body(request)

    def run(frame: Any) -> dict[str, Any]:
        from theratrial.report.response_plots import bland_altman_figure
        from theratrial.stats import repeatability_from_table

        report = repeatability_from_table(
            frame,
            subject=subject,
            region=region,
            scan=scan,
            value=value,
            group_by=None if no_groups else region,
            drop_incomplete=drop_incomplete,
            confidence=confidence,
        )
        named = [("all", report.overall)] + [(g.group, g.result) for g in report.groups]
        figures = [
            {
                "group": name,
                "alt": f"Bland-Altman plot of {name}: difference against mean of the repeats",
                "src": _png(bland_altman_figure(r.bland_altman, title=f"Bland-Altman: {name}")),
            }
            for name, r in named
            if r is not None and r.bland_altman is not None
        ]
        return {
            "n_rows": report.n_rows,
            "n_targets": report.n_targets,
            "k_repeats": report.k_repeats,
            "group_by": report.group_by,
            "dropped_targets": list(report.dropped_targets),
            "confidence": confidence,
            "results": [_repeatability_row(n, r) for n, r in named],
            "figures": figures,
            "units": {
                "mean, wsd, rc, bias, loa": unit or "unit of the value column",
                "wcv_pct, rc_relative_pct": "percent",
                "icc": "dimensionless",
            },
        }

    result = await run_in_threadpool(_with_table, data, run)
    out: dict[str, Any] = _finite(jsonable(result))
    return out


def _effects(analysis: Any) -> list[dict[str, Any]]:
    binary = analysis.family == "binomial"
    rows = [("univariable", f.coefficients[1]) for f in analysis.univariable if f.ok]
    rows += [("multivariable", c) for c in analysis.multivariable.coefficients[1:]]
    out = []
    for model, c in rows:
        ci = c.odds_ratio_ci if binary and c.odds_ratio_ci else (c.ci_low, c.ci_high)
        out.append(
            {
                "model": model,
                "term": c.term,
                "measure": "odds ratio" if binary else "estimate",
                "value": c.odds_ratio if binary else c.estimate,
                "ci_low": ci[0],
                "ci_high": ci[1],
                "p_value": c.p_value,
            }
        )
    return out


@router.post("/outcome-model")
async def outcome_model(
    request: Request,
    ctx: Context = Depends(require(Action.RUN_ANALYSES)),
    level: Literal["patients", "lesions"] = "patients",
    predictors: str = Query(..., min_length=1, max_length=400),
    outcome: str | None = Query(None, max_length=64),
    patient: str | None = Query(None, max_length=64),
    threshold: float | None = None,
    above: bool = False,
    positive: str | None = Query(None, max_length=200),
    standardize: bool = False,
    bootstrap: int = Query(200, ge=0, le=2000),
    folds: int = Query(5, ge=2, le=20),
    seed: int = Query(0, ge=0, le=2**32 - 1),
) -> dict[str, Any]:
    """An outcome model of an uploaded CSV: effects (95 % CI), AUC, ROC and effect plots."""
    data = await _csv_body(request)
    names = [p.strip() for p in predictors.split(",") if p.strip()]
    labels = [p.strip() for p in (positive or "").split(",") if p.strip()]
    if not names:
        raise ProblemError(422, "no predictor named", field="predictors")
    if level == "lesions" and not outcome:
        raise ProblemError(422, "a lesion-level model needs its outcome column", field="outcome")

    def run(frame: Any) -> dict[str, Any]:
        from theratrial.report.response_plots import effect_figure, roc_figure
        from theratrial.stats import analyse_lesions, analyse_patients

        columns = {str(c).strip().lower(): str(c) for c in frame.columns}
        who = patient or next(
            (
                columns[c]
                for c in ("patient", "patient_id", "subject", "subject_id")
                if c in columns
            ),
            "patient",
        )
        common: dict[str, Any] = {
            "predictors": names,
            "patient": who,
            "threshold": threshold,
            "below": not above,
            "positive_labels": labels,
            "standardize": standardize,
            "n_bootstrap": bootstrap,
            "n_folds": folds,
            "seed": seed,
        }
        if level == "lesions":
            analysis = analyse_lesions(frame, outcome=str(outcome), **common)
        else:
            analysis = analyse_patients(frame, outcome=outcome, **common)
        figures = [
            {
                "name": "effects",
                "alt": "Effect of each predictor with its 95 % confidence interval",
                "src": _png(effect_figure(analysis)),
            }
        ]
        if analysis.roc is not None:
            curves = {"apparent": analysis.roc}
            if analysis.roc_cross_validated is not None:
                curves["cross-validated"] = analysis.roc_cross_validated
            figures.append(
                {
                    "name": "roc",
                    "alt": "ROC curve: sensitivity against 1 - specificity",
                    "src": _png(roc_figure(curves)),
                }
            )
        auc = analysis.apparent_auc
        cv = analysis.cross_validation
        return {
            "level": analysis.level,
            "outcome": jsonable(analysis.outcome),
            "family": analysis.family,
            "method": analysis.method,
            "standardized": analysis.standardized,
            "n_obs": analysis.n_obs,
            "n_patients": analysis.n_clusters,
            "n_excluded": analysis.n_excluded,
            "effects": _effects(analysis),
            "auc": None if auc is None else jsonable(auc),
            "cross_validated_auc": None if cv is None else getattr(cv, "auc", None),
            "warnings": list(analysis.warnings),
            "figures": figures,
            "units": {
                "value": "odds ratio per predictor unit (per SD if standardized)"
                if analysis.family == "binomial"
                else "outcome units per predictor unit (per SD if standardized)",
                "auc": "dimensionless (0.5 = chance)",
            },
        }

    result = await run_in_threadpool(_with_table, data, run)
    out: dict[str, Any] = _finite(jsonable(result))
    return out
