"""Patient-level response model: RECIST best response or progression-free at a landmark.

The Bordet trial's secondary objective is a patient-based response model from the same
predictors as the lesion analysis. Each patient is one observation: predictors come from a
patient table, or are summarised from the lesion table (mean, max, min, median or sum per
patient, chosen per predictor: e.g. the maximum SUV, the mean lesion dose). The outcome is
a RECIST best overall response made binary (``positive_labels``: CR,PR for objective
response, CR,PR,SD for disease control), a 0/1 column, a continuous value (best change of
the sum of diameters), or progression-free status at a landmark time (Anderson, Cain &
Gelber 1983, J Clin Oncol 1:710-719): progressed by the landmark = 0, followed past it
without progression = 1, censored before it = excluded.

The model is a logistic (binary) or linear (continuous) GLM; AUC intervals bootstrap
patients, cross-validation uses stratified (binary) or plain K folds, shuffled by the seed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from theratrial.errors import ParameterError, TableError
from theratrial.stats._table import locate, numeric_column, require_columns, text_column
from theratrial.stats.outcomes import OutcomeAnalysis, analyse_outcome

__all__ = ["AGGREGATIONS", "analyse_patients", "patient_summary", "progression_free_at"]

#: Ways to summarise a lesion-level predictor per patient.
AGGREGATIONS = ("mean", "max", "min", "median", "sum")


def progression_free_at(
    frame: pd.DataFrame, *, time: str, event: str, landmark: float
) -> NDArray[np.float64]:
    """1 if progression-free at ``landmark``, 0 if progressed by then, NaN if censored before.

    Parameters
    ----------
    frame
        One row per patient.
    time
        Time to progression or censoring (same unit as ``landmark``).
    event
        1 (or yes/true) for progression, 0 for censoring.
    landmark
        The landmark time.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pfs_months": [3, 14, 8, 12], "progressed": [1, 0, 0, 1]})
    >>> progression_free_at(df, time="pfs_months", event="progressed", landmark=12).tolist()
    [0.0, 1.0, nan, 0.0]
    """
    cols = require_columns(frame, [time, event], what="the landmark outcome")
    t = numeric_column(frame, cols[time])
    e = numeric_column(frame, cols[event])
    for pos, value in enumerate(e):
        if np.isfinite(value) and value not in (0.0, 1.0):
            file, line, label = locate(frame, pos)
            raise TableError(
                f"{label}: event must be 0 or 1, got {value:g}",
                file=file,
                line=line,
                field=cols[event],
                hint="1 = progression, 0 = censored",
            )
    out = np.full(len(frame), np.nan)
    ok = np.isfinite(t) & np.isfinite(e)
    out[ok & (e == 1.0) & (t <= landmark)] = 0.0
    out[ok & (t >= landmark) & ~((e == 1.0) & (t <= landmark))] = 1.0
    return out


def patient_summary(
    frame: pd.DataFrame,
    *,
    predictors: Sequence[str],
    patient: str = "patient",
    how: str | Mapping[str, str] = "mean",
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per patient: predictors summarised over the patient's lesions.

    Parameters
    ----------
    frame
        One row per lesion.
    predictors
        Numeric columns to summarise.
    patient
        Patient id column.
    how
        One of :data:`AGGREGATIONS` for all predictors, or a mapping predictor -> method.
    carry
        Patient-level columns copied as they are (e.g. the best overall response); they
        must hold one value per patient.

    Returns
    -------
    pandas.DataFrame
        Columns: the patient column, ``n_lesions``, the predictors, the carried columns.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"patient": ["A", "A", "B"], "suv": [10.0, 20.0, 5.0],
    ...                    "bor": ["PR", "PR", "PD"]})
    >>> patient_summary(df, predictors=["suv"], how="max", carry=["bor"]).to_dict("list")
    {'patient': ['A', 'B'], 'n_lesions': [2, 1], 'suv': [20.0, 5.0], 'bor': ['PR', 'PD']}
    """
    cols = require_columns(frame, [patient, *predictors, *carry], what="the patient summary")
    methods = {p: (how if isinstance(how, str) else how.get(p, "mean")) for p in predictors}
    for name, method in methods.items():
        if method not in AGGREGATIONS:
            raise ParameterError(
                f"unknown summary {method!r} for {name}",
                field="how",
                hint=f"use one of {', '.join(AGGREGATIONS)}",
            )
    ids = text_column(frame, cols[patient])
    data = {p: numeric_column(frame, cols[p]) for p in predictors}
    carried = {c: [str(v).strip() for v in frame[cols[c]].tolist()] for c in carry}
    order = list(dict.fromkeys(ids))
    positions: dict[str, list[int]] = {pid: [] for pid in order}
    for pos, pid in enumerate(ids):
        positions[pid].append(pos)
    rows: list[dict[str, object]] = []
    for pid in order:
        idx = positions[pid]
        row: dict[str, object] = {patient: pid, "n_lesions": len(idx)}
        for p in predictors:
            values = data[p][idx]
            values = values[np.isfinite(values)]
            row[p] = float(getattr(np, methods[p])(values)) if values.size else np.nan
        for c in carry:
            distinct = {carried[c][i] for i in idx} - {""}
            if len(distinct) > 1:
                file, line, label = locate(frame, idx[1])
                raise TableError(
                    f"{label}: patient {pid} has several values of {c}: {sorted(distinct)}",
                    file=file,
                    line=line,
                    field=cols[c],
                    hint="a patient-level column needs one value per patient",
                )
            row[c] = distinct.pop() if distinct else ""
        rows.append(row)
    summary = pd.DataFrame(rows, columns=[patient, "n_lesions", *predictors, *carry])
    if frame.attrs.get("file") is not None:
        # errors on the summary name the file line of each patient's first row
        summary.index = pd.Index([frame.index[positions[pid][0]] for pid in order])
        summary.attrs["file"] = frame.attrs["file"]
    return summary


def analyse_patients(
    frame: pd.DataFrame,
    *,
    predictors: Sequence[str],
    outcome: str | None = None,
    patient: str = "patient",
    threshold: float | None = None,
    below: bool = True,
    positive_labels: Sequence[str] = (),
    time: str | None = None,
    event: str | None = None,
    landmark: float | None = None,
    aggregate: str | Mapping[str, str] | None = None,
    standardize: bool = False,
    n_bootstrap: int = 1000,
    n_folds: int = 5,
    seed: int = 0,
    confidence: float = 0.95,
    progress: Callable[[int, int], None] | None = None,
) -> OutcomeAnalysis:
    """Patient-level response model (logistic or linear GLM, one row per patient).

    Parameters
    ----------
    frame
        One row per patient, or per lesion when ``aggregate`` is given.
    predictors
        Predictor columns.
    outcome
        Outcome column (e.g. ``best_overall_response`` with ``positive_labels=("CR",
        "PR")``); omit it with ``landmark``.
    patient
        Patient id column (checked for duplicates).
    threshold, below, positive_labels
        As for :func:`~theratrial.stats.outcomes.outcome_values`.
    time, event, landmark
        Progression-free at ``landmark`` as the outcome (:func:`progression_free_at`).
    aggregate
        Summarise lesion rows per patient first (:func:`patient_summary`).
    standardize, n_bootstrap, n_folds, seed, confidence, progress
        As for :func:`~theratrial.stats.outcomes.analyse_outcome`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> dose = rng.uniform(10, 80, 60)
    >>> p = 1 / (1 + np.exp(-(dose - 45) / 8))
    >>> df = pd.DataFrame({"patient": [f"P{i}" for i in range(60)], "dose_gy": dose,
    ...                    "bor": np.where(rng.uniform(size=60) < p, "PR", "SD")})
    >>> res = analyse_patients(df, outcome="bor", positive_labels=["CR", "PR"],
    ...                        predictors=["dose_gy"], n_bootstrap=20, n_folds=3)
    >>> res.family, res.multivariable.term("dose_gy").estimate > 0, res.apparent_auc.auc > 0.7
    ('binomial', True, True)
    """
    use_landmark = landmark is not None or time is not None or event is not None
    if use_landmark and (landmark is None or time is None or event is None):
        raise ParameterError(
            "a landmark outcome needs time, event and landmark",
            field="landmark",
            hint="give all three, e.g. time=pfs_months event=progressed landmark=12",
        )
    if use_landmark and outcome is not None:
        raise ParameterError("give either an outcome or a landmark", field="outcome")
    if not use_landmark and outcome is None:
        raise ParameterError(
            "no outcome", field="outcome", hint="name the outcome column or a landmark"
        )
    carry = [c for c in (outcome, time, event) if c is not None]
    if aggregate is not None:
        data = patient_summary(
            frame, predictors=predictors, patient=patient, how=aggregate, carry=carry
        )
    else:
        cols = require_columns(frame, [patient], what="the patient model")
        ids = text_column(frame, cols[patient])
        seen: dict[str, int] = {}
        for pos, pid in enumerate(ids):
            if pid in seen:
                file, line, label = locate(frame, pos)
                raise TableError(
                    f"{label}: patient {pid} appears more than once",
                    file=file,
                    line=line,
                    field=cols[patient],
                    hint="give one row per patient, or summarise lesion rows (aggregate)",
                )
            seen[pid] = pos
        data = frame
    if time is not None and event is not None and landmark is not None:
        outcome = f"progression_free_at_{landmark:g}"
        data = data.copy()
        status = progression_free_at(data, time=time, event=event, landmark=landmark)
        data[outcome] = ["" if np.isnan(v) else str(int(v)) for v in status]
    if outcome is None:  # pragma: no cover - excluded by the checks above
        raise ParameterError("no outcome", field="outcome")
    return analyse_outcome(
        data,
        outcome=outcome,
        predictors=predictors,
        cluster=None,
        threshold=threshold,
        below=below,
        positive_labels=positive_labels,
        method="glm",
        standardize=standardize,
        n_bootstrap=n_bootstrap,
        n_folds=n_folds,
        seed=seed,
        confidence=confidence,
        progress=progress,
    )
