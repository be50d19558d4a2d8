"""GEE, mixed and GLM fits: recovery of known effects and failures that do not raise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from theratrial.errors import ParameterError
from theratrial.stats import fit_model, predict

NAMES = ["dose_gy", "ga68_suvmax", "adc_mean"]


def _xy(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return df["change_pct"].to_numpy(), df[NAMES].to_numpy(), df["patient"].to_numpy()


@pytest.mark.parametrize("method", ["gee", "mixed"])
def test_continuous_effects_recovered(
    lesion_table: Callable[..., pd.DataFrame], true_effects: dict[str, float], method: str
) -> None:
    y, x, g = _xy(lesion_table(n_patients=120, seed=1))
    fit = fit_model(y, x, names=NAMES, family="gaussian", method=method, groups=g)  # type: ignore[arg-type]
    assert fit.ok
    assert fit.n_clusters == 120
    dose = fit.term("dose_gy")
    assert dose.ci_low < true_effects["dose_gy"] < dose.ci_high
    suv = fit.term("ga68_suvmax")
    assert suv.ci_low < true_effects["ga68_suvmax"] < suv.ci_high
    assert fit.term("adc_mean").p_value > 0.01
    assert dose.p_value < 1e-6
    assert fit.coefficients[0].term == "intercept"


def test_binary_gee_gives_odds_ratios(lesion_table: Callable[..., pd.DataFrame]) -> None:
    df = lesion_table(n_patients=120, seed=2)
    y = (df["change_pct"] <= -30).astype(float).to_numpy()
    fit = fit_model(
        y,
        df[["dose_gy"]].to_numpy(),
        names=["dose_gy"],
        family="binomial",
        groups=df["patient"].to_numpy(),
    )
    dose = fit.term("dose_gy")
    assert dose.estimate > 0  # more dose, more responders
    assert dose.odds_ratio == pytest.approx(np.exp(dose.estimate))
    assert dose.odds_ratio_ci[0] < dose.odds_ratio < dose.odds_ratio_ci[1]
    p = predict(fit, df[["dose_gy"]].to_numpy())
    assert np.all((p > 0) & (p < 1))


def test_glm_matches_ordinary_least_squares() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    y = 1.0 + x @ np.array([2.0, -1.0]) + rng.normal(size=50)
    fit = fit_model(y, x, names=["a", "b"], family="gaussian", method="glm")
    beta, *_ = np.linalg.lstsq(np.column_stack([np.ones(50), x]), y, rcond=None)
    assert fit.params == pytest.approx(tuple(beta))
    assert fit.correlation is None


def test_failed_fits_say_why() -> None:
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    g = np.array(["a", "a", "b", "b", "c", "c"])
    constant = fit_model(y, np.ones((6, 1)), names=["x"], family="binomial", groups=g)
    assert not constant.ok
    assert "constant predictor" in (constant.message or "")
    one_class = fit_model(
        np.ones(6), np.arange(6.0)[:, None], names=["x"], family="binomial", groups=g
    )
    assert not one_class.ok
    assert np.isnan(predict(one_class, np.ones((2, 1)))).all()
    few = fit_model(y[:2], np.arange(2.0)[:, None], names=["x"], family="gaussian", groups=g[:2])
    assert few.message == "fewer observations than terms"


def test_separation_is_reported_not_raised() -> None:
    x = np.arange(12.0)[:, None]
    y = (x[:, 0] > 5).astype(float)
    fit = fit_model(y, x, names=["x"], family="binomial", method="glm")
    assert fit.ok
    assert not fit.converged
    assert any("separation" in note for note in fit.notes)


def test_bad_options() -> None:
    y, x = np.zeros(5), np.zeros((5, 1))
    with pytest.raises(ParameterError, match="mixed model"):
        fit_model(y, x, names=["x"], family="binomial", method="mixed", groups=list("aabbc"))
    with pytest.raises(ParameterError, match="needs the cluster"):
        fit_model(y, x, names=["x"], family="gaussian", method="gee")
