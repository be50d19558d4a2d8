"""ROC AUC, cluster bootstrap intervals and calibration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from theratrial.errors import ParameterError, TableError
from theratrial.stats import auc_estimate, calibration, roc_curve_points


def _data(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-2 * score))).astype(float)
    return y, score


def test_auc_is_the_mann_whitney_statistic() -> None:
    y, score = _data(0)
    pos, neg = score[y == 1], score[y == 0]
    u = stats.mannwhitneyu(pos, neg).statistic
    est = auc_estimate(y, score, n_bootstrap=0)
    assert est.auc == pytest.approx(u / (len(pos) * len(neg)))
    assert est.ci_low is None
    assert est.n_positive == int(y.sum())


def test_rank_auc_used_by_the_bootstrap_equals_sklearn() -> None:
    from sklearn.metrics import roc_auc_score

    from theratrial.stats.discrimination import _rank_auc

    rng = np.random.default_rng(9)
    for _ in range(20):
        y = (rng.uniform(size=30) < 0.4).astype(float)
        y[:2] = (0.0, 1.0)
        score = np.round(rng.normal(size=30), 1)  # with ties
        assert _rank_auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    y, score = _data(1)
    a = auc_estimate(y, score, n_bootstrap=200, seed=5)
    b = auc_estimate(y, score, n_bootstrap=200, seed=5)
    c = auc_estimate(y, score, n_bootstrap=200, seed=6)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.ci_low < a.auc < a.ci_high
    assert a.n_bootstrap == 200


def test_cluster_bootstrap_is_wider_when_lesions_copy_each_other() -> None:
    # each patient contributes 5 identical lesions: only 40 independent units
    y, score = _data(2, n=40)
    y5, s5 = np.repeat(y, 5), np.repeat(score, 5)
    clusters = np.repeat(np.arange(40), 5)
    naive = auc_estimate(y5, s5, n_bootstrap=300, seed=0)
    grouped = auc_estimate(y5, s5, clusters=clusters, n_bootstrap=300, seed=0)
    alone = auc_estimate(y, score, n_bootstrap=300, seed=0)
    assert grouped.auc == pytest.approx(alone.auc)
    assert grouped.n_clusters == 40
    width = lambda e: e.ci_high - e.ci_low  # noqa: E731
    assert width(grouped) > 1.5 * width(naive)
    assert width(grouped) == pytest.approx(width(alone), rel=0.35)


def test_one_class_gives_no_auc() -> None:
    est = auc_estimate([1, 1, 1], [0.1, 0.2, 0.3])
    assert est.auc is None


def test_roc_curve_ends() -> None:
    y, score = _data(3)
    roc = roc_curve_points(y, score)
    assert (roc.fpr[0], roc.tpr[0], roc.fpr[-1], roc.tpr[-1]) == (0.0, 0.0, 1.0, 1.0)


def test_calibration_of_true_probabilities() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, size=4000)
    y = (rng.uniform(size=4000) < p).astype(float)
    cal = calibration(y, p)
    assert cal.slope == pytest.approx(1.0, abs=0.15)
    assert cal.intercept == pytest.approx(0.0, abs=0.1)
    assert len(cal.counts) == 10
    assert sum(cal.counts) == 4000
    assert np.allclose(cal.observed, cal.predicted, atol=0.06)
    over = calibration(y, np.clip(0.5 + 1.8 * (p - 0.5), 0.001, 0.999))
    assert over.slope < 0.8  # too extreme predictions: slope below 1


def test_bad_input() -> None:
    with pytest.raises(TableError, match="0 or 1"):
        auc_estimate([0, 2], [0.1, 0.2])
    with pytest.raises(TableError, match="2 outcomes for 3 scores"):
        auc_estimate([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ParameterError):
        auc_estimate([0, 1], [0.1, 0.2], n_bootstrap=-1)
    with pytest.raises(TableError, match=r"\[0, 1\]"):
        calibration([0, 1], [0.5, 1.5])
