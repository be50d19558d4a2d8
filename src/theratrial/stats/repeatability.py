"""Test-retest repeatability of a quantitative imaging biomarker (wSD, wCV, RC, ICC).

For ``n`` subjects (targets) each measured ``k >= 2`` times under repeatability conditions
(QIBA terminology: Raunig et al. 2015, Stat Methods Med Res 24:27-67; Bland & Altman 1996,
BMJ 313:744 "Measurement error"):

- within-subject variance wSD^2 = the within-subject mean square of the one-way ANOVA,
  sum_i sum_j (x_ij - mean_i)^2 / (n (k - 1)); for k = 2 this is sum d_i^2 / (2 n);
  its confidence interval uses chi-square with n (k - 1) degrees of freedom;
- repeatability coefficient RC = 1.96 sqrt(2) wSD (= 2.77 wSD): 95 % of the differences
  between two repeat measurements of one subject are expected within ± RC;
- within-subject coefficient of variation, two ways (both reported):
  ``wcv_pct`` on the log scale, wCV = sqrt(exp(s_log^2) - 1) with s_log the wSD of the
  natural logarithms (Bland & Altman 1996, "Measurement error proportional to the mean");
  ``wcv_rms_pct`` by the root mean square of the per-subject CVs, sqrt(mean(s_i^2 / m_i^2));
- relative repeatability coefficient ``rc_relative_pct`` = 2.77 wCV (log method), and the
  asymmetric limits of a repeat/first ratio 100 (exp(± 2.77 s_log) - 1) %;
- the six ICC forms (:mod:`theratrial.stats.icc`), and for k = 2 the mean difference, a
  paired t test and the Bland-Altman analysis (:mod:`theratrial.stats.blandaltman`).

The relative measures need positive values; they are None otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from theratrial.errors import ParameterError, TableError
from theratrial.stats.blandaltman import LOA_Z, BlandAltman, bland_altman
from theratrial.stats.icc import ICCTable, icc

__all__ = ["RC_FACTOR", "RepeatabilityResult", "repeatability"]

#: RC = 1.96 x sqrt(2) x wSD (= 2.77 wSD; Bland & Altman 1986, QIBA).
RC_FACTOR = LOA_Z * math.sqrt(2.0)


@dataclass(frozen=True, slots=True)
class RepeatabilityResult:
    """Repeatability of one set of targets (a region group, or all).

    Attributes
    ----------
    n_subjects, k_repeats
        Targets and measurements per target.
    mean
        Grand mean of all measurements (the measurement's unit).
    wsd, wsd_ci
        Within-subject SD and its confidence interval (unit of the measurement).
    rc, rc_ci
        Repeatability coefficient 2.77 wSD and its interval.
    wsd_log
        wSD of the natural logarithms (dimensionless), None unless all values are > 0.
    wcv_pct, wcv_rms_pct
        wCV by the log method and by the root-mean-square method, percent.
    rc_relative_pct
        2.77 x wCV (log method), percent.
    rc_ratio_limits_pct
        ``(lower, upper)`` percent change between two repeats: 100 (exp(∓2.77 s_log) - 1).
    mean_difference, sd_difference, mean_difference_ci, paired_t_p_value
        Second minus first (k = 2 only).
    icc
        All six ICC forms.
    bland_altman
        Absolute-scale Bland-Altman (k = 2 only); ``bland_altman_ratio`` on the ratio scale
        (k = 2 and positive values).
    """

    n_subjects: int
    k_repeats: int
    confidence: float
    mean: float
    wsd: float
    wsd_ci: tuple[float, float]
    rc: float
    rc_ci: tuple[float, float]
    wsd_log: float | None
    wcv_pct: float | None
    wcv_rms_pct: float | None
    rc_relative_pct: float | None
    rc_ratio_limits_pct: tuple[float, float] | None
    mean_difference: float | None
    sd_difference: float | None
    mean_difference_ci: tuple[float, float] | None
    paired_t_p_value: float | None
    icc: ICCTable
    bland_altman: BlandAltman | None
    bland_altman_ratio: BlandAltman | None


def _within_variance(x: NDArray[np.float64]) -> float:
    n, k = x.shape
    return float(((x - x.mean(axis=1, keepdims=True)) ** 2).sum() / (n * (k - 1)))


def repeatability(values: ArrayLike, *, confidence: float = 0.95) -> RepeatabilityResult:
    """Repeatability statistics of an ``n x k`` table of repeated measurements.

    Parameters
    ----------
    values
        One row per target (subject or subject-region), one column per repeat, complete.
    confidence
        Level of the confidence intervals.

    Returns
    -------
    RepeatabilityResult

    Raises
    ------
    TableError
        Fewer than 2 targets or 2 repeats, or a missing value.

    Examples
    --------
    >>> r = repeatability([[10.0, 11.0], [20.0, 19.0], [15.0, 15.5], [30.0, 31.0]])
    >>> round(r.wsd, 4), round(r.rc, 3), round(r.mean_difference, 3)
    (0.6374, 1.767, 0.375)
    """
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence}", field="confidence")
    table = icc(values, confidence=confidence)  # validates shape and completeness
    x = np.asarray(values, dtype=np.float64)
    n, k = x.shape
    df = n * (k - 1)
    var_w = _within_variance(x)
    wsd = math.sqrt(var_w)
    alpha = 1.0 - confidence
    chi_hi = float(stats.chi2.ppf(1.0 - alpha / 2.0, df))
    chi_lo = float(stats.chi2.ppf(alpha / 2.0, df))
    wsd_ci = (math.sqrt(df * var_w / chi_hi), math.sqrt(df * var_w / chi_lo))
    positive = bool(np.all(x > 0.0))
    wsd_log = wcv = wcv_rms = rc_rel = None
    limits: tuple[float, float] | None = None
    if positive:
        s_log = math.sqrt(_within_variance(np.log(x)))
        wsd_log = s_log
        wcv = 100.0 * math.sqrt(math.expm1(s_log**2))
        per_subject_cv2 = x.var(axis=1, ddof=1) / x.mean(axis=1) ** 2
        wcv_rms = 100.0 * math.sqrt(float(per_subject_cv2.mean()))
        rc_rel = RC_FACTOR * wcv
        limits = (100.0 * math.expm1(-RC_FACTOR * s_log), 100.0 * math.expm1(RC_FACTOR * s_log))
    mean_diff = sd_diff = p_t = None
    diff_ci: tuple[float, float] | None = None
    ba = ba_ratio = None
    if k == 2:
        d = x[:, 1] - x[:, 0]
        mean_diff = float(d.mean())
        sd_diff = float(d.std(ddof=1))
        t = float(stats.t.ppf(1.0 - alpha / 2.0, n - 1))
        half = t * sd_diff / math.sqrt(n)
        diff_ci = (mean_diff - half, mean_diff + half)
        p_t = float(stats.ttest_rel(x[:, 1], x[:, 0]).pvalue) if sd_diff > 0 else float("nan")
        if n >= 3:
            ba = bland_altman(x[:, 0], x[:, 1], confidence=confidence)
            if positive:
                ba_ratio = bland_altman(x[:, 0], x[:, 1], scale="ratio", confidence=confidence)
    elif k < 2:  # pragma: no cover - icc() already refuses k < 2
        raise TableError("need at least 2 repeats", field="scan")
    return RepeatabilityResult(
        n_subjects=n,
        k_repeats=k,
        confidence=confidence,
        mean=float(x.mean()),
        wsd=wsd,
        wsd_ci=wsd_ci,
        rc=RC_FACTOR * wsd,
        rc_ci=(RC_FACTOR * wsd_ci[0], RC_FACTOR * wsd_ci[1]),
        wsd_log=wsd_log,
        wcv_pct=wcv,
        wcv_rms_pct=wcv_rms,
        rc_relative_pct=rc_rel,
        rc_ratio_limits_pct=limits,
        mean_difference=mean_diff,
        sd_difference=sd_diff,
        mean_difference_ci=diff_ci,
        paired_t_p_value=p_t,
        icc=table,
        bland_altman=ba,
        bland_altman_ratio=ba_ratio,
    )
