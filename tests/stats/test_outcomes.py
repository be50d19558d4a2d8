"""Lesion-level outcome models: effects recovered, tables, errors naming row and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from theratrial.errors import ParameterError, TableError
from theratrial.stats import analyse_lesions, read_csv_table

PREDICTORS = ["dose_gy", "ga68_suvmax", "adc_mean"]


def test_continuous_lesion_model(
    lesion_table: Callable[..., pd.DataFrame], true_effects: dict[str, float]
) -> None:
    df = lesion_table(n_patients=80, seed=4)
    res = analyse_lesions(df, outcome="change_pct", predictors=PREDICTORS, n_bootstrap=0, n_folds=4)
    assert res.family == "gaussian"
    assert res.method == "gee"
    assert res.level == "lesion"
    assert res.n_clusters == 80
    assert res.n_excluded == 0
    assert [f.coefficients[1].term for f in res.univariable] == PREDICTORS
    dose = res.multivariable.term("dose_gy")
    assert dose.ci_low < true_effects["dose_gy"] < dose.ci_high
    assert res.apparent_auc is None
    assert res.apparent_r2 > 0.3
    assert res.cross_validation.r2 > 0.2
    assert res.cross_validation.rmse > res.apparent_rmse * 0.9


def test_binary_responder_model_with_bootstrap(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=60, seed=5)
    res = analyse_lesions(
        df,
        outcome="change_pct",
        threshold=-30,
        predictors=PREDICTORS,
        n_bootstrap=60,
        n_folds=4,
        seed=1,
    )
    assert res.outcome.kind == "binary"
    assert res.outcome.description == "responder: change_pct <= -30"
    assert res.multivariable.term("dose_gy").odds_ratio > 1
    auc = res.apparent_auc
    assert auc.ci_low < auc.auc < auc.ci_high
    assert auc.n_clusters == 60
    by_name = {p.predictor: p.auc for p in res.predictor_auc}
    assert by_name["dose_gy"].auc > by_name["adc_mean"].auc
    assert res.calibration is not None
    assert res.roc is not None
    assert res.roc_cross_validated is not None
    assert res.cross_validation.auc > 0.7


def test_standardised_effects_are_per_sd(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=40, seed=6)
    raw = analyse_lesions(
        df, outcome="change_pct", predictors=["dose_gy"], n_bootstrap=0, n_folds=2
    )
    std = analyse_lesions(
        df, outcome="change_pct", predictors=["dose_gy"], n_bootstrap=0, n_folds=2, standardize=True
    )
    sd = df["dose_gy"].std(ddof=1)
    assert std.predictor_sd[0] == pytest.approx(sd)
    assert std.multivariable.term("dose_gy").estimate == pytest.approx(
        raw.multivariable.term("dose_gy").estimate * sd, rel=1e-4
    )


def test_mixed_model_option(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=40, seed=7)
    res = analyse_lesions(
        df, outcome="change_pct", predictors=["dose_gy"], method="mixed", n_bootstrap=0, n_folds=2
    )
    assert res.method == "mixed"
    assert res.multivariable.ok
    with pytest.raises(ParameterError, match="continuous outcome"):
        analyse_lesions(
            df, outcome="change_pct", threshold=-30, predictors=["dose_gy"], method="mixed"
        )


def test_missing_values_are_left_out(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=30, seed=8)
    df.loc[[0, 5, 9], "adc_mean"] = np.nan
    res = analyse_lesions(df, outcome="change_pct", predictors=PREDICTORS, n_bootstrap=0, n_folds=2)
    assert res.n_excluded == 3
    assert res.univariable[0].n_obs == len(df)
    assert res.univariable[2].n_obs == len(df) - 3


def test_csv_errors_name_line_and_column(
    tmp_path: Path, lesion_table: Callable[..., pd.DataFrame]
) -> None:
    df = lesion_table(n_patients=10, seed=9).astype({"dose_gy": object})
    df.loc[3, "dose_gy"] = "12 Gy"
    path = tmp_path / "lesions.csv"
    df.to_csv(path, index=False)
    with pytest.raises(TableError) as info:
        analyse_lesions(read_csv_table(path), outcome="change_pct", predictors=["dose_gy"])
    assert (info.value.line, info.value.field) == (5, "dose_gy")
    assert "'12 Gy' is not a number" in str(info.value)
    with pytest.raises(TableError, match="missing column for the outcome model: fdg_suvmax"):
        analyse_lesions(read_csv_table(path), outcome="change_pct", predictors=["fdg_suvmax"])
    with pytest.raises(TableError, match="missing column for the outcome: response"):
        analyse_lesions(read_csv_table(path), outcome="response", predictors=["adc_mean"])


def test_option_errors(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=10, seed=10)
    with pytest.raises(ParameterError, match="at least one predictor"):
        analyse_lesions(df, outcome="change_pct", predictors=[])
    with pytest.raises(ParameterError, match="twice"):
        analyse_lesions(df, outcome="change_pct", predictors=["dose_gy", "dose_gy"])
    with pytest.raises(ParameterError, match="clustered"):
        analyse_lesions(df, outcome="change_pct", predictors=["dose_gy"], method="glm")
    with pytest.raises(TableError, match="empty value"):
        analyse_lesions(
            df.assign(patient=[""] * len(df)), outcome="change_pct", predictors=["dose_gy"]
        )
