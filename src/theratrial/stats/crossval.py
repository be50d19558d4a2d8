"""Cross-validated performance of an outcome model, folds grouped by patient.

Lesions of one patient are never split between training and test folds (scikit-learn
``GroupKFold``), otherwise the correlation within patients inflates the apparent
performance (Roberts et al. 2017, Ecography 40:913-929). Without clusters (one row per
patient) the folds are ``StratifiedKFold`` for a binary outcome and ``KFold`` otherwise,
both shuffled with the seed. The model is refitted on every training fold with the same
estimator; out-of-fold predictions are pooled: AUC and Brier score (binary), RMSE, MAE and
R^2 = 1 - SSE/SST (continuous). A fold whose fit fails leaves its predictions missing and
is counted in ``failed_folds``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theratrial.errors import ParameterError
from theratrial.stats.regression import Family, Method, fit_model, predict

__all__ = ["CrossValidation", "cross_validate"]


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Out-of-fold performance.

    Attributes
    ----------
    n_folds, scheme
        Folds used and how they were made (group-kfold, stratified-kfold, kfold).
    predictions
        Out-of-fold prediction of each row (NaN where its fold failed).
    auc, fold_aucs, brier
        Binary outcome: pooled AUC, per-fold AUC (None with one class), Brier score.
    rmse, mae, r2
        Continuous outcome: pooled errors (outcome units) and R^2.
    failed_folds
        Folds whose training fit failed.
    """

    n_folds: int
    scheme: str
    predictions: tuple[float, ...]
    auc: float | None
    fold_aucs: tuple[float | None, ...]
    brier: float | None
    rmse: float | None
    mae: float | None
    r2: float | None
    failed_folds: int


def _splits(
    y: NDArray[np.float64], groups: NDArray[Any] | None, family: Family, n_folds: int, seed: int
) -> tuple[str, list[tuple[NDArray[np.intp], NDArray[np.intp]]]]:
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    dummy = np.zeros((len(y), 1))
    if groups is not None:
        k = min(n_folds, len(set(groups.tolist())))
        return "group-kfold", list(GroupKFold(n_splits=k).split(dummy, y, groups))
    if family == "binomial":
        smallest = int(min(y.sum(), len(y) - y.sum()))
        k = min(n_folds, smallest)
        if k >= 2:
            folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            return "stratified-kfold", list(folds.split(dummy, y))
    k = min(n_folds, len(y))
    return "kfold", list(KFold(n_splits=k, shuffle=True, random_state=seed).split(dummy))


def cross_validate(
    y: NDArray[np.float64],
    x: NDArray[np.float64],
    *,
    names: Sequence[str],
    family: Family,
    method: Method,
    groups: Sequence[str] | NDArray[Any] | None = None,
    n_folds: int = 5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CrossValidation:
    """K-fold cross-validation of :func:`~theratrial.stats.regression.fit_model`.

    Parameters
    ----------
    y, x, names, family, method, groups
        As for :func:`~theratrial.stats.regression.fit_model`; with ``groups`` the folds
        keep each cluster whole.
    n_folds
        Folds (reduced to the number of clusters, or of the rarer class, when smaller).
    seed
        Seed of the shuffled (ungrouped) folds.
    progress
        Called as ``progress(done, total)`` after each fold.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(80, 1)); g = np.repeat(np.arange(20), 4)
    >>> y = 2.0 * x[:, 0] + rng.normal(scale=0.5, size=80)
    >>> cv = cross_validate(y, x, names=["suv"], family="gaussian", method="gee", groups=g)
    >>> cv.scheme, cv.n_folds, cv.r2 > 0.8
    ('group-kfold', 5, True)
    """
    if n_folds < 2:
        raise ParameterError(f"need at least 2 folds, got {n_folds}", field="n_folds")
    yv = np.asarray(y, dtype=np.float64)
    xv = np.asarray(x, dtype=np.float64).reshape(len(yv), -1)
    grp = None if groups is None else np.asarray([str(g) for g in groups])
    scheme, splits = _splits(yv, grp, family, n_folds, seed)
    out = np.full(len(yv), np.nan)
    failed = 0
    fold_aucs: list[float | None] = []
    from sklearn.metrics import roc_auc_score

    for done, (train, test) in enumerate(splits, start=1):
        fit = fit_model(
            yv[train],
            xv[train],
            names=names,
            family=family,
            method=method,
            groups=None if grp is None else grp[train],
        )
        if not fit.ok:
            failed += 1
        else:
            out[test] = predict(fit, xv[test])
        if family == "binomial":
            yt, pt = yv[test], out[test]
            ok = np.isfinite(pt)
            both = ok.any() and 0.0 < yt[ok].mean() < 1.0
            fold_aucs.append(float(roc_auc_score(yt[ok], pt[ok])) if both else None)
        if progress is not None:
            progress(done, len(splits))
    ok = np.isfinite(out)
    auc = brier = rmse = mae = r2 = None
    if ok.sum() >= 2:
        yo, po = yv[ok], out[ok]
        if family == "binomial":
            if 0.0 < yo.mean() < 1.0:
                auc = float(roc_auc_score(yo, po))
            brier = float(np.mean((po - yo) ** 2))
        else:
            resid = yo - po
            rmse = float(np.sqrt(np.mean(resid**2)))
            mae = float(np.mean(np.abs(resid)))
            sst = float(np.sum((yo - yo.mean()) ** 2))
            r2 = 1.0 - float(np.sum(resid**2)) / sst if sst > 0 else None
    return CrossValidation(
        n_folds=len(splits),
        scheme=scheme,
        predictions=tuple(float(v) for v in out),
        auc=auc,
        fold_aucs=tuple(fold_aucs),
        brier=brier,
        rmse=rmse,
        mae=mae,
        r2=r2,
        failed_folds=failed,
    )
