"""Intraclass correlation coefficients: the six forms of Shrout & Fleiss with their CIs.

For ``n`` targets (subjects, lesions) each measured by the same ``k`` raters (or scan
sessions), a two-way ANOVA gives the mean squares between targets (MSR), between raters
(MSC), residual (MSE) and within targets (MSW = pooled MSC and MSE). Shrout & Fleiss
(1979, Psychol Bull 86:420-428) define:

- ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW)           one-way random (each target its own raters)
- ICC(2,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)   two-way random, absolute
- ICC(3,1) = (MSR - MSE) / (MSR + (k-1) MSE)           two-way mixed, consistency
- ICC(1,k) = (MSR - MSW) / MSR, ICC(2,k) = (MSR - MSE) / (MSR + (MSC - MSE) / n),
  ICC(3,k) = (MSR - MSE) / MSR: reliability of the mean of the k ratings.

McGraw & Wong (1996, Psychol Methods 1:30-46, Table 7) call ICC(2,1) ICC(A,1) and
ICC(3,1) ICC(C,1). Confidence intervals follow their Table 7: exact F-based intervals for
cases 1 and 3; for case 2 the Satterthwaite approximation of the degrees of freedom,
``v = (a MSC + b MSE)^2 / ((a MSC)^2 / (k-1) + (b MSE)^2 / ((n-1)(k-1)))`` with
``a = k rho / (n (1 - rho))`` and ``b = 1 + k rho (n-1) / (n (1 - rho))``; the k-rater
bounds are the Spearman-Brown transforms of the single-rater bounds. The F test of each
form is H0: ICC = 0 (F = MSR/MSW for case 1, MSR/MSE for cases 2 and 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from theratrial.errors import ComputationError, ParameterError, TableError

__all__ = ["ICC_FORMS", "ICCEstimate", "ICCTable", "MeanSquares", "anova_mean_squares", "icc"]

#: The forms, in Shrout & Fleiss order, with McGraw & Wong's names.
ICC_FORMS: tuple[tuple[str, str], ...] = (
    ("ICC(1,1)", "one-way random, single measurement"),
    ("ICC(2,1)", "two-way random, absolute agreement, single measurement: ICC(A,1)"),
    ("ICC(3,1)", "two-way mixed, consistency, single measurement: ICC(C,1)"),
    ("ICC(1,k)", "one-way random, mean of k measurements"),
    ("ICC(2,k)", "two-way random, absolute agreement, mean of k: ICC(A,k)"),
    ("ICC(3,k)", "two-way mixed, consistency, mean of k: ICC(C,k)"),
)


@dataclass(frozen=True, slots=True)
class MeanSquares:
    """Two-way ANOVA of an n x k table (no replication)."""

    n: int
    k: int
    msr: float
    msc: float
    mse: float
    msw: float
    grand_mean: float


@dataclass(frozen=True, slots=True)
class ICCEstimate:
    """One ICC form: value, F test against 0 and confidence interval."""

    form: str
    description: str
    value: float
    f_statistic: float
    df1: float
    df2: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, slots=True)
class ICCTable:
    """All six forms for one table of ratings.

    Examples
    --------
    >>> t = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...          [6, 2, 4, 7]])
    >>> round(t["ICC(3,1)"].value, 2)
    0.71
    """

    n_targets: int
    k_raters: int
    confidence: float
    mean_squares: MeanSquares
    estimates: tuple[ICCEstimate, ...]

    def __getitem__(self, form: str) -> ICCEstimate:
        wanted = form.replace(" ", "").upper().replace("K)", "k)")
        aliases = {"ICC(A,1)": "ICC(2,1)", "ICC(C,1)": "ICC(3,1)"}
        aliases |= {"ICC(A,k)": "ICC(2,k)", "ICC(C,k)": "ICC(3,k)"}
        wanted = aliases.get(wanted, wanted)
        for estimate in self.estimates:
            if estimate.form == wanted:
                return estimate
        raise KeyError(form)


def _as_matrix(ratings: ArrayLike) -> NDArray[np.float64]:
    try:
        matrix = np.asarray(ratings, dtype=np.float64)
    except (TypeError, ValueError):
        raise TableError(
            "ratings must be numbers", field="ratings", hint="give an n x k numeric table"
        ) from None
    if matrix.ndim != 2:
        raise TableError(
            f"ratings must be a 2-D table (targets x raters), got {matrix.ndim}-D",
            field="ratings",
        )
    n, k = matrix.shape
    if n < 2 or k < 2:
        raise TableError(
            f"need at least 2 targets and 2 ratings each, got {n} x {k}",
            field="ratings",
            hint="repeatability needs every subject measured at least twice",
        )
    if not np.all(np.isfinite(matrix)):
        row = int(np.argwhere(~np.isfinite(matrix))[0, 0])
        raise TableError(
            f"row {row + 1}: missing or non-finite rating",
            field="ratings",
            hint="ICC needs a complete table: drop targets with a missing rating",
        )
    return matrix


def anova_mean_squares(ratings: ArrayLike) -> MeanSquares:
    """Mean squares of the two-way ANOVA without replication (targets x raters).

    Examples
    --------
    >>> ms = anova_mean_squares([[1.0, 2.0], [3.0, 5.0], [4.0, 4.0]])
    >>> round(ms.msr, 4), round(ms.mse, 4)
    (4.1667, 0.5)
    """
    x = _as_matrix(ratings)
    n, k = x.shape
    grand = float(x.mean())
    ss_total = float(((x - grand) ** 2).sum())
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    ss_err = max(ss_total - ss_rows - ss_cols, 0.0)
    return MeanSquares(
        n=n,
        k=k,
        msr=ss_rows / (n - 1),
        msc=ss_cols / (k - 1),
        mse=ss_err / ((n - 1) * (k - 1)),
        msw=(ss_cols + ss_err) / (n * (k - 1)),
        grand_mean=grand,
    )


def _spearman_brown(rho: float, k: int) -> float:
    return rho * k / (1.0 + rho * (k - 1))


def _one_minus_inverse(x: float) -> float:
    return 1.0 - 1.0 / x if x > 0 else float("-inf")


def _f_bounds(f_obs: float, df1: float, df2: float, alpha: float) -> tuple[float, float]:
    low = f_obs / float(stats.f.ppf(1.0 - alpha / 2.0, df1, df2))
    high = f_obs * float(stats.f.ppf(1.0 - alpha / 2.0, df2, df1))
    return low, high


def icc(ratings: ArrayLike, *, confidence: float = 0.95) -> ICCTable:
    """Compute the six Shrout & Fleiss ICC forms with McGraw & Wong confidence intervals.

    Parameters
    ----------
    ratings
        ``n x k`` table: one row per target (subject, lesion), one column per rater or
        repeated scan, complete (no missing value).
    confidence
        Two-sided confidence level of the intervals.

    Returns
    -------
    ICCTable
        Index it by form: ``table["ICC(2,1)"]`` (``"ICC(A,1)"`` also works).

    Raises
    ------
    TableError
        Fewer than 2 targets or 2 ratings, or a missing value.
    ComputationError
        All targets identical and no variance at all.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.

    >>> t = icc([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...          [6, 2, 4, 7]])
    >>> [round(e.value, 2) for e in t.estimates]
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence}", field="confidence")
    ms = anova_mean_squares(ratings)
    n, k = ms.n, ms.k
    alpha = 1.0 - confidence
    if ms.msr == 0.0 and ms.msw == 0.0:
        raise ComputationError(
            "every rating is identical: the ICC is undefined",
            hint="check that the value column holds the measurements",
        )
    df_r, df_w, df_e = float(n - 1), float(n * (k - 1)), float((n - 1) * (k - 1))
    tiny = np.finfo(np.float64).tiny
    f1 = ms.msr / max(ms.msw, tiny)
    f3 = ms.msr / max(ms.mse, tiny)
    icc1 = (ms.msr - ms.msw) / (ms.msr + (k - 1) * ms.msw)
    icc2 = (ms.msr - ms.mse) / (ms.msr + (k - 1) * ms.mse + k * (ms.msc - ms.mse) / n)
    icc3 = (ms.msr - ms.mse) / (ms.msr + (k - 1) * ms.mse)
    icc1k = (ms.msr - ms.msw) / ms.msr if ms.msr > 0 else float("nan")
    icc2k = (ms.msr - ms.mse) / (ms.msr + (ms.msc - ms.mse) / n)
    icc3k = (ms.msr - ms.mse) / ms.msr if ms.msr > 0 else float("nan")
    p1 = float(stats.f.sf(f1, df_r, df_w))
    p3 = float(stats.f.sf(f3, df_r, df_e))

    f1l, f1u = _f_bounds(f1, df_r, df_w, alpha)
    f3l, f3u = _f_bounds(f3, df_r, df_e, alpha)
    ci1 = ((f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1))
    ci3 = ((f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1))
    ci1k = (_one_minus_inverse(f1l), _one_minus_inverse(f1u))
    ci3k = (_one_minus_inverse(f3l), _one_minus_inverse(f3u))

    # Case 2 (McGraw & Wong 1996, Table 7, ICC(A,1)): Satterthwaite degrees of freedom.
    rho = icc2
    if rho >= 1.0 or ms.mse == 0.0:
        ci2 = (float("nan"), float("nan"))
    else:
        a = k * rho / (n * (1.0 - rho))
        b = 1.0 + k * rho * (n - 1) / (n * (1.0 - rho))
        num = (a * ms.msc + b * ms.mse) ** 2
        den = (a * ms.msc) ** 2 / (k - 1) + (b * ms.mse) ** 2 / df_e
        v = num / den if den > 0 else df_e
        f_star = float(stats.f.ppf(1.0 - alpha / 2.0, df_r, v))
        f_star2 = float(stats.f.ppf(1.0 - alpha / 2.0, v, df_r))
        c = k * ms.msc + (k * n - k - n) * ms.mse
        low = n * (ms.msr - f_star * ms.mse) / (f_star * c + n * ms.msr)
        high = n * (f_star2 * ms.msr - ms.mse) / (c + n * f_star2 * ms.msr)
        ci2 = (low, high)
    ci2k = (_spearman_brown(ci2[0], k), _spearman_brown(ci2[1], k))

    values = (icc1, icc2, icc3, icc1k, icc2k, icc3k)
    tests = ((f1, df_w, p1), (f3, df_e, p3), (f3, df_e, p3)) * 2
    cis = (ci1, ci2, ci3, ci1k, ci2k, ci3k)
    estimates = tuple(
        ICCEstimate(
            form=form,
            description=description,
            value=float(value),
            f_statistic=float(f_stat),
            df1=df_r,
            df2=float(df2),
            p_value=p,
            ci_low=float(ci[0]),
            ci_high=float(ci[1]),
        )
        for (form, description), value, (f_stat, df2, p), ci in zip(
            ICC_FORMS, values, tests, cis, strict=True
        )
    )
    return ICCTable(
        n_targets=n, k_raters=k, confidence=confidence, mean_squares=ms, estimates=estimates
    )
