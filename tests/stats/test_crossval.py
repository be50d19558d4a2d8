"""Cross-validation grouped by patient."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from theratrial.errors import ParameterError
from theratrial.stats import cross_validate


def test_grouped_folds_do_not_leak_patient_effects() -> None:
    # the outcome is a patient-level effect that the predictor copies: within-patient
    # leakage makes ungrouped CV look good; grouped CV sees no signal.
    rng = np.random.default_rng(0)
    n_pat, per = 30, 6
    patient_effect = np.repeat(rng.normal(size=n_pat), per)
    groups = np.repeat([f"P{i}" for i in range(n_pat)], per)
    x = (np.repeat(rng.normal(size=n_pat), per) + 0.01 * rng.normal(size=n_pat * per))[:, None]
    y = patient_effect + 0.1 * rng.normal(size=n_pat * per)
    grouped = cross_validate(y, x, names=["x"], family="gaussian", method="gee", groups=groups)
    assert grouped.scheme == "group-kfold"
    assert grouped.r2 < 0.1
    assert grouped.rmse > 0.8


def test_signal_is_found_out_of_fold(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=60, seed=3)
    y = (df["change_pct"] <= -30).astype(float).to_numpy()
    cv = cross_validate(
        y,
        df[["dose_gy"]].to_numpy(),
        names=["dose_gy"],
        family="binomial",
        method="gee",
        groups=df["patient"].to_numpy(),
        n_folds=4,
    )
    assert cv.n_folds == 4
    assert cv.failed_folds == 0
    assert cv.auc > 0.75
    assert len(cv.fold_aucs) == 4
    assert np.isfinite(cv.predictions).all()


def test_ungrouped_binary_uses_stratified_folds() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 1))
    y = (x[:, 0] + rng.normal(size=40) > 0).astype(float)
    cv = cross_validate(y, x, names=["x"], family="binomial", method="glm", n_folds=5, seed=2)
    assert cv.scheme == "stratified-kfold"
    again = cross_validate(y, x, names=["x"], family="binomial", method="glm", n_folds=5, seed=2)
    assert cv.predictions == again.predictions


def test_too_few_folds() -> None:
    with pytest.raises(ParameterError):
        cross_validate(
            np.zeros(4), np.zeros((4, 1)), names=["x"], family="gaussian", method="glm", n_folds=1
        )
