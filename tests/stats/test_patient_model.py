"""Patient-level response model, landmark outcome and per-patient summaries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theratrial.errors import ParameterError, TableError
from theratrial.stats import (
    analyse_patients,
    patient_summary,
    progression_free_at,
    read_csv_table,
)


@pytest.mark.parametrize(
    ("time", "event", "expected"),
    [
        (11.9, 1, 0.0),  # progressed before the landmark
        (12.0, 1, 0.0),  # progressed at the landmark: not progression-free at it
        (12.0, 0, 1.0),  # followed to the landmark without progression
        (15.0, 1, 1.0),  # progressed after the landmark
        (8.0, 0, np.nan),  # censored before the landmark: unknown
    ],
)
def test_landmark_status(time: float, event: int, expected: float) -> None:
    df = pd.DataFrame({"t": [time], "e": [event]})
    value = progression_free_at(df, time="t", event="e", landmark=12.0)[0]
    assert value == pytest.approx(expected, nan_ok=True)


def test_landmark_event_must_be_binary() -> None:
    with pytest.raises(TableError, match="row 2: event must be 0 or 1"):
        progression_free_at(
            pd.DataFrame({"t": [1, 2], "e": [1, 2]}), time="t", event="e", landmark=1
        )


def test_summary_per_predictor_methods(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=5, seed=0)
    out = patient_summary(
        df, predictors=["ga68_suvmax", "dose_gy"], how={"ga68_suvmax": "max", "dose_gy": "mean"}
    )
    first = df[df["patient"] == "P000"]
    assert out.loc[0, "ga68_suvmax"] == pytest.approx(first["ga68_suvmax"].max())
    assert out.loc[0, "dose_gy"] == pytest.approx(first["dose_gy"].mean())
    assert out["n_lesions"].sum() == len(df)
    with pytest.raises(ParameterError, match="unknown summary"):
        patient_summary(df, predictors=["dose_gy"], how="mode")


def test_carried_column_must_be_constant() -> None:
    df = pd.DataFrame({"patient": ["A", "A"], "x": [1.0, 2.0], "bor": ["PR", "SD"]})
    with pytest.raises(TableError, match="several values of bor"):
        patient_summary(df, predictors=["x"], carry=["bor"])


def _patients(seed: int = 0, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dose = rng.uniform(5.0, 60.0, n)
    logit = -3.0 + 0.1 * dose
    responder = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    bor = np.where(responder, rng.choice(["CR", "PR"], n), rng.choice(["SD", "PD"], n))
    pfs = np.where(responder, rng.uniform(10, 30, n), rng.uniform(2, 14, n))
    return pd.DataFrame(
        {
            "patient": [f"P{i}" for i in range(n)],
            "mean_dose_gy": dose,
            "bor": bor,
            "pfs_months": pfs,
            "progressed": 1,
        }
    )


def test_objective_response_model() -> None:
    res = analyse_patients(
        _patients(),
        outcome="bor",
        positive_labels=["CR", "PR"],
        predictors=["mean_dose_gy"],
        n_bootstrap=50,
        n_folds=5,
    )
    assert res.level == "patient"
    assert res.method == "glm"
    coef = res.multivariable.term("mean_dose_gy")
    assert coef.ci_low < 0.1 < coef.ci_high
    assert res.apparent_auc.auc > 0.7
    assert res.cross_validation.scheme == "stratified-kfold"


def test_landmark_model() -> None:
    res = analyse_patients(
        _patients(1),
        time="pfs_months",
        event="progressed",
        landmark=12,
        predictors=["mean_dose_gy"],
        n_bootstrap=0,
        n_folds=3,
    )
    assert res.outcome.column == "progression_free_at_12"
    assert res.multivariable.term("mean_dose_gy").estimate > 0


def test_model_from_lesion_rows(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=50, seed=2)
    best = df.groupby("patient")["change_pct"].transform("min")
    df["bor"] = np.where(best <= -30, "PR", "SD")
    res = analyse_patients(
        df,
        outcome="bor",
        positive_labels=["PR"],
        predictors=["dose_gy"],
        aggregate="mean",
        n_bootstrap=0,
        n_folds=3,
    )
    assert res.n_obs == 50


def test_duplicated_patient_and_option_errors() -> None:
    df = _patients(n=6)
    df.loc[4, "patient"] = "P1"
    with pytest.raises(TableError, match="row 5: patient P1 appears more than once"):
        analyse_patients(df, outcome="bor", positive_labels=["PR"], predictors=["mean_dose_gy"])
    with pytest.raises(ParameterError, match="time, event and landmark"):
        analyse_patients(df, time="pfs_months", predictors=["mean_dose_gy"])
    with pytest.raises(ParameterError, match="no outcome"):
        analyse_patients(df, predictors=["mean_dose_gy"])


def test_summary_errors_name_the_file_line_of_the_patient(tmp_path: Path) -> None:
    path = tmp_path / "lesions.csv"
    path.write_text("patient,suv,bor\nA,10,CR\nA,12,CR\nB,5,PD\n", encoding="utf-8")
    frame = read_csv_table(path)
    summary = patient_summary(frame, predictors=["suv"], carry=["bor"])
    assert summary.attrs["file"] == str(path)
    with pytest.raises(TableError) as info:
        analyse_patients(summary, predictors=["suv"], outcome="bor", patient="patient")
    assert info.value.file == str(path)
    assert info.value.line == 2
